/**
 * SRT ingest under loss (issue 13 "Speed"; docs/performance.md "SRT"). One real server process with the SRT
 * listener on; ffmpeg (libsrt) sends a 2.5 Mb/s H.264/AAC TS file with Tencent's stream id through a UDP
 * relay that drops 5 % of the datagrams each way. Printed: the server's CPU in percent of one core over the
 * window, the retransmitted data packets and NAKs the relay saw, the rate an HTTP-FLV player received, and
 * what ffmpeg decoding that player's stream reported (frames, errors). Then `--publishers` (20) such senders
 * at once, each through its own lossy relay, with the rate each publisher's FLV player received.
 *
 *   node bench/srt.ts [--seconds 20] [--publishers 20] [--loss 0.05] [--cpu-prof]
 */
import { parseArgs } from 'node:util';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { startServerProcess, type ServerProcess } from '../test/support/server-process.ts';
import { liveClient } from '../test/support/api-client.ts';
import { run, type FfmpegProcess } from '../test/support/ffmpeg.ts';
import { waitFor } from '../test/support/wait.ts';
import { formatTxTime, txSecretOf } from '../src/control/signing.ts';
import { cpuSeconds } from './lib/proc-stats.ts';
import { startLossyRelay, type LossyRelay } from './lib/srt-lossy-relay.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    publishers: { type: 'string', default: '20' },
    loss: { type: 'string', default: '0.05' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const publishers = Number(values.publishers);
const loss = Number(values.loss);
const kbps = 2500;

/** A 2.5 Mb/s CBR TS file (H.264 2.4 Mb/s with filler, AAC 96 kb/s), made once and kept in the temp dir. */
async function tsFile(): Promise<string> {
  const file = join(tmpdir(), `openlive-bench-srt-${kbps}k.ts`);
  if (existsSync(file)) return file;
  const ff = run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440'],
    ...['-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-pix_fmt', 'yuv420p'],
    ...['-b:v', '2400k', '-minrate', '2400k', '-maxrate', '2400k', '-bufsize', '1200k', '-x264-params', 'nal-hrd=cbr'],
    ...['-c:a', 'aac', '-b:a', '96k', '-f', 'mpegts', file],
  ]);
  if ((await ff.exited) !== 0) throw new Error(`ffmpeg could not make ${file}: ${ff.stderr()}`);
  return file;
}

/** A free UDP port on loopback (bound, read, released). */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** One SRT sender: ffmpeg copying the file in real time, looped, to `port` with Tencent's stream id. */
function sender(file: string, port: number, streamId: string): FfmpegProcess {
  return run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', file, '-c', 'copy'],
    ...['-f', 'mpegts', `srt://127.0.0.1:${port}?streamid=${streamId}&latency=200000&pkt_size=1316`],
  ]);
}

/** An HTTP-FLV player counting the bytes it receives. */
function flvPlayer(url: string): { bytes: () => number; stop: () => void } {
  let bytes = 0;
  const controller = new AbortController();
  void (async () => {
    const res = await fetch(url, { signal: controller.signal });
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  })().catch(() => {});
  return { bytes: () => bytes, stop: () => controller.abort() };
}

const mbps = (bytes: number, s: number): string => ((bytes * 8) / s / 1e6).toFixed(2);

const file = await tsFile();
const srtPort = await freeUdpPort();
const profDir = join(tmpdir(), 'openlive-bench-srt-prof');
if (values['cpu-prof']) mkdirSync(profDir, { recursive: true });
const server: ServerProcess = await startServerProcess(
  ['--srt.enabled', 'true', '--srt.host', '127.0.0.1', '--srt.port', String(srtPort), '--log.level', 'error'],
  values['cpu-prof'] ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir] } : {},
);
const pid = server.child.pid!;
const api = liveClient(`127.0.0.1:${server.apiPort}`, { secretId: server.secretId!, secretKey: server.secretKey! });
const pushKey = (await api.DescribeLivePushAuthKey({ DomainName: 'push.localhost' })).PushAuthKeyInfo?.MasterAuthKey;
api.close();
const txTime = formatTxTime(Date.now() / 1000 + 86_400);
const streamId = (name: string): string =>
  `#!::h=push.localhost,r=live/${name},txSecret=${txSecretOf(pushKey ?? '', name, txTime)},txTime=${txTime}`;
const flvUrl = (name: string): string => `http://127.0.0.1:${server.httpPort}/live/${name}.flv`;
const live = async (name: string): Promise<boolean> => (await fetch(flvUrl(name), { method: 'HEAD' })).ok;

/** Publishers through lossy relays, their FLV players, the server's CPU over `seconds`; returns the figures. */
async function phase(names: string[], decode: boolean) {
  const relays: LossyRelay[] = [];
  const senders: FfmpegProcess[] = [];
  for (const [i, name] of names.entries()) {
    const relay = await startLossyRelay(srtPort, loss, 0x5eed + i);
    relays.push(relay);
    senders.push(sender(file, relay.port, streamId(name)));
  }
  try {
    for (const name of names) await waitFor(`live/${name} over SRT`, () => live(name), 60_000);
    // A few seconds in: past the join's GOP burst, the senders at their steady rate.
    await new Promise((r) => setTimeout(r, 3000));
    const players = names.map((n) => flvPlayer(flvUrl(n)));
    const decoder = decode
      ? run('ffmpeg', [
          '-hide_banner',
          '-v',
          'error',
          '-i',
          flvUrl(names[0]!),
          '-t',
          String(seconds),
          '-f',
          'null',
          '-',
        ])
      : undefined;
    await new Promise((r) => setTimeout(r, 2000));
    const before = { cpu: cpuSeconds(pid), at: performance.now(), bytes: players.map((p) => p.bytes()) };
    const relayBefore = relays.map((r) => ({ ...r.counts }));
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const s = (performance.now() - before.at) / 1000;
    const cpu = ((cpuSeconds(pid) - before.cpu) / s) * 100;
    const received = players.map((p, i) => p.bytes() - before.bytes[i]!);
    const relayed = relays.map((r, i) => ({
      dataBytes: r.counts.dataBytes - relayBefore[i]!.dataBytes,
      retransmitted: r.counts.retransmitted - relayBefore[i]!.retransmitted,
      naks: r.counts.naks - relayBefore[i]!.naks,
      dropped: r.counts.dropped - relayBefore[i]!.dropped,
    }));
    const decoded = decoder ? await decoder.exited.then(() => decoder.stderr().trim()) : undefined;
    for (const p of players) p.stop();
    return { s, cpu, received, relayed, decoded };
  } finally {
    for (const sd of senders) await sd.stop();
    for (const r of relays) await r.close();
  }
}

try {
  console.log(
    `SRT bench: ${kbps} kb/s TS from ffmpeg (libsrt, latency 200 ms) through UDP relays losing ${loss * 100} % each way; window ${seconds} s`,
  );
  const one = await phase(['srt0'], true);
  const r = one.relayed[0]!;
  console.log(
    `1 publisher:  server CPU ${one.cpu.toFixed(1)} % of a core; relay dropped ${r.dropped} datagrams, ` +
      `saw ${r.retransmitted} retransmitted data packets and ${r.naks} NAKs`,
  );
  console.log(
    `  TS into the server ${mbps(r.dataBytes, one.s)} Mb/s; HTTP-FLV player received ${mbps(one.received[0]!, one.s)} Mb/s ` +
      `(${((one.received[0]! / r.dataBytes) * 100).toFixed(1)} % of the TS, which carries ~4 % TS/PES overhead)`,
  );
  console.log(`  ffmpeg decoding the FLV for ${seconds} s: ${one.decoded ? `errors:\n${one.decoded}` : 'no errors'}`);

  const names = Array.from({ length: publishers }, (_, i) => `srt${i + 1}`);
  const many = await phase(names, false);
  const ratios = many.received.map((b, i) => b / Math.max(1, many.relayed[i]!.dataBytes));
  console.log(
    `${publishers} publishers: server CPU ${many.cpu.toFixed(1)} % of a core; ` +
      `${many.relayed.reduce((n, x) => n + x.retransmitted, 0)} retransmitted data packets in all`,
  );
  console.log(`  received per publisher (HTTP-FLV, Mb/s): ${many.received.map((b) => mbps(b, many.s)).join(' ')}`);
  console.log(
    `  FLV / TS in: min ${(Math.min(...ratios) * 100).toFixed(1)} %, max ${(Math.max(...ratios) * 100).toFixed(1)} %` +
      (Math.min(...ratios) > 0.9 ? ' -- every publisher received in full' : ' -- SOME PUBLISHER FELL SHORT'),
  );
} finally {
  await server.stop(20_000);
  if (values['cpu-prof']) console.log(`CPU profile in ${profDir} (node bench/cpu-profile-top.ts <file>)`);
}
