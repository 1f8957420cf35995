/**
 * The data key that seals Cloud API SecretKeys, domain auth keys and callback keys (store/sealing.ts):
 * 32 random bytes as hex in `<dataDir>/secret.key`, mode 0600, created on first use. It is kept out of
 * the database so that a copied database file alone reveals no key; back the two up together.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { LiveError } from '../errors.ts';
import { dataKeyBytes } from '../store/sealing.ts';

/** Where the data key lives inside a data directory. */
export function dataKeyFileIn(dataDir: string): string {
  return join(dataDir, 'secret.key');
}

/**
 * Reads the data key, creating the file (exclusively, so a concurrent CLI and server agree) if it is
 * missing; the folder is created 0700. A key file others can read (an older openlive, a restore) is
 * tightened to 0600.
 */
export function loadDataKey(dataDir: string): Buffer {
  const file = dataKeyFileIn(dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, `${randomBytes(dataKeyBytes).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const text = readFileSync(file, 'utf8').trim();
  if (!new RegExp(`^[0-9a-f]{${dataKeyBytes * 2}}$`).test(text)) {
    throw new LiveError(
      'CREDENTIAL_UNREADABLE',
      `${file} is not ${dataKeyBytes * 2} hex digits; restore it from a backup`,
    );
  }
  return Buffer.from(text, 'hex');
}
