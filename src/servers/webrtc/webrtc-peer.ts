/**
 * The werift side of one WHIP or WHEP session: a peer connection that answers the client's offer with
 * H.264 (packetization-mode 1) and Opus, gathers its host candidates before answering (werift has no
 * trickle on an answerer; on the single port the ICE-lite server needs none, docs/webrtc.md), and reports when ICE + DTLS connect and when they drop. With
 * the single port (`webrtc.singlePort`, the default) it is an ICE-lite agent on the shared socket
 * (mux-transport.ts) whose answer carries one candidate per announced address on `webrtc.port` (and a
 * passive ICE-TCP one on `webrtc.tcpPort`); without,
 * werift binds its own port from `minPort..maxPort` and `webrtc.publicIps` become extra candidates.
 * werift does SRTP, DTLS, NACK retransmission (sender cache) and NACK requests (receiver); the media side
 * is protocol/rtp.
 */
import { networkInterfaces } from 'node:os';
import type * as Werift from 'werift';
import type { RTCPeerConnection } from 'werift';
import { LiveError } from '../../errors.ts';
import { lazyModule } from '../../lazy-module.ts';
import {
  hostCandidateLines,
  iceCredentials,
  withHostCandidates,
  withoutCandidates,
} from '../../protocol/sdp/ice-candidates.ts';
import { attachToMux, type IceSession } from './mux-transport.ts';
import { installSrtpIndexEstimate } from './srtp-index-patch.ts';
import { importSrtpKeys } from './srtp-keys.ts';
import type { TcpMux } from './tcp-mux.ts';
import type { UdpMux } from './udp-mux.ts';

/** werift is loaded with the first session: a server with WebRTC off never loads it. */
const werift = lazyModule<typeof Werift>('werift');

/** The `webrtc.*` keys a peer needs. */
export interface PeerOptions {
  readonly minPort: number;
  readonly maxPort: number;
  readonly publicIps: readonly string[];
  /** The bind address of the single port (`webrtc.host`; absent = all). */
  readonly host?: string;
}

/** The shared socket a peer goes on, when `webrtc.singlePort`. */
export type PeerMux = UdpMux | undefined;

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
export function createPeer(o: PeerOptions, mux?: PeerMux): RTCPeerConnection {
  // werift's rollover guess loses a WHIP publisher for good after a loss burst across the wrap.
  installSrtpIndexEstimate(werift());
  const pc = newPeer(o, mux);
  // SRTP keys as KeyObjects once DTLS has made them: werift would import them again for every packet.
  pc.connectionStateChange.subscribe((state) => {
    if (state === 'connected') for (const d of pc.dtlsTransports) importSrtpKeys(d);
  });
  return pc;
}

function newPeer(o: PeerOptions, mux: PeerMux): RTCPeerConnection {
  if (mux) {
    return new (werift().RTCPeerConnection)({
      codecs: { video: [h264()], audio: [opus()] },
      bundlePolicy: 'max-bundle',
      // RFC 8445 §2.5: a lite server only answers checks, so it sends nothing before the client does.
      iceLite: true,
      // One host candidate on an ephemeral loopback port, replaced by the shared socket before the answer.
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceInterfaceAddresses: { udp4: '127.0.0.1' },
    });
  }
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
export async function applyOffer(pc: RTCPeerConnection, sdp: string, mux: PeerMux): Promise<void> {
  try {
    // On the mux werift learns the client's address from its checks (peer-reflexive); the offer's own
    // candidates would only make werift resolve mDNS names on a socket of its own.
    await pc.setRemoteDescription({ type: 'offer', sdp: mux ? withoutCandidates(sdp) : sdp });
  } catch (err) {
    throw new LiveError(
      'WEBRTC_SDP_INVALID',
      `the SDP offer cannot be applied: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** Where a session's answer points and what the mux calls when its client goes silent. */
export interface AnswerContext {
  readonly mux: PeerMux;
  /** The ICE-TCP listener (`webrtc.tcp`), whose passive candidates join the UDP ones. */
  readonly tcp?: TcpMux;
  /** The SDP offer as the client sent it (its ice-ufrag keys the session on the mux). */
  readonly offer: string;
  /** The local address the signalling request arrived on (announced when no publicIps and host 0.0.0.0). */
  readonly serverIp: string;
  readonly onSilent: () => void;
}

/** An answer and, on the shared ports, the session there and its candidate lines (an ICE restart re-announces them). */
export interface Answer {
  readonly sdp: string;
  readonly mux: IceSession | undefined;
  readonly candidates: readonly string[];
}

/**
 * Creates the answer, waits for candidate gathering, and returns the SDP to send: on the mux, with one
 * candidate per announced address on the shared port (and on the TCP port); else werift's candidates
 * plus the public addresses.
 */
export async function answer(pc: RTCPeerConnection, o: PeerOptions, c: AnswerContext): Promise<Answer> {
  const a = await pc.createAnswer();
  await pc.setLocalDescription(a);
  if (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.watch((s) => s === 'complete');
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw new LiveError('INTERNAL', 'werift produced no local description');
  if (!c.mux) return { sdp: withPublicIps(sdp, o.publicIps), mux: undefined, candidates: [] };
  const server = iceCredentials(sdp);
  const client = iceCredentials(c.offer);
  if (!server) throw new LiveError('INTERNAL', 'werift answered without ICE credentials');
  if (!client) throw new LiveError('WEBRTC_SDP_INVALID', 'the offer has no a=ice-ufrag and a=ice-pwd');
  const session = await attachToMux(
    pc,
    c.mux,
    { serverUfrag: server.ufrag, serverPassword: server.pwd, clientUfrag: client.ufrag, onSilent: c.onSilent },
    c.tcp,
  );
  const port = c.mux.port;
  const addresses = announcedIps(o, c.serverIp).map((ip) => ({ ip, port }));
  return {
    sdp: withHostCandidates(sdp, addresses, c.tcp?.port),
    mux: session,
    candidates: hostCandidateLines(addresses, c.tcp?.port),
  };
}

/**
 * The addresses the single port is announced at: `webrtc.publicIps`; else `webrtc.host` when it is one
 * address; else the address the client reached the HTTP listener at (it routes to this machine); else,
 * for an IPv6 signalling address (the socket is IPv4), every IPv4 interface address.
 */
export function announcedIps(o: Pick<PeerOptions, 'publicIps' | 'host'>, serverIp: string): string[] {
  if (o.publicIps.length > 0) return [...o.publicIps];
  if (o.host !== undefined && o.host !== '0.0.0.0' && o.host !== '') return [o.host];
  const ip = serverIp.startsWith('::ffff:') ? serverIp.slice(7) : serverIp;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ip) && ip !== '0.0.0.0') return [ip];
  const all = Object.values(networkInterfaces())
    .flat()
    .filter((i) => i?.family === 'IPv4')
    .sort((x, y) => Number(x!.internal) - Number(y!.internal))
    .map((i) => i!.address);
  return all.length > 0 ? all : ['127.0.0.1'];
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
