// One load process of bench/whep.ts: `count` werift WHEP viewers of one URL, each counting the RTP bytes and
// the video frames (marker bits) it receives. A child process (fork), so the SRTP decryption of 100 viewers
// is spread over several processes (one process cannot decrypt 100 x 2.5 Mbit/s: docs/webrtc.md).
// The parent sends {start: {url, count}} and then {sample: true}; the worker answers {ready}, {sample}.
// Uses werift directly, not src/servers/webrtc, so the load side stays what a browser offers.
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';

/** What a worker sends its parent. */
export type WorkerReport =
  | { readonly ready: { readonly connected: number; readonly failed: readonly string[] } }
  | { readonly sample: readonly { readonly bytes: number; readonly frames: number }[] };

/** What the parent sends a worker. */
export type WorkerCommand =
  { readonly start: { readonly url: string; readonly count: number } } | { readonly sample: true };

interface Viewer {
  readonly pc: RTCPeerConnection;
  bytes: number;
  frames: number;
}

const viewers: Viewer[] = [];

/** A receive-only viewer as Chromium offers: H.264 packetization-mode 1 with NACK and PLI. */
async function connect(url: string): Promise<Viewer> {
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
  const v: Viewer = { pc, bytes: 0, frames: 0 };
  const t = pc.addTransceiver('video', { direction: 'recvonly' });
  t.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => {
      v.bytes += rtp.payload.length + 12;
      if (rtp.header.marker) v.frames++;
    }),
  );
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.watch((s) => s === 'complete');
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp' },
    body: pc.localDescription!.sdp,
  });
  if (res.status !== 201) {
    await pc.close();
    throw new Error(`WHEP ${res.status} ${await res.text()}`);
  }
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  return v;
}

process.on('message', (m: WorkerCommand) => {
  if ('start' in m) {
    void (async () => {
      const failed: string[] = [];
      for (let i = 0; i < m.start.count; i++) {
        try {
          viewers.push(await connect(m.start.url));
        } catch (err) {
          failed.push(err instanceof Error ? err.message : String(err));
        }
      }
      process.send!({ ready: { connected: viewers.length, failed } } satisfies WorkerReport);
    })();
  } else {
    process.send!({ sample: viewers.map((v) => ({ bytes: v.bytes, frames: v.frames })) } satisfies WorkerReport);
  }
});
process.on('disconnect', () => {
  void Promise.allSettled(viewers.map((v) => v.pc.close())).finally(() => process.exit(0));
});
