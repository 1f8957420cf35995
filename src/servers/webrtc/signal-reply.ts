/** What a WHIP/WHEP offer is answered with, before it becomes an HTTP reply, and the status of a refusal. */
import { httpStatusOf, LiveError, type ErrorCode } from '../../errors.ts';

/** The answer to a WHIP/WHEP request, before it becomes an HTTP reply. */
export type SignalReply =
  | { readonly status: 201; readonly sdp: string; readonly location: string; readonly etag?: string | undefined }
  | { readonly status: number; readonly error: { code: string; message: string; breakCode?: string } };

/** The path prefix of session URLs (`Location`). */
export const sessionPath = '/webrtc/session/';

/** HTTP status of a WHIP/WHEP refusal: a full server is 503 (RFC 9725 §4.6 lets a client retry later). */
export function statusOf(code: ErrorCode): number {
  if (code === 'WEBRTC_SESSION_LIMIT' || code === 'STREAM_CLOSED') return 503;
  // A missing, expired or wrong signature is 401 (RFC 9725 §4.5: the bearer token is the credential);
  // the other refusals (unknown domain, forbidden stream) are 403, 18/601 is 409: their kinds' statuses.
  if (authCodes.has(code)) return 401;
  return httpStatusOf(new LiveError(code, ''));
}

const authCodes = new Set<ErrorCode>([
  'TXTIME_MISSING',
  'TXTIME_INVALID',
  'TXTIME_EXPIRED',
  'TXSECRET_MISSING',
  'SIGNATURE_INVALID',
]);
