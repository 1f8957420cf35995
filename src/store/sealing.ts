/**
 * AES-256-GCM sealing of the secrets a database row holds (API SecretKeys, domain auth keys, callback
 * keys) under the data key that lives in its own file (`<dataDir>/secret.key`), so the database file
 * alone reveals no key. The associated data names the row and column a value belongs to: a sealed value
 * copied into another row or column does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { LiveError } from '../errors.ts';

/** Length of a data key: AES-256. */
export const dataKeyBytes = 32;

/** Seals a value: `v1.<iv>.<ciphertext>.<tag>` in base64url, `aad` bound as associated data. */
export function seal(dataKey: Buffer, aad: string, value: string, iv: Buffer = randomBytes(12)): string {
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return ['v1', iv, body, cipher.getAuthTag()]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

/** Opens a sealed value; throws CREDENTIAL_UNREADABLE (saying `what`) when the data key or the row does not match. */
export function unseal(dataKey: Buffer | undefined, aad: string, sealed: string, what: string): string {
  const [version, iv, body, tag, extra] = sealed.split('.');
  try {
    if (!dataKey) throw new Error('no data key');
    if (version !== 'v1' || iv === undefined || body === undefined || tag === undefined || extra !== undefined)
      throw new Error('not a v1 sealed value');
    const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new LiveError(
      'CREDENTIAL_UNREADABLE',
      `${what} cannot be decrypted with this data directory's secret.key (replaced or lost?)`,
      { cause: err },
    );
  }
}
