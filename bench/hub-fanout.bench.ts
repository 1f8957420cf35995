/**
 * In-process fan-out microbenchmark: one publisher, N fake sinks, real RTMP/FLV encoders. Prints the
 * hub's CPU cost per published message (publish + its share of the merged flushes), no sockets.
 * Usage: node bench/hub-fanout.bench.ts [subscribers=1000] [seconds of media=60]
 */
import { Buffer } from 'node:buffer';
import { Hub } from '../src/hub/hub.ts';
import type { HubTimers } from '../src/hub/hub-options.ts';
import type { OutputFormat } from '../src/hub/packet.ts';
import type { SubscriberSink } from '../src/hub/subscriber-sink.ts';
import { MediaType, mediaMessage, type MediaMessage } from '../src/protocol/media.ts';

const subscribers = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 60);

/** A sink that takes everything at once, as a socket with room in its kernel buffer does. */
class NullSink implements SubscriberSink {
  readonly format: OutputFormat;
  readonly bufferedBytes = 0;
  writes = 0;
  buffers = 0;
  constructor(format: OutputFormat) {
    this.format = format;
  }
  write(buffers: Buffer[]): void {
    this.writes++;
    this.buffers += buffers.length;
  }
  publisherStarted(): void {}
  publisherEnded(): void {}
  close(): void {}
}

/** A manual clock: the merge timer fires when the benchmark advances media time. */
class ManualTimers implements HubTimers {
  time = 0;
  #due: { at: number; fn: () => void } | undefined;
  setTimeout(fn: () => void, ms: number): unknown {
    this.#due = { at: this.time + ms, fn };
    return 1;
  }
  clearTimeout(): void {
    this.#due = undefined;
  }
  advanceTo(t: number): void {
    this.time = t;
    const due = this.#due;
    if (due && due.at <= t) {
      this.#due = undefined;
      due.fn();
    }
  }
}

/** 720p30 H.264 at about 2.5 Mbit/s (GOP 60, keyframes about 100 KB) plus 44.1 kHz AAC: about 73 messages/s. */
function mediaSchedule(durationS: number): MediaMessage[] {
  const out: MediaMessage[] = [];
  const video = Buffer.alloc(120_000, 0x55);
  const audio = Buffer.alloc(372, 0x33);
  let a = 0;
  for (let f = 0; f < durationS * 30; f++) {
    const ts = Math.round((f * 1000) / 30);
    for (; (a * 1024 * 1000) / 44100 <= ts; a++) {
      const ats = Math.round((a * 1024 * 1000) / 44100);
      audio[0] = 0xaf;
      audio[1] = 1;
      out.push(mediaMessage(MediaType.Audio, ats, audio.subarray(0, 372)));
    }
    const key = f % 60 === 0;
    const size = key ? 100_000 : 9_000;
    const payload = Buffer.from(video.subarray(0, size));
    payload[0] = key ? 0x17 : 0x27;
    payload[1] = 1;
    out.push(mediaMessage(MediaType.Video, ts, payload));
  }
  return out;
}

function run(format: OutputFormat, mergeWindowMs: number, media: MediaMessage[]): void {
  const timers = new ManualTimers();
  const hub = new Hub({ mergeWindowMs, timers, now: () => timers.time });
  const stream = hub.claim('live/bench', { id: 'bench' });
  const sinks = Array.from({ length: subscribers }, () => new NullSink(format));
  for (const sink of sinks) hub.subscribe('live/bench', sink);
  const start = process.hrtime.bigint();
  for (const msg of media) {
    timers.advanceTo(msg.timestamp);
    stream.publish(msg);
  }
  timers.advanceTo(timers.time + mergeWindowMs);
  const ns = Number(process.hrtime.bigint() - start);
  const writes = sinks.reduce((n, s) => n + s.writes, 0);
  const buffers = sinks.reduce((n, s) => n + s.buffers, 0);
  const perPublish = ns / media.length;
  // The share of one core the hub needs to keep up with this stream in real time.
  const mediaSeconds = (media.at(-1)!.timestamp + 1000 / 30) / 1000;
  const cpu = (ns / mediaSeconds / 1e9) * 100;
  console.log(
    `${format.padEnd(4)} window ${String(mergeWindowMs).padStart(2)} ms: ` +
      `${perPublish.toFixed(0).padStart(8)} ns/publish, ` +
      `${(perPublish / subscribers).toFixed(1).padStart(6)} ns/publish/subscriber, ` +
      `${(buffers / writes).toFixed(1)} buffers/write, hub CPU ${cpu.toFixed(2)} % of a core`,
  );
  hub.close();
}

const media = mediaSchedule(seconds);
console.log(`${subscribers} subscribers, ${media.length} messages (${seconds} s of media), Node ${process.version}`);
// Warm up the JIT on a short run of each shape before measuring.
for (const format of ['rtmp', 'flv'] as const) for (const w of [0, 40]) run(format, w, media.slice(0, 500));
console.log('---');
for (const format of ['rtmp', 'flv'] as const) for (const w of [0, 40]) run(format, w, media);
