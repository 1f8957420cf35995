/**
 * SRT ingest benchmark: how fast TsDemuxer turns MPEG-TS into hub media. The stream is 10 s of a
 * 2.5 Mbit/s, 25 fps H.264 video (a 100 KB keyframe every 2 s, ~10 KB frames between) with 128 kbit/s
 * AAC, muxed by our TS muxer, and fed in 1316-byte pieces (seven packets, what one SRT packet carries)
 * and in 64 KiB reads. Prints MB of TS per CPU second (and per wall second) and how many times real time that is.
 *
 * Run: node bench/ts-demux.ts [seconds-per-case]
 */
import { Buffer } from 'node:buffer';
import { mediaMessage, MediaType, type MediaMessage } from '../src/protocol/media.ts';
import { TsDemuxer } from '../src/protocol/mpegts/ts-demuxer.ts';
import { TsMuxer } from '../src/protocol/mpegts/ts-muxer.ts';
import { AVC_RECORD, aacConfig, legacyVideoConfig, lengthPrefixed } from '../test/fixtures/mpegts/flv-messages.ts';

function streamMessages(seconds: number): MediaMessage[] {
  let seed = 1;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const noise = (n: number, header: number): Buffer => {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
    b[0] = header;
    return b;
  };
  const out: MediaMessage[] = [legacyVideoConfig(AVC_RECORD), aacConfig()];
  let audioTime = 0;
  for (let frame = 0; frame < seconds * 25; frame++) {
    const t = frame * 40;
    while (audioTime <= t) {
      out.push(
        mediaMessage(
          MediaType.Audio,
          Math.round(audioTime),
          Buffer.concat([Buffer.from([0xaf, 1]), noise(360 + Math.floor(rand() * 40), 0x21)]),
        ),
      );
      audioTime += 1024 / 44.1;
    }
    const key = frame % 50 === 0;
    const nal = noise(key ? 100_000 : 8_000 + Math.floor(rand() * 4_000), key ? 0x65 : 0x41);
    const body = Buffer.concat([Buffer.from([key ? 0x17 : 0x27, 1, 0, 0, 0]), lengthPrefixed([nal])]);
    out.push(mediaMessage(MediaType.Video, t, body));
  }
  return out;
}

function pieces(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  // Copies, so each piece is its own buffer as from a socket.
  for (let i = 0; i < bytes.length; i += size) out.push(Buffer.from(bytes.subarray(i, i + size)));
  return out;
}

const seconds = Number(process.argv[2] ?? 2);
const streamSeconds = 10;
const muxer = new TsMuxer();
const ts = Buffer.concat(
  streamMessages(streamSeconds)
    .map((m) => muxer.push(m)?.bytes)
    .filter((b) => b !== undefined),
);
console.log(
  `stream: ${(ts.length / 1e6).toFixed(2)} MB of TS for ${streamSeconds} s (${((ts.length * 8) / streamSeconds / 1e6).toFixed(2)} Mbit/s)`,
);

for (const size of [1316, 64 * 1024]) {
  const input = pieces(ts, size);
  let bytes = 0;
  let messages = 0;
  let runs = 0;
  const heap0 = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  const out: MediaMessage[] = [];
  while (process.hrtime.bigint() < deadline) {
    const d = new TsDemuxer();
    for (const p of input) {
      out.length = 0;
      d.push(p, out);
      messages += out.length;
    }
    if (Object.keys(d.stats.errors).length > 0) throw new Error(`errors: ${JSON.stringify(d.stats.errors)}`);
    bytes += ts.length;
    runs++;
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  // CPU time as well as wall time: on a shared machine the wall clock also counts other processes' turns.
  const cpu = process.cpuUsage(cpu0);
  const cpuSecs = (cpu.user + cpu.system) / 1e6;
  const mbps = bytes / cpuSecs / 1e6;
  const realTime = (bytes * 8) / cpuSecs / ((ts.length * 8) / streamSeconds);
  console.log(
    `pieces of ${String(size).padStart(5)} B: ${mbps.toFixed(0)} MB per CPU second (${(bytes / secs / 1e6).toFixed(0)} MB/s wall), ` +
      `${(messages / cpuSecs / 1e3).toFixed(0)}k messages/s, ${realTime.toFixed(0)}x real time (${runs} runs; heap ${((process.memoryUsage().heapUsed - heap0) / 1e6).toFixed(1)} MB after)`,
  );
}
