// One load process of bench/whep.ts: `count` werift WHEP viewers of one URL, each counting the RTP bytes and
// the video frames (marker bits) it receives. A child process (fork), so the SRTP decryption of 100 viewers
// is spread over several processes (one process cannot decrypt 100 x 2.5 Mbit/s: docs/webrtc.md).
// The parent sends {start: {url, count}} and then {sample: true}; the worker answers {ready}, {sample}.
// Each POST goes on a new HTTP connection, as separate players' would: with openlive's --workers the
// primary hands each connection to the next worker (a kept-alive connection would put every viewer of
// this process on one worker). Each viewer records its join: the POST, ICE + DTLS connected, first frame.
// Uses werift directly, not src/servers/webrtc, so the load side stays what a browser offers (with a
// browser's SRTP index estimate: srtp-index-patch.ts).
import dgram from 'node:dgram';
import { request } from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import * as werift from 'werift';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { installSrtpIndexEstimate } from '../../src/servers/webrtc/srtp-index-patch.ts';

// A browser's libsrtp estimates the SRTP index as RFC 3711 says; werift's own guess loses a viewer for good
// after a loss of more than 100 packets across the sequence wrap (the viewers that went silent: docs/performance.md).
if (!installSrtpIndexEstimate(werift)) throw new Error('werift has no updateRolloverCount to replace');

/** One viewer's join, in ms from the start of its POST (undefined: not (yet) reached). */
export interface JoinTimes {
  readonly postMs: number;
  connectedMs: number | undefined;
  firstFrameMs: number | undefined;
  /** The worker the session id names (`w2.…`), 0 without workers. */
  readonly worker: number;
  /** The UDP port of the answer's first candidate. */
  readonly port: number;
  /** The session URL path (`Location`): its id names the session in the server's log. */
  readonly session: string;
  /** The peer connection's and its ICE's state changes, `name@seconds` from the POST. */
  readonly states: string[];
  /** ms from the POST to the last RTP packet received, and the packets received. */
  lastRtpMs: number | undefined;
  packets: number;
  /** The sequence numbers of the first and the last RTP packet received (a wrap to 0 shows as last < first). */
  firstSeq: number | undefined;
  lastSeq: number | undefined;
  /** ms from the POST to this sample. */
  ageMs: number;
}

/** What a worker sends its parent. */
export type WorkerReport =
  | { readonly ready: { readonly connected: number; readonly failed: readonly string[] } }
  | {
      readonly sample: readonly { readonly bytes: number; readonly frames: number; readonly join: JoinTimes }[];
    };

/**
 * Every UDP socket werift opens from now on gets `bytes` of receive buffer (0: the OS default, about 208 KiB).
 * 50 viewers in one process on a starved machine overflowed the default and lost their STUN consent answers
 * with the media (docs/performance.md); a browser has a machine of its own. The kernel caps it at rmem_max.
 */
function setViewerReceiveBuffer(bytes: number): void {
  if (bytes <= 0) return;
  const create = dgram.createSocket;
  dgram.createSocket = ((...args: Parameters<typeof create>) => {
    const socket = create(...args);
    socket.once('listening', () => socket.setRecvBufferSize(bytes));
    return socket;
  }) as typeof create;
  syncBuiltinESMExports(); // werift's `import { createSocket } from 'dgram'` binding follows
}

/** What the parent sends a worker. */
export type WorkerCommand =
  | {
      readonly start: {
        readonly url: string;
        readonly count: number;
        readonly concurrency?: number;
        /** Every POST of this process on one kept-alive connection (fetch), as the bench did before. */
        readonly keepAlive?: boolean;
        /** Receive buffer of each viewer's UDP socket, bytes (0: the OS default). */
        readonly receiveBufferBytes?: number;
      };
    }
  | { readonly sample: true };

interface Viewer {
  readonly pc: RTCPeerConnection;
  readonly t0: number;
  bytes: number;
  frames: number;
  join: JoinTimes;
}

const viewers: Viewer[] = [];

/** POST of the offer on a connection of its own, or on the process's kept-alive one. */
async function post(
  url: string,
  sdp: string,
  keepAlive: boolean,
): Promise<{ status: number; location: string; body: string }> {
  if (keepAlive) {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: sdp });
    return { status: r.status, location: r.headers.get('location') ?? '', body: await r.text() };
  }
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/sdp' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, location: String(res.headers.location ?? ''), body }));
      },
    );
    req.on('error', reject);
    req.end(sdp);
  });
}

/** A receive-only viewer as Chromium offers: H.264 packetization-mode 1 with NACK and PLI. */
async function connect(url: string, keepAlive: boolean): Promise<Viewer> {
  const pc = new RTCPeerConnection({
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/H264',
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
          parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
        }),
      ],
      audio: [],
    },
    iceUseIpv4: true,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
  });
  const t = pc.addTransceiver('video', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.watch((s) => s === 'complete');
  const t0 = performance.now();
  const res = await post(url, pc.localDescription!.sdp, keepAlive);
  if (res.status !== 201) {
    await pc.close();
    throw new Error(`WHEP ${res.status} ${res.body}`);
  }
  const join: JoinTimes = {
    postMs: performance.now() - t0,
    connectedMs: undefined,
    firstFrameMs: undefined,
    worker: Number(/\/w(\d+)\./.exec(res.location)?.[1] ?? 0),
    port: Number(/a=candidate:\S+ \d+ udp \d+ \S+ (\d+)/i.exec(res.body)?.[1] ?? 0),
    session: res.location,
    states: [],
    lastRtpMs: undefined,
    packets: 0,
    firstSeq: undefined,
    lastSeq: undefined,
    ageMs: 0,
  };
  const mark = (what: string): void => void join.states.push(`${what}@${((performance.now() - t0) / 1000).toFixed(2)}`);
  const v: Viewer = { pc, t0, bytes: 0, frames: 0, join };
  pc.connectionStateChange.subscribe((s) => {
    mark(s);
    if (s === 'connected' && join.connectedMs === undefined) join.connectedMs = performance.now() - t0;
  });
  pc.iceConnectionStateChange.subscribe((s) => mark(`ice-${s}`));
  t.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => {
      v.bytes += rtp.payload.length + 12;
      join.packets++;
      join.firstSeq ??= rtp.header.sequenceNumber;
      join.lastSeq = rtp.header.sequenceNumber;
      join.lastRtpMs = performance.now() - t0;
      if (rtp.header.marker && v.frames++ === 0) join.firstFrameMs = performance.now() - t0;
    }),
  );
  await pc.setRemoteDescription({ type: 'answer', sdp: res.body });
  return v;
}

process.on('message', (m: WorkerCommand) => {
  if ('start' in m) {
    setViewerReceiveBuffer(m.start.receiveBufferBytes ?? 0);
    void (async () => {
      const failed: string[] = [];
      let left = m.start.count;
      // `concurrency` joins in flight at once (1 = one after the other).
      const lane = async (): Promise<void> => {
        while (left > 0) {
          left--;
          try {
            viewers.push(await connect(m.start.url, m.start.keepAlive ?? false));
          } catch (err) {
            failed.push(err instanceof Error ? err.message : String(err));
          }
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, m.start.concurrency ?? 1) }, lane));
      process.send!({ ready: { connected: viewers.length, failed } } satisfies WorkerReport);
    })();
  } else {
    process.send!({
      sample: viewers.map((v) => ({
        bytes: v.bytes,
        frames: v.frames,
        join: { ...v.join, states: [...v.join.states], ageMs: performance.now() - v.t0 },
      })),
    } satisfies WorkerReport);
  }
});
process.on('disconnect', () => {
  void Promise.allSettled(viewers.map((v) => v.pc.close())).finally(() => process.exit(0));
});
