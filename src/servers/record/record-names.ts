/**
 * File names of recordings. Domain, app and stream names come from encoders and API callers, so no name is
 * used as given: every character outside `[A-Za-z0-9_-]` (and a dot that starts a name) is percent-encoded,
 * which leaves no `/`, `\`, NUL or `..` in a path component, and the result is checked to lie inside the
 * record folder before anything is opened.
 */
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { LiveError } from '../../errors.ts';

/** Encodes one name as a single safe path component (never empty, never `.` or `..`). */
export function safeName(name: string): string {
  let out = '';
  for (const ch of name) {
    if (/[A-Za-z0-9_-]/.test(ch) || (ch === '.' && out !== '')) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out === '' ? '%00' : out;
}

/** The folder of a stream's recordings, relative to the record root: `<domain>/<app>/<stream>`. */
export function streamFolder(domain: string, app: string, stream: string): string {
  return join(safeName(domain || '_'), safeName(app), safeName(stream));
}

/** The absolute path of `relativePath` under `root`; throws RECORD_WRITE_FAILED if it would leave it. */
export function insideRoot(root: string, relativePath: string): string {
  const base = resolve(root);
  const full = resolve(base, relativePath);
  const rel = relative(base, full);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new LiveError(
      'RECORD_WRITE_FAILED',
      `the recording path ${JSON.stringify(relativePath)} is outside the record folder`,
    );
  }
  return full;
}

/** A file's base name: the stream's safe name and its start, `demo_20261201T235959Z_1`. */
export function fileBase(stream: string, startedAt: number, seq: number): string {
  const t = new Date(startedAt)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${safeName(stream)}_${t}_${seq}`;
}
