/**
 * The stream id of an SRT caller as an admission request (control/admission-request.ts srtRequest), and
 * whether it publishes or plays. Tencent's push form `#!::h=domain,r=App/Stream,txSecret=…,txTime=…`
 * names no mode, and neither does a bare `App/Stream?query`: both publish. Only an explicit `m=request`
 * (SRT Access Control) plays.
 */
import { srtRequest, type AdmissionRequest } from '../../control/admission-request.ts';

/** The request and the mode a stream id asks for, or undefined when it names no app and stream. */
export function parseStreamId(
  raw: string,
  clientIp: string,
): { request: AdmissionRequest; mode: 'publish' | 'request' } | undefined {
  const streamId = unescapeStreamId(raw);
  const r = srtRequest(streamId, clientIp);
  if (!r) return undefined;
  const { mode: _ignored, ...request } = r;
  return { request, mode: explicitMode(streamId) ?? 'publish' };
}

/** The `m=` key of a `#!::` stream id, if it has one. */
function explicitMode(streamId: string): 'publish' | 'request' | undefined {
  if (!streamId.startsWith('#!::')) return undefined;
  for (const pair of streamId.slice(4).split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === 'm')
      return pair.slice(eq + 1).trim() === 'publish' ? 'publish' : 'request';
  }
  return undefined;
}

/**
 * ffmpeg passes `streamid=` from the URL as written, so a user who percent-encoded it
 * (`streamid=%23!%3A%3Ah%3D...`, as URL builders do) sends the escapes: decoded here when it is the `#!::` form.
 */
export function unescapeStreamId(streamId: string): string {
  if (!/^%23(!|%21)/i.test(streamId)) return streamId;
  try {
    return decodeURIComponent(streamId);
  } catch {
    return streamId;
  }
}
