/**
 * The sentences behind every break code: short, starting with the code, saying what to do, so that
 * ffmpeg's "Server error: ..." line, the records and the console all tell the same story.
 */
import type { ErrorCode } from '../errors.ts';
import type { Refusal } from './access.ts';
import { breakCodes, isoSeconds, quoted, sentence } from './break-codes.ts';
import type { SignatureCheck } from './signing.ts';

export type { Refusal };

/** Builds a refusal from its codes and text. */
export function refusal(code: ErrorCode, breakCode: string, text: string): Refusal {
  return { allowed: false, code, breakCode, reason: sentence(breakCode, text) };
}

/** 18/601: a second publisher of a live stream; the RTMP server refuses it after a failed claim. */
export function duplicatePublisher(app: string, stream: string): Refusal {
  return refusal(
    'STREAM_ALREADY_PUBLISHING',
    breakCodes.duplicatePublisher,
    `${quoted(`${app}/${stream}`)} is already being published; stop the other encoder or use another stream name`,
  );
}

/** 21/100: the operator dropped the publisher. */
export function droppedReason(): string {
  return sentence(breakCodes.dropped, 'the operator dropped this stream; reconnecting is allowed');
}

/** 21/101: the operator forbade the stream while it was live. */
export function forbiddenDropReason(until: number, why: string): string {
  return sentence(
    breakCodes.forbidden,
    `the operator forbade this stream until ${isoSeconds(until)}${why ? `: ${why}` : ''}`,
  );
}

/** 21/102: a newcomer with a valid signature replaced this publisher. */
export function replacedReason(clientIp: string): string {
  return sentence(breakCodes.replaced, `a new publisher from ${clientIp} replaced this one`);
}

/** 20/0: no media arrived for `idleMs`. */
export function noDataReason(idleMs: number): string {
  return sentence(
    breakCodes.noData,
    `no media for ${Math.round(idleMs / 1000)} s; the publisher was dropped so it can reconnect`,
  );
}

/** 1/0: the encoder stopped. */
export function clientStoppedReason(): string {
  return sentence(breakCodes.clientStopped, 'the encoder stopped publishing');
}

/** The refusal for a failed signature check of a push or play URL. */
export function signatureRefusal(
  check: Extract<SignatureCheck, { ok: false }>,
  action: 'push' | 'play',
  streamName: string,
  authDelta: number,
  algorithm: string,
): Refusal {
  const url = `the ${action} URL`;
  switch (check.problem) {
    case 'txTime-missing':
      return refusal(
        'TXTIME_MISSING',
        breakCodes.txTimeMissing,
        `${url} has no txTime; authentication is on, sign it (openlive url)`,
      );
    case 'txTime-invalid':
      return refusal(
        'TXTIME_INVALID',
        breakCodes.txTimeMissing,
        `txTime ${quoted(check.txTime, 16)} is not a Unix time in hex (e.g. 5C271099) or decimal; sign the URL again`,
      );
    case 'expired':
      return refusal(
        'TXTIME_EXPIRED',
        breakCodes.txTimeExpired,
        `${url} expired at ${isoSeconds(check.expiresAt)} (txTime ${check.txTime} + ${authDelta} s); generate a new URL`,
      );
    case 'txSecret-missing':
      return refusal(
        'TXSECRET_MISSING',
        breakCodes.txSecretMissing,
        `${url} has no txSecret; authentication is on, sign it`,
      );
    case 'mismatch':
      return refusal(
        'SIGNATURE_INVALID',
        breakCodes.signatureInvalid,
        `txSecret is not ${algorithm.toUpperCase()}(key + ${quoted(streamName, 32)} + "${check.txTime}") for this domain's key; check the key`,
      );
  }
}

/** 18/308 or 18/309: a stream or app name (or its query) over the RTMP name limits, refused before the access check. */
export function nameLimitRefusal(code: ErrorCode, message: string): Refusal {
  return refusal(code, breakCodes.streamNameInvalid, `${code}: ${message}`);
}

/** 18/100: the process is at its memory budget; new publishers and players wait until it frees. */
export function overloadedRefusal(code: ErrorCode, message: string): Refusal {
  return refusal(code, breakCodes.internal, `${code}: ${message}; try again shortly or another node`);
}
