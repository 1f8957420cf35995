/**
 * The signature of every Tencent CSS event callback (tencent-css.md §4.2): `t` is when the callback
 * stops being valid (the event time + 10 minutes, in Unix seconds) and `sign = MD5(CallbackKey + t)` in
 * lowercase hex, so a receiver holding the key can reject forged and replayed callbacks.
 */
import { createHash } from 'node:crypto';

/** Seconds a callback stays valid after its event ("default validity period ... 10 minutes"). */
export const callbackValiditySeconds = 600;

/** The `t` of a callback for an event at `eventTimeSeconds`. */
export function callbackExpiry(eventTimeSeconds: number): number {
  return eventTimeSeconds + callbackValiditySeconds;
}

/** `MD5(key + t)` as lowercase hex; `t` is spliced in decimal, as Tencent's receivers compute it. */
export function callbackSign(key: string, t: number): string {
  return createHash('md5').update(`${key}${t}`, 'utf8').digest('hex');
}

/** Whether a received callback's `t` and `sign` are valid for `key` at `nowSeconds` (for receivers and tests). */
export function verifyCallbackSign(key: string, t: number, sign: string, nowSeconds: number): boolean {
  return nowSeconds <= t && callbackSign(key, t) === sign.toLowerCase();
}
