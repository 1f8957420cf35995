/**
 * Which passphrase a caller's stream needs (srt.passphrase, srt.domainPassphrases) and whether its KMREQ
 * carries keys made from it. libsrt's listener with SRTO_ENFORCEDENCRYPTION (its default) refuses a caller
 * with the wrong passphrase with SRT_REJ_BADSECRET and one without any with SRT_REJ_UNSECURE; so do we.
 */
import { breakCodes } from '../../control/break-codes.ts';
import { refusal } from '../../control/reasons.ts';
import type { Refusal } from '../../control/access.ts';
import { toLiveError, type ErrorCode } from '../../errors.ts';
import { SrtCrypto } from '../../protocol/srt/srt-crypto.ts';
import type { Handshake } from '../../protocol/srt/srt-handshake.ts';
import { RejectReason } from '../../protocol/srt/srt-reject.ts';

/** The encryption settings of the listener. */
export interface SrtEncryptionConfig {
  /** The passphrase of every domain without its own; '' = none. */
  readonly passphrase: string;
  /** Per push domain (the stream id's `h=`), overriding `passphrase`; '' turns encryption off for that domain. */
  readonly domainPassphrases: Readonly<Record<string, string>>;
  /** The key length (bytes) we advertise to callers that set none (libsrt SRTO_PBKEYLEN). */
  readonly pbKeyLen: number;
}

/** What the handshake's key material decided. */
export type KeyDecision =
  | { readonly kind: 'clear' }
  | { readonly kind: 'keyed'; readonly crypto: SrtCrypto; readonly kmrsp: Buffer }
  | { readonly kind: 'refused'; readonly reason: number; readonly refusal: Refusal };

/** True when some domain has a passphrase (the listener then takes KMREQs at all). */
export function anyPassphrase(c: SrtEncryptionConfig): boolean {
  return c.passphrase !== '' || Object.values(c.domainPassphrases).some((p) => p !== '');
}

/** The passphrase for a stream id's host ('' = clear). */
export function passphraseFor(c: SrtEncryptionConfig, host: string): string {
  return Object.hasOwn(c.domainPassphrases, host) ? c.domainPassphrases[host]! : c.passphrase;
}

/** Checks the caller's KMREQ against the passphrase of its domain. */
export function agreeKeys(hs: Handshake, passphrase: string): KeyDecision {
  if (passphrase === '') {
    if (!hs.kmreq) return { kind: 'clear' };
    return refused(
      RejectReason.unsecure,
      'SRT_ENCRYPTION_UNSUPPORTED',
      breakCodes.signatureInvalid,
      'the caller sent a passphrase but its domain has none; remove passphrase= or set srt.passphrase',
    );
  }
  if (!hs.kmreq)
    return refused(
      RejectReason.unsecure,
      'SRT_PASSPHRASE_REQUIRED',
      breakCodes.txSecretMissing,
      'this domain needs an SRT passphrase; add passphrase= to the SRT URL',
    );
  const crypto = new SrtCrypto(passphrase);
  let outcome;
  try {
    outcome = crypto.take(hs.kmreq);
  } catch (err) {
    return refused(
      RejectReason.badSecret,
      'SRT_KEY_MATERIAL_INVALID',
      breakCodes.signatureInvalid,
      toLiveError(err).message,
    );
  }
  if (outcome === 'badCipher')
    return refused(
      RejectReason.badSecret,
      'SRT_PASSPHRASE_WRONG',
      breakCodes.signatureInvalid,
      'the caller asks for AES-GCM; only AES-CTR is served (cryptomode=1)',
    );
  if (outcome === 'badSecret')
    return refused(
      RejectReason.badSecret,
      'SRT_PASSPHRASE_WRONG',
      breakCodes.signatureInvalid,
      'the SRT passphrase is wrong',
    );
  return { kind: 'keyed', crypto, kmrsp: hs.kmreq };
}

function refused(reason: number, code: ErrorCode, breakCode: string, text: string): KeyDecision {
  return { kind: 'refused', reason, refusal: refusal(code, breakCode, `${code}: ${text}`) };
}
