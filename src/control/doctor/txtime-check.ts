/**
 * Checklist step 3 (tencent-css.md §1.5, §6): txTime is present, parses (hex or decimal), has not
 * expired (txTime + AuthDelta), and leaves enough time: Tencent advises signing 12 to 24 hours
 * ahead, longer than a session, because an encoder that reconnects after expiry is refused.
 */
import type { Domain } from '../../store/store.ts';
import { breakCodes, isoSeconds, quoted } from '../break-codes.ts';
import { parseTxTime } from '../signing.ts';
import { check, span, type DoctorCheck } from './doctor-check.ts';

/** Below this much validity left, a reconnect later in a session will be refused. */
export const shortValidityMs = 12 * 3600 * 1000;
/** Below this, the URL was made to live only minutes. */
const minutesMs = 3600 * 1000;

/** Judges the URL's txTime for the push domain that serves it. */
export function txTimeCheck(
  txTime: string | undefined,
  domain: Domain | undefined,
  nowMs: number,
  signCommand: string,
): DoctorCheck {
  if (!domain) return check('txTime', 'warn', 'not checked: no push domain serves this URL (see Push domain)');
  const auth = domain.auth;
  const signAgain = `sign a new URL 12 to 24 hours ahead: ${signCommand}`;
  if (!auth.enabled) {
    return check(
      'txTime',
      'pass',
      `push authentication is off for ${domain.name}, so txTime is not needed${txTime ? ' (it is ignored)' : ''}`,
    );
  }
  if (txTime === undefined || txTime === '') {
    return check(
      'txTime',
      'fail',
      `the URL has no txTime; push authentication is on for ${domain.name}`,
      signAgain,
      breakCodes.txTimeMissing,
    );
  }
  const seconds = parseTxTime(txTime);
  if (seconds === undefined) {
    return check(
      'txTime',
      'fail',
      `txTime ${quoted(txTime, 16)} is neither hex (5C271099) nor decimal Unix seconds`,
      signAgain,
      breakCodes.txTimeMissing,
    );
  }
  const form = /^[0-9]{10,13}$/.test(txTime) ? 'decimal' : 'hex';
  const txMs = seconds * 1000;
  const expiresAt = txMs + auth.authDelta * 1000;
  const until = `txTime ${txTime} (${form}) = ${isoSeconds(txMs)}, plus AuthDelta ${auth.authDelta} s`;
  if (nowMs > expiresAt) {
    return check(
      'txTime',
      'fail',
      `the URL expired at ${isoSeconds(expiresAt)}, ${span(nowMs - expiresAt)} ago (${until})`,
      signAgain,
      breakCodes.txTimeExpired,
    );
  }
  const left = expiresAt - nowMs;
  // A common slip: writing the signing time as txTime, which is the expiry; only AuthDelta then keeps the URL alive.
  if (txMs <= nowMs) {
    return check(
      'txTime',
      'warn',
      `txTime is ${span(nowMs - txMs)} in the past: txTime is the expiry time, not the signing time; only AuthDelta keeps the URL valid, for ${span(left)} more (until ${isoSeconds(expiresAt)})`,
      signAgain,
    );
  }
  if (left < shortValidityMs) {
    const how = left < minutesMs ? 'the URL was made to live only minutes: it ' : '';
    return check(
      'txTime',
      'warn',
      `${how}expires in ${span(left)} (at ${isoSeconds(expiresAt)}, ${until}); a reconnect after that is refused with 18/501`,
      signAgain,
    );
  }
  return check('txTime', 'pass', `valid until ${isoSeconds(expiresAt)}, ${span(left)} from now (${until})`);
}
