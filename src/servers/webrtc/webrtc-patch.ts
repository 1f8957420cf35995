/**
 * PATCH of a WHIP/WHEP session URL (RFC 9725 §4.3) on the shared ports. Trickle ICE: the server is an
 * ICE-lite answerer and learns the client's addresses from its checks, so a well-formed fragment with the
 * session's current credentials is accepted (204) and its candidates are not needed. ICE restart
 * (RFC 9725 §4.3.2): a fragment with new `a=ice-ufrag`/`a=ice-pwd` gets new server credentials, the
 * session re-registered under them on the UDP and TCP muxes, and 200 with the answer fragment; media keeps
 * flowing on the old pair until the client nominates a new one. The ETag (RFC 9110 §8.8.3) names the ICE
 * generation: `If-Match` with another tag is 412, with `*` (or absent) any request is judged on its ufrag.
 */
import { randomBytes } from 'node:crypto';
import { LiveError } from '../../errors.ts';
import { answerFragment, parseTrickleFragment } from '../../protocol/sdp/trickle-fragment.ts';
import type { IceSession } from './mux-transport.ts';
import type { Answer } from './webrtc-peer.ts';

/** The ICE side of a session on the shared ports, as PATCH changes it. */
export interface SessionIce {
  readonly session: IceSession;
  /** The client's current credentials, and those of earlier generations (a late trickle for them is 409). */
  client: { ufrag: string; pwd: string };
  readonly earlierUfrags: Set<string>;
  /** The current generation's entity tag, quoted. */
  etag: string;
  /** The server's candidate lines (unchanged by a restart: the same ports) and the first media section's mid. */
  readonly candidates: readonly string[];
  readonly mid: string;
}

/** The reply to a PATCH before it becomes HTTP. */
export type PatchReply =
  | { readonly status: 204; readonly etag: string }
  | { readonly status: 200; readonly etag: string; readonly fragment: string }
  | { readonly status: number; readonly error: LiveError };

/** A new quoted entity tag. */
export function newEtag(): string {
  return `"${randomBytes(9).toString('base64url')}"`;
}

/** The ICE state of a session answered on the shared ports (`offer`: the client's SDP, its credentials). */
export function sessionIce(answered: Answer, offer: { ufrag: string; pwd: string }): SessionIce | undefined {
  if (!answered.mux) return undefined;
  return {
    session: answered.mux,
    client: { ...offer },
    earlierUfrags: new Set(),
    etag: newEtag(),
    candidates: answered.candidates,
    mid: /^a=mid:(\S+)/m.exec(answered.sdp)?.[1] ?? '0',
  };
}

/** Judges a PATCH of a session with `ice` (undefined: werift's own ICE agent, 405). */
export function patchIce(ice: SessionIce | undefined, body: unknown, ifMatch: string | undefined): PatchReply {
  if (!ice) {
    return {
      status: 405,
      error: new LiveError(
        'WEBRTC_PATCH_UNSUPPORTED',
        'trickle ICE and ICE restarts need the single port (webrtc.singlePort): send every candidate in the offer',
      ),
    };
  }
  const f = typeof body === 'string' ? parseTrickleFragment(body) : undefined;
  if (!f) {
    return {
      status: 400,
      error: new LiveError(
        'WEBRTC_SDP_INVALID',
        'the body must be an application/trickle-ice-sdpfrag with a=ice-ufrag and a=ice-pwd (RFC 8840)',
      ),
    };
  }
  const tag = ifMatch?.trim();
  if (tag !== undefined && tag !== '*' && tag !== ice.etag) {
    return {
      status: 412,
      error: new LiveError('WEBRTC_ETAG_MISMATCH', `If-Match ${tag} is not the session's current ETag ${ice.etag}`),
    };
  }
  const conflict = (why: string): PatchReply => ({ status: 409, error: new LiveError('WEBRTC_ICE_MISMATCH', why) });
  if (f.ufrag === ice.client.ufrag) {
    if (f.pwd !== ice.client.pwd) return conflict('the fragment has the current ice-ufrag with another ice-pwd');
    return { status: 204, etag: ice.etag };
  }
  if (ice.earlierUfrags.has(f.ufrag)) return conflict('the fragment is for an ICE generation that was restarted');
  if (f.pwd === ice.client.pwd) return conflict('an ICE restart needs a new ice-pwd as well as a new ice-ufrag');
  if (tag !== undefined && tag !== '*') {
    return conflict('new ICE credentials under a specific ETag: an ICE restart is sent with If-Match: *');
  }
  const local = ice.session.restart({ ufrag: f.ufrag, pwd: f.pwd });
  ice.earlierUfrags.add(ice.client.ufrag);
  // Bounded: a client restarting in a loop keeps only its last few generations' ufrags.
  if (ice.earlierUfrags.size > 8) ice.earlierUfrags.delete(ice.earlierUfrags.values().next().value as string);
  ice.client = { ufrag: f.ufrag, pwd: f.pwd };
  ice.etag = newEtag();
  return {
    status: 200,
    etag: ice.etag,
    fragment: answerFragment({ ufrag: local.ufrag, pwd: local.pwd, mid: ice.mid, candidates: ice.candidates }),
  };
}
