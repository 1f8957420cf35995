/**
 * Signed push and play URLs (Tencent CSS hotlink protection, tencent-css.md §1.2):
 * `txSecret = HASH(key + StreamName + txTime)`, txTime being the expiry in Unix seconds written in
 * hex (either case) or decimal, hashed exactly as it appears in the URL. A URL is valid until
 * txTime + AuthDelta; a signature made with the master or the backup key is accepted.
 */
import { Buffer } from 'node:buffer';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { SignAlgorithm } from '../store/store.ts';

/** Hex digest of key + streamName + txTime; lowercase, as every Tencent example prints it. */
export function txSecretOf(key: string, streamName: string, txTime: string, algorithm: SignAlgorithm = 'md5'): string {
  return createHash(algorithm)
    .update(key + streamName + txTime, 'utf8')
    .digest('hex');
}

/** txTime as the generators write it: uppercase hex Unix seconds (console PHP sample: strtoupper). */
export function formatTxTime(unixSeconds: number): string {
  return Math.floor(unixSeconds).toString(16).toUpperCase();
}

/**
 * The Unix seconds a txTime stands for, or undefined if it is neither form. Hex is the documented
 * form; decimal "is also supported". An all-digit string is ambiguous, so ten or more digits read as
 * decimal (decimal Unix seconds have 10 digits from 2001 to 2286) and fewer as hex (hex Unix seconds
 * have 8 digits until 2106).
 */
export function parseTxTime(txTime: string): number | undefined {
  if (/^[0-9]{10,13}$/.test(txTime)) return Number(txTime);
  if (/^[0-9a-fA-F]{1,12}$/.test(txTime)) return Number.parseInt(txTime, 16);
  return undefined;
}

/** What verifySignature needs: the URL's parameters and the domain's auth settings. */
export interface SignatureInput {
  readonly streamName: string;
  /** The txTime parameter as received, or undefined if absent. */
  readonly txTime: string | undefined;
  readonly txSecret: string | undefined;
  readonly key: string;
  /** Empty when there is none. */
  readonly backupKey: string;
  readonly authDelta: number;
  readonly algorithm: SignAlgorithm;
  /** The current time in Unix milliseconds. */
  readonly nowMs: number;
}

/** The outcome of a signature check, in the order the checks run (18/500, 18/501, 18/502, 18/503). */
export type SignatureCheck =
  | { readonly ok: true; readonly keyUsed: 'master' | 'backup'; readonly expiresAt: number }
  | { readonly ok: false; readonly problem: 'txTime-missing' }
  | { readonly ok: false; readonly problem: 'txTime-invalid'; readonly txTime: string }
  | { readonly ok: false; readonly problem: 'expired'; readonly txTime: string; readonly expiresAt: number }
  | { readonly ok: false; readonly problem: 'txSecret-missing' }
  | { readonly ok: false; readonly problem: 'mismatch'; readonly txTime: string };

/**
 * Checks a signed URL. `expiresAt` is txTime + AuthDelta in Unix milliseconds; a URL is still valid
 * at that very moment and expired one millisecond later ("reject when now > txTime + AuthDelta").
 */
export function verifySignature(input: SignatureInput): SignatureCheck {
  const { txTime, txSecret } = input;
  if (txTime === undefined || txTime === '') return { ok: false, problem: 'txTime-missing' };
  const seconds = parseTxTime(txTime);
  if (seconds === undefined) return { ok: false, problem: 'txTime-invalid', txTime };
  const expiresAt = (seconds + input.authDelta) * 1000;
  if (input.nowMs > expiresAt) return { ok: false, problem: 'expired', txTime, expiresAt };
  if (txSecret === undefined || txSecret === '') return { ok: false, problem: 'txSecret-missing' };
  // Both keys are always hashed and compared, so the time taken does not say which one matched.
  const master = sameHex(txSecret, txSecretOf(input.key, input.streamName, txTime, input.algorithm));
  const backup =
    input.backupKey !== '' && sameHex(txSecret, txSecretOf(input.backupKey, input.streamName, txTime, input.algorithm));
  if (master) return { ok: true, keyUsed: 'master', expiresAt };
  if (backup) return { ok: true, keyUsed: 'backup', expiresAt };
  return { ok: false, problem: 'mismatch', txTime };
}

/** Constant-time comparison of a received txSecret (any hex case) with a lowercase digest. */
function sameHex(received: string, expected: string): boolean {
  const a = Buffer.from(received.toLowerCase(), 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // timingSafeEqual needs equal lengths; the expected length is public, so an early out leaks nothing.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** How to sign a URL. */
export interface SignOptions {
  readonly streamName: string;
  readonly key: string;
  /** The expiry written as txTime, in Unix seconds. */
  readonly expiresAt: number;
  readonly algorithm?: SignAlgorithm;
}

/** The `txSecret=...&txTime=...` query of a signed URL. */
export function signQuery(options: SignOptions): string {
  const txTime = formatTxTime(options.expiresAt);
  const txSecret = txSecretOf(options.key, options.streamName, txTime, options.algorithm);
  return `txSecret=${txSecret}&txTime=${txTime}`;
}

/** Appends the signature query to a URL that may already have a query. */
export function signUrl(url: string, options: SignOptions): string {
  return `${url}${url.includes('?') ? '&' : '?'}${signQuery(options)}`;
}
