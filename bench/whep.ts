// The WHEP benchmark: one ffmpeg publisher of a 720p ~2.5 Mbit/s H.264/AAC stream over RTMP into openlive (a
// child process with webrtc.enabled), and N WHEP viewers (werift peer connections in this process) that
// count the video frames (RTP marker bits) they receive. Prints the server's CPU per viewer and its RSS.
// The AAC audio is left out of WHEP (docs/webrtc.md), so this measures the H.264 RTP path.
//   node bench/whep.ts [--n 100] [--window-s 20] [--warmup-s 5] [--single-port true|false]
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { RTCPeerConnection } from 'werift';
import { createPeer } from '../src/servers/webrtc/webrtc-peer.ts';
import { cpuSeconds, rssBytes } from './lib/proc-stats.ts';
import { ensureMedia, sleep } from './lib/setup.ts';
import { startServerProcess } from '../test/support/server-process.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100' },
    'window-s': { type: 'string', default: '20' },
    'warmup-s': { type: 'string', default: '5' },
    /** webrtc.singlePort: false measures werift's one-socket-per-session ports against the shared port. */
    'single-port': { type: 'string', default: 'true' },
  },
});
const n = Number(values.n);
const windowS = Number(values['window-s']);
const media = ensureMedia();

const server = await startServerProcess([
  '--webrtc.enabled',
  'true',
  '--webrtc.maxSessions',
  String(n + 10),
  '--webrtc.maxSessionsPerIp',
  '0',
  '--webrtc.singlePort',
  values['single-port'],
]);
let publisher: ChildProcess | undefined;
const viewers: { pc: RTCPeerConnection; frames: number }[] = [];
try {
  publisher = spawn(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-re',
      '-stream_loop',
      '-1',
      '-i',
      media.path,
      '-c',
      'copy',
      '-f',
      'flv',
      server.pushUrl,
    ],
    { stdio: 'ignore' },
  );
  await sleep(3000);
  const whep = `http://127.0.0.1:${server.httpPort}/live/demo/whep`;
  const pid = server.child.pid!;
  const idle0 = cpuSeconds(pid);
  await sleep(3000);
  const publisherOnly = ((cpuSeconds(pid) - idle0) / 3) * 100;
  for (let i = 0; i < n; i++) {
    const pc = createPeer({ minPort: 0, maxPort: 0, publicIps: [] }); // H.264 packetization-mode 1, as the server offers
    const v = { pc, frames: 0 };
    const t = pc.addTransceiver('video', { direction: 'recvonly' });
    t.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp) => {
        if (rtp.header.marker) v.frames++;
      }),
    );
    await pc.setLocalDescription(await pc.createOffer());
    if (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.watch((s) => s === 'complete');
    const res = await fetch(whep, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: pc.localDescription!.sdp,
    });
    if (res.status !== 201) throw new Error(`viewer ${i}: WHEP ${res.status} ${await res.text()}`);
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    viewers.push(v);
  }
  await sleep(Number(values['warmup-s']) * 1000);
  const frames0 = viewers.map((v) => v.frames);
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(windowS * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = ((cpuSeconds(pid) - cpu0) / seconds) * 100;
  const fps = viewers.map((v, i) => (v.frames - frames0[i]!) / seconds).sort((a, b) => a - b);
  console.log(`WHEP bench: ${n} viewers of one ${media.kbps} kb/s RTMP stream, ${seconds.toFixed(1)} s window`);
  console.log(
    `  server CPU ${cpu.toFixed(1)} % (publisher alone ${publisherOnly.toFixed(1)} %), ${((cpu - publisherOnly) / n).toFixed(3)} % per viewer`,
  );
  console.log(`  server RSS ${(rssBytes(pid) / 2 ** 20).toFixed(0)} MiB`);
  console.log(
    `  frames/s per viewer: min ${fps[0]?.toFixed(1)}, median ${fps[Math.floor(fps.length / 2)]?.toFixed(1)}, max ${fps.at(-1)?.toFixed(1)}`,
  );
} finally {
  for (const v of viewers) await v.pc.close().catch(() => {});
  publisher?.kill('SIGKILL');
  await server.stop();
}
