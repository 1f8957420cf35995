/**
 * The shape checks a playback request passes before it is routed or its query parsed: a bounded
 * query (length and parameter count, counted in one pass without parsing, so a query bomb costs
 * linear time) and no body (playback takes none; an unread body would hold the socket).
 */
import type { IncomingMessage } from 'node:http';
import { LiveError } from '../../errors.ts';

/** The `http.maxQueryBytes` and `http.maxQueryParams` keys. */
export interface RequestShapeLimits {
  readonly maxQueryBytes: number;
  readonly maxQueryParams: number;
}

/** The refusal of a request whose query or body is out of bounds, undefined when it passes. */
export function checkRequestShape(
  req: IncomingMessage,
  limits: RequestShapeLimits,
  allowBody = false,
): LiveError | undefined {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q >= 0) {
    const length = url.length - q - 1;
    if (length > limits.maxQueryBytes) {
      return new LiveError(
        'HTTP_QUERY_TOO_LARGE',
        `the query is ${length} bytes, more than http.maxQueryBytes (${limits.maxQueryBytes})`,
      );
    }
    // URLSearchParams splits on '&' only (WHATWG URL §5.1), so this counts what it would produce.
    let params = 1;
    for (let i = url.indexOf('&', q); i >= 0; i = url.indexOf('&', i + 1)) {
      if (++params > limits.maxQueryParams) {
        return new LiveError(
          'HTTP_QUERY_TOO_LARGE',
          `the query has more than http.maxQueryParams (${limits.maxQueryParams}) parameters`,
        );
      }
    }
  }
  const length = req.headers['content-length'];
  // WHIP/WHEP offers are the one body the playback listener takes (its route caps the size: webrtc.maxSdpBytes).
  if ((!allowBody && length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined) {
    return new LiveError('HTTP_BODY_TOO_LARGE', 'playback requests take no body');
  }
  return undefined;
}
