/**
 * Tencent CSS stream-interruption codes (`errcode/sub_errcode`, tencent-css.md §5.1): why a publish
 * was refused (18/xxx) or why a live publish ended (1–4, 8/20, 21/xxx). Records, callbacks and the
 * sentences sent to encoders all use these strings.
 */
import { Buffer } from 'node:buffer';

/** Every break code openlive reports. */
export const breakCodes = {
  /** The encoder unpublished or closed the connection (Tencent 1–4: "push client actively stopped"). */
  clientStopped: '1/0',
  /** An internal error ended the session (Tencent 5, 9, 11). */
  internalError: '5/0',
  /** The encoder sent bytes that break the RTMP protocol (Tencent 6). */
  protocolError: '6/0',
  /** One message exceeded the configured maximum (Tencent 7). */
  messageTooLarge: '7/0',
  /** The server shut down (Tencent 10: "proxy layer received stop command"). */
  serverStopped: '10/0',
  /** The connection failed (Tencent 12–17: "push link network error"). */
  networkError: '12/0',
  /** The publisher sent no media for too long and was dropped (Tencent 20; 8 is the same from another layer). */
  noData: '20/0',
  /** A decision could not be made (the store failed). */
  internal: '18/100',
  bareIp: '18/300',
  domainUnknown: '18/301',
  domainDisabled: '18/303',
  streamForbidden: '18/305',
  streamNameInvalid: '18/308',
  appNameInvalid: '18/309',
  txTimeMissing: '18/500',
  txTimeExpired: '18/501',
  txSecretMissing: '18/502',
  signatureInvalid: '18/503',
  /** openlive's own: a play refused by the domain's referer list (Tencent answers 403 and documents no break code). */
  refererDenied: '18/320',
  /** A second publisher of a live stream (one publisher per stream). */
  duplicatePublisher: '18/601',
  /** The operator dropped the stream (DropLiveStream). */
  dropped: '21/100',
  /** The operator forbade the stream (ForbidLiveStream). */
  forbidden: '21/101',
  /** A newcomer replaced the publisher (per-domain replace policy). */
  replaced: '21/102',
} as const;

/** One of the break codes above. */
export type BreakCode = (typeof breakCodes)[keyof typeof breakCodes];

/** ffmpeg prints an onStatus description as "Server error: <description>" and keeps 255 bytes of it. */
export const maxSentenceBytes = 255;

/** `"<code>: <text>"`, cut to maxSentenceBytes on a character boundary so the code always survives. */
export function sentence(code: string, text: string): string {
  const full = `${code}: ${text}`;
  if (Buffer.byteLength(full) <= maxSentenceBytes) return full;
  let out = '';
  let bytes = 0;
  for (const ch of full) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxSentenceBytes - 3) break;
    out += ch;
    bytes += n;
  }
  return `${out}...`;
}

/** A time as ISO 8601 to the second, the form the sentences use (`2026-11-25T10:00:00Z`). */
export function isoSeconds(ms: number): string {
  const date = new Date(Math.floor(ms / 1000) * 1000);
  // A txTime of twelve hex digits is past the year 275760, where Date gives up.
  return Number.isNaN(date.getTime())
    ? `${Math.floor(ms / 1000)} s after 1970`
    : date.toISOString().replace('.000Z', 'Z');
}

/** A user-supplied value quoted for a sentence and cut to `max` characters. */
export function quoted(value: string, max = 64): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}...` : value);
}
