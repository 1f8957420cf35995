/**
 * Ingest benchmark: how fast ChunkDecoder turns a realistic publisher byte stream back into
 * messages. The stream is 10 s of a 2.5 Mbit/s, 25 fps H.264-like video (a 100 KB keyframe every
 * 2 s, ~10 KB frames between) interleaved with 128 kbit/s AAC-like audio, chunked at 128 (the RTMP
 * default, what a publisher uses until it raises it) and 4096 bytes, and fed in 64 KiB reads as
 * a socket delivers them.
 *
 * Run: node bench/chunk-decoder.bench.ts [seconds-per-case]
 */
import { Buffer } from 'node:buffer';
import { ChunkDecoder } from '../src/protocol/rtmp/chunk-decoder.ts';
import { encodeRtmpMedia } from '../src/protocol/rtmp/chunk-encoder.ts';
import { mediaMessage, MediaType, type MediaMessage } from '../src/protocol/media.ts';

function streamMessages(seconds: number): MediaMessage[] {
  const out: MediaMessage[] = [];
  let seed = 1;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  let audioTime = 0;
  for (let frame = 0; frame < seconds * 25; frame++) {
    const t = frame * 40;
    while (audioTime <= t) {
      out.push(mediaMessage(MediaType.Audio, Math.round(audioTime), Buffer.alloc(360 + Math.floor(rand() * 40), 0xaf)));
      audioTime += 1024 / 44.1;
    }
    const key = frame % 50 === 0;
    const size = key ? 100_000 : 8_000 + Math.floor(rand() * 4_000);
    const payload = Buffer.alloc(size, 0x27);
    if (key) payload[0] = 0x17;
    out.push(mediaMessage(MediaType.Video, t, payload));
  }
  return out;
}

function reads(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  // Copies, so each read is its own allocation as from a socket.
  for (let i = 0; i < bytes.length; i += size) out.push(Buffer.from(bytes.subarray(i, i + size)));
  return out;
}

const seconds = Number(process.argv[2] ?? 2);
const messages = streamMessages(10);
const mediaBytes = messages.reduce((n, m) => n + m.payload.length, 0);
console.log(
  `stream: ${messages.length} messages, ${(mediaBytes / 1e6).toFixed(2)} MB of payload (${((mediaBytes * 8) / 10 / 1e6).toFixed(2)} Mbit/s)`,
);

for (const chunkSize of [128, 4096]) {
  const wire = Buffer.concat(messages.map((m) => encodeRtmpMedia(m, chunkSize)));
  const input = reads(wire, 64 * 1024);
  let bytes = 0;
  let count = 0;
  let runs = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < deadline) {
    const d = new ChunkDecoder();
    d.setChunkSize(chunkSize);
    for (const r of input) count += d.push(r).length;
    bytes += wire.length;
    runs++;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const mbps = bytes / elapsed / 1e6;
  const streams = (bytes * 8) / elapsed / 2.5e6 / (wire.length / mediaBytes);
  console.log(
    `chunk size ${String(chunkSize).padStart(4)}: ${mbps.toFixed(0).padStart(5)} MB/s, ` +
      `${(count / elapsed / 1e6).toFixed(2)} M messages/s, ~${Math.round(streams)} 2.5 Mbit/s publishers per core (${runs} runs)`,
  );
}
