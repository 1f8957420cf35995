/**
 * Checklist step 4 (tencent-css.md §1.2, §6): txSecret is present and equals HASH(key + StreamName +
 * txTime) with the domain's master or backup key; when it does not, the usual mistake is named.
 * Keys and correct signatures are never part of the output.
 */
import type { Domain } from '../../store/store.ts';
import { breakCodes } from '../break-codes.ts';
import { parseTxTime, txSecretOf } from '../signing.ts';
import { check, type DoctorCheck } from './doctor-check.ts';
import { findSignatureMistake } from './signature-mistakes.ts';
import type { PushTarget } from './push-target.ts';

/** Judges the URL's txSecret; `others` are every domain, for naming a key that belongs elsewhere. */
export function txSecretCheck(
  t: PushTarget,
  domain: Domain | undefined,
  others: readonly Domain[],
  signCommand: string,
): DoctorCheck {
  if (!domain) return check('txSecret', 'warn', 'not checked: no push domain serves this URL (see Push domain)');
  const auth = domain.auth;
  const signAgain = `sign the URL again: ${signCommand}`;
  if (!auth.enabled)
    return check('txSecret', 'pass', `push authentication is off for ${domain.name}, so txSecret is not checked`);
  if (t.txSecret === undefined || t.txSecret === '') {
    return check(
      'txSecret',
      'fail',
      `the URL has no txSecret; push authentication is on for ${domain.name}`,
      signAgain,
      breakCodes.txSecretMissing,
    );
  }
  const txTime = t.txTime;
  if (txTime === undefined || parseTxTime(txTime) === undefined) {
    return check(
      'txSecret',
      'warn',
      'not checked: txSecret signs txTime, and txTime is missing or unreadable (see txTime)',
      signAgain,
    );
  }
  // Expiry is txTime's check; the signature is judged on its own, so a URL with both faults shows both.
  const received = t.txSecret.toLowerCase();
  const signs = (key: string): boolean => key !== '' && txSecretOf(key, t.stream, txTime, auth.algorithm) === received;
  const formula = `${auth.algorithm.toUpperCase()}(key + "${t.stream}" + "${txTime}")`;
  if (signs(auth.key)) return check('txSecret', 'pass', `matches ${formula} with the master key of ${domain.name}`);
  if (signs(auth.backupKey)) {
    return check(
      'txSecret',
      'pass',
      `matches ${formula} with the backup key of ${domain.name} (backup key in use)`,
      'when the key rotation is done, sign new URLs with the master key and then clear the backup key',
    );
  }
  // MD5 gives 32 hex digits and SHA-256 64; any other length was cut or padded on its way into the URL.
  if (!/^(?:[0-9a-f]{32}|[0-9a-f]{64})$/.test(received)) {
    const digits = auth.algorithm === 'md5' ? 32 : 64;
    return check(
      'txSecret',
      'fail',
      `txSecret has ${t.txSecret.length} characters; ${auth.algorithm === 'md5' ? 'an MD5' : 'a SHA256'} txSecret is ${digits} hex digits (cut or padded when copied?)`,
      signAgain,
      breakCodes.signatureInvalid,
    );
  }
  const mistake = findSignatureMistake({
    txSecret: t.txSecret,
    txTime,
    app: t.app,
    stream: t.stream,
    host: t.host,
    domain,
    others,
  });
  if (mistake) {
    return check(
      'txSecret',
      'fail',
      `does not match ${formula} for ${domain.name}: ${mistake.detail}`,
      mistake.fix,
      breakCodes.signatureInvalid,
    );
  }
  const keys = auth.backupKey === '' ? 'its key' : 'its master or backup key';
  return check(
    'txSecret',
    'fail',
    `does not match ${formula} with ${keys} of ${domain.name}, nor any usual mistake (other domain's key, play key, txTime form, AppName or domain in the signed string, whitespace): the key or StreamName used to sign differs`,
    `copy the current push key of ${domain.name} (openlive domain show ${domain.name} --show-keys) into the signer, or use ${signCommand}`,
    breakCodes.signatureInvalid,
  );
}
