/**
 * The stream id of an SRT caller as an admission request (control/admission-request.ts srtRequest), and
 * whether it publishes, plays or only probes. Tencent's push form `#!::h=domain,r=App/Stream,txSecret=…,txTime=…`
 * names no mode, and neither does a bare `App/Stream?query`: both publish. Only an explicit `m=request`
 * (SRT Access Control) plays. `m=probe` is the doctor's (servers/srt/srt-probe.ts): the listener answers
 * the handshake without publishing; other servers read an unknown mode as `request`, which takes no stream either.
 * The listener (servers/srt) and the doctor (control/doctor) share this parser, so they read a stream id alike.
 */
import { srtRequest, type AdmissionRequest } from './admission-request.ts';

/** What a stream id asks for. */
export type SrtMode = 'publish' | 'request' | 'probe';

/**
 * The rejection reason openlive's listener answers a probe it would hand to admission: libsrt leaves
 * 2000 and above to applications (SRT_REJC_USERDEFINED), so no encoder confuses it with a refusal.
 */
export const srtProbeReason = 2000;

/** The request and the mode a stream id asks for, or undefined when it names no app and stream. */
export function parseStreamId(raw: string, clientIp: string): { request: AdmissionRequest; mode: SrtMode } | undefined {
  const streamId = unescapeStreamId(raw);
  const r = srtRequest(streamId, clientIp);
  if (!r) return undefined;
  const { mode: _ignored, ...request } = r;
  return { request, mode: explicitMode(streamId) ?? 'publish' };
}

/** The stream id as the doctor's probe sends it: the same keys in the `#!::` form, with `m=probe`. */
export function probeStreamId(raw: string): string {
  const streamId = unescapeStreamId(raw);
  if (!streamId.startsWith('#!::')) return `#!::r=${streamId},m=probe`;
  const pairs = streamId
    .slice(4)
    .split(',')
    .filter((pair) => pair.slice(0, pair.indexOf('=')).trim() !== 'm');
  return `#!::${[...pairs, 'm=probe'].join(',')}`;
}

/** The `m=` key of a `#!::` stream id, if it has one. */
function explicitMode(streamId: string): SrtMode | undefined {
  if (!streamId.startsWith('#!::')) return undefined;
  for (const pair of streamId.slice(4).split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === 'm') {
      const value = pair.slice(eq + 1).trim();
      return value === 'publish' || value === 'probe' ? value : 'request';
    }
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
