import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { errorCodes, httpStatusOf, LiveError, ProtocolError, toLiveError } from './errors.ts';

test('every error code has a line in docs/errors.md with its kind', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  for (const [code, kind] of Object.entries(errorCodes)) {
    assert.match(doc, new RegExp(`\\| \`${code}\` \\| ${kind} \\|`), `docs/errors.md lacks ${code} (${kind})`);
  }
});

/** The source files of src/ that ship (no tests, no test kits), with their text. */
function shippedSources(): { path: string; text: string }[] {
  const root = new URL('./', import.meta.url);
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((p) => p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.includes('test-kit') && p !== 'errors.ts')
    .map((path) => ({ path, text: readFileSync(new URL(path, root), 'utf8') }));
}

test('every code in the table is raised or used somewhere in src/', () => {
  const errorsTs = readFileSync(new URL('./errors.ts', import.meta.url), 'utf8');
  // errors.ts itself raises only what follows the table (toLiveError's INTERNAL).
  const sources = [...shippedSources().map((s) => s.text), errorsTs.slice(errorsTs.indexOf('satisfies Record'))];
  const unused = Object.keys(errorCodes).filter((code) => !sources.some((text) => text.includes(`'${code}'`)));
  assert.deepEqual(unused, [], 'codes nothing raises: use them where they belong or remove them (and their docs line)');
});

test('every code sent as `code: ...` in src/ is in the table', () => {
  const stray: string[] = [];
  for (const { path, text } of shippedSources()) {
    for (const m of text.matchAll(/\bcode: '([A-Z][A-Z0-9_]*)'/g)) {
      if (!Object.hasOwn(errorCodes, m[1]!)) stray.push(`${m[1]} (src/${path})`);
    }
  }
  assert.deepEqual(stray, [], 'codes sent to clients but missing from src/errors.ts and docs/errors.md');
});

test('every code documented in docs/errors.md is in the table', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const documented = [...doc.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!);
  assert.ok(documented.length > 100);
  assert.deepEqual(
    documented.filter((code) => !Object.hasOwn(errorCodes, code)),
    [],
  );
  assert.equal(new Set(documented).size, documented.length, 'a code documented twice');
});

test('HTTP status follows the kind of the code', () => {
  assert.equal(httpStatusOf(new LiveError('STREAM_NOT_FOUND', 'x')), 404);
  assert.equal(httpStatusOf(new ProtocolError('AMF0_TRUNCATED', 'x')), 400);
  assert.equal(httpStatusOf(new LiveError('STREAM_ALREADY_PUBLISHING', 'x')), 409);
  assert.equal(httpStatusOf(new Error('boom')), 500);
});

test('unknown throwables become INTERNAL with the cause kept', () => {
  const cause = new TypeError('bad');
  const err = toLiveError(cause);
  assert.equal(err.code, 'INTERNAL');
  assert.equal(err.cause, cause);
  const same = new LiveError('STREAM_FORBIDDEN', 'no');
  assert.equal(toLiveError(same), same);
});
