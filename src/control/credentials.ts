/**
 * Cloud API credentials (SecretId/SecretKey pairs). TC3 needs the SecretKey itself to recompute
 * kDate = HMAC("TC3" + SecretKey, date), so it cannot be stored as a one-way hash; it is sealed with
 * AES-256-GCM under a data key that lives in its own file (`<dataDir>/secret.key`), so the database
 * file alone reveals no key. The SecretId is the GCM associated data: a sealed key moved to another
 * row does not open.
 */
import { randomBytes } from 'node:crypto';
import { LiveError } from '../errors.ts';
import type { Store, StoredCredential } from '../store/store.ts';
import { dataKeyBytes, seal, unseal } from '../store/sealing.ts';

/** The settings key set once the first start has created its pair. */
export const credentialsBootstrapSetting = 'credentials.bootstrap.done';
/** Length of a data key: AES-256 (store/sealing.ts seals every key of a row with it). */
export { dataKeyBytes };

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `n` characters from [A-Za-z0-9], uniform (bytes of 248 and up are skipped so `% 62` has no bias). */
export function randomAlphanumeric(n: number, random: (size: number) => Buffer = randomBytes): string {
  let out = '';
  while (out.length < n) {
    for (const byte of random(n * 2)) {
      if (byte < 248 && out.length < n) out += alphabet[byte % 62];
    }
  }
  return out;
}

/** Seals a SecretKey: `v1.<iv>.<ciphertext>.<tag>` in base64url, the SecretId bound as associated data. */
export function sealSecret(dataKey: Buffer, secretId: string, secretKey: string, iv: Buffer = randomBytes(12)): string {
  return seal(dataKey, secretId, secretKey, iv);
}

/** Opens a sealed SecretKey; throws CREDENTIAL_UNREADABLE when the data key or the row does not match. */
export function openSecret(dataKey: Buffer, secretId: string, sealed: string): string {
  return unseal(dataKey, secretId, sealed, `the SecretKey of ${secretId}`);
}

/** What a listing shows: never the SecretKey. */
export interface CredentialInfo {
  readonly secretId: string;
  readonly description: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

/** A pair just created: the only time the SecretKey is shown. */
export interface NewCredential extends CredentialInfo {
  readonly secretKey: string;
}

/** How the credential service is built. */
export interface CredentialsOptions {
  readonly store: Store;
  readonly dataKey: Buffer;
  readonly now: () => number;
  readonly random?: (size: number) => Buffer;
  /** A use is written to the store at most this often per SecretId (default 60 s). */
  readonly touchIntervalMs?: number;
}

/** Creates, lists, revokes and looks up API credentials. */
export class Credentials {
  private readonly store: Store;
  private readonly dataKey: Buffer;
  private readonly now: () => number;
  private readonly random: (size: number) => Buffer;
  private readonly touchIntervalMs: number;
  private readonly lastTouch = new Map<string, number>();

  constructor(options: CredentialsOptions) {
    if (options.dataKey.length !== dataKeyBytes)
      throw new LiveError('CREDENTIAL_UNREADABLE', `the data key must be ${dataKeyBytes} bytes`);
    this.store = options.store;
    this.dataKey = options.dataKey;
    this.now = options.now;
    this.random = options.random ?? randomBytes;
    this.touchIntervalMs = options.touchIntervalMs ?? 60_000;
  }

  /** Creates a Tencent-shaped pair: SecretId `AKID` + 32 characters, SecretKey 32 characters. */
  async create(description = ''): Promise<NewCredential> {
    const secretId = `AKID${randomAlphanumeric(32, this.random)}`;
    const secretKey = randomAlphanumeric(32, this.random);
    const stored: StoredCredential = {
      secretId,
      sealedKey: sealSecret(this.dataKey, secretId, secretKey, this.random(12)),
      description,
      createdAt: this.now(),
      lastUsedAt: null,
    };
    await this.store.addCredential(stored);
    return { secretId, secretKey, description, createdAt: stored.createdAt, lastUsedAt: null };
  }

  /** Every credential, oldest first, without keys. */
  async list(): Promise<CredentialInfo[]> {
    return (await this.store.listCredentials()).map(({ sealedKey: _, ...info }) => info);
  }

  /** Deletes a credential at once (the next request signed with it fails); throws CREDENTIAL_NOT_FOUND. */
  async revoke(secretId: string): Promise<void> {
    if (!(await this.store.deleteCredential(secretId)))
      throw new LiveError('CREDENTIAL_NOT_FOUND', `there is no credential ${secretId}`);
    this.lastTouch.delete(secretId);
  }

  /** The SecretKey of a SecretId, or undefined; read from the store each time so a revoke by the CLI applies at once. */
  async secretKeyOf(secretId: string): Promise<string | undefined> {
    const stored = await this.store.getCredential(secretId);
    return stored && openSecret(this.dataKey, secretId, stored.sealedKey);
  }

  /** Records a successful use, writing at most once per touch interval. */
  async noteUse(secretId: string): Promise<void> {
    const now = this.now();
    const last = this.lastTouch.get(secretId);
    if (last !== undefined && now - last < this.touchIntervalMs) return;
    this.lastTouch.set(secretId, now);
    await this.store.touchCredential(secretId, now);
  }

  /** On the first start only: creates one pair (unless some exist) and returns it; later starts return undefined. */
  async ensureInitial(): Promise<NewCredential | undefined> {
    if ((await this.store.getSetting(credentialsBootstrapSetting)) !== undefined) return undefined;
    const created =
      (await this.store.listCredentials()).length === 0 ? await this.create('created on first start') : undefined;
    await this.store.setSetting(credentialsBootstrapSetting, new Date(this.now()).toISOString());
    return created;
  }
}
