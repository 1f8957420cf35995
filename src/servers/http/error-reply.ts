/** The JSON body of every HTTP error: a stable code and a sentence, mapped from LiveError in one place. */
import { httpStatusOf, LiveError, toLiveError, type ErrorCode } from '../../errors.ts';

/** An HTTP error body. */
export interface ErrorBody {
  readonly code: string;
  readonly message: string;
}

/** Turns any thrown value into the JSON error body. */
export function errorBody(err: unknown): ErrorBody {
  const live = toLiveError(err);
  return { code: live.code, message: live.message };
}

/**
 * Playback codes whose HTTP status is not their kind's: the server is full (503, retry elsewhere or
 * later; RFC 9110 §15.6.4), HLS_NOT_READY per RFC 8216bis §6.2.5.2, and the sizes with their own status.
 */
const statusOfCode: Partial<Record<ErrorCode, number>> = {
  HLS_NOT_READY: 503,
  HLS_WAITERS_FULL: 503,
  FLV_WAITERS_FULL: 503,
  HTTP_QUERY_TOO_LARGE: 414,
  HTTP_BODY_TOO_LARGE: 413,
  HTTP_UNSUPPORTED_MEDIA_TYPE: 415,
};

/** The HTTP status of an error on the playback listener. */
export function playbackStatusOf(err: unknown): number {
  return statusOfCode[toLiveError(err).code] ?? httpStatusOf(err);
}

/** Headers of a refusal a client may retry (429, 503): when to come back. */
export function retryHeaders(status: number): Record<string, string> {
  return status === 429 || status === 503 ? { 'retry-after': '1' } : {};
}

/**
 * fastify's own refusal of a request (an `FST_ERR_*` code: a content type no route parses, a malformed or
 * empty JSON body, a bad Content-Length) as a stable code, so no framework code reaches a response body;
 * undefined for anything else. Only WHIP/WHEP offers (application/sdp) carry a body on the playback port.
 */
export function frameworkRefusal(err: { code?: string; statusCode?: number; message: string }): LiveError | undefined {
  if (!err.code?.startsWith('FST_')) return undefined;
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return new LiveError(
      'HTTP_UNSUPPORTED_MEDIA_TYPE',
      'the playback port takes a body only as an SDP offer (content-type: application/sdp)',
    );
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new LiveError('HTTP_BODY_TOO_LARGE', err.message);
  if ((err.statusCode ?? 500) < 500)
    return new LiveError('HTTP_BAD_REQUEST', `the request is malformed: ${err.message}`);
  return undefined;
}
