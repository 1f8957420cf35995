/**
 * The werift side of one WHIP or WHEP session: a peer connection that answers the client's offer with
 * H.264 (packetization-mode 1) and Opus, gathers its host candidates before answering (werift has no
 * trickle on an answerer, so PATCH is 405), announces `webrtc.publicIps` as extra candidates, and reports
 * when ICE + DTLS connect and when they drop. werift does SRTP, DTLS, NACK retransmission (sender cache)
 * and NACK requests (receiver); the media side is protocol/rtp.
 */
import type * as Werift from 'werift';
import type { RTCPeerConnection } from 'werift';
import { LiveError } from '../../errors.ts';
import { lazyModule } from '../../lazy-module.ts';

/** werift is loaded with the first session: a server with WebRTC off never loads it. */
const werift = lazyModule<typeof Werift>('werift');

/** The `webrtc.*` keys a peer needs. */
export interface PeerOptions {
  readonly minPort: number;
  readonly maxPort: number;
  readonly publicIps: readonly string[];
}

/** H.264 Constrained Baseline / packetization-mode 1 as browsers offer it, with NACK, PLI and FIR (RFC 4585, RFC 5104). */
const h264 = () =>
  new (werift().RTCRtpCodecParameters)({
    mimeType: 'video/H264',
    clockRate: 90000,
    rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
    parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  });
const opus = () => new (werift().RTCRtpCodecParameters)({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 });

/** A new peer connection for one session. */
export function createPeer(o: PeerOptions): RTCPeerConnection {
  return new (werift().RTCPeerConnection)({
    codecs: { video: [h264()], audio: [opus()] },
    bundlePolicy: 'max-bundle',
    // werift: "Minimum port and Maximum port must not be the same value"; both 0 = any port.
    icePortRange: o.minPort > 0 && o.maxPort > o.minPort ? [o.minPort, o.maxPort] : undefined,
    iceUseIpv4: true,
    iceUseIpv6: false,
    // Loopback candidates too: a browser on the server's own machine (tests, a local OBS) reaches it there.
    iceAdditionalHostAddresses: ['127.0.0.1'],
  });
}

/** Applies the offer and returns the answer SDP with every candidate in it; WEBRTC_SDP_INVALID if werift refuses the offer. */
export async function applyOffer(pc: RTCPeerConnection, sdp: string): Promise<void> {
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp });
  } catch (err) {
    throw new LiveError(
      'WEBRTC_SDP_INVALID',
      `the SDP offer cannot be applied: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** Creates the answer, waits for candidate gathering, and returns the SDP to send (public addresses added). */
export async function answer(pc: RTCPeerConnection, publicIps: readonly string[]): Promise<string> {
  const a = await pc.createAnswer();
  await pc.setLocalDescription(a);
  if (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.watch((s) => s === 'complete');
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw new LiveError('INTERNAL', 'werift produced no local description');
  return withPublicIps(sdp, publicIps);
}

/**
 * Adds, for each host candidate line, the same candidate at every public address (a 1:1 NAT forwards the
 * port unchanged), with a lower priority so a reachable private address still wins on a LAN.
 */
export function withPublicIps(sdp: string, publicIps: readonly string[]): string {
  if (publicIps.length === 0) return sdp;
  const lines = sdp.split('\r\n');
  const out: string[] = [];
  for (const line of lines) {
    out.push(line);
    const m = /^a=candidate:(\S+) (\d+) (udp|tcp) (\d+) (\S+) (\d+) typ host(.*)$/i.exec(line);
    if (!m) continue;
    publicIps.forEach((ip, i) => {
      out.push(
        `a=candidate:${m[1]}p${i} ${m[2]} ${m[3]} ${Math.max(1, Number(m[4]) - 1000 - i)} ${ip} ${m[6]} typ host${m[7]}`,
      );
    });
  }
  return out.join('\r\n');
}

/** Whether the offer negotiated H.264 video (`video`) and Opus audio (`audio`) on werift's transceivers. */
export function negotiated(pc: RTCPeerConnection): { video: boolean; audio: boolean } {
  let video = false;
  let audio = false;
  for (const t of pc.getTransceivers()) {
    const names = t.codecs.map((c) => c.mimeType.toLowerCase());
    if (t.kind === 'video' && names.includes('video/h264')) video = true;
    if (t.kind === 'audio' && names.includes('audio/opus')) audio = true;
  }
  return { video, audio };
}
