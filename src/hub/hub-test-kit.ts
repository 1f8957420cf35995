/** Test doubles for the hub: a manual clock with timers, a recording sink, media builders, encoders. */
import { Buffer } from 'node:buffer';
import type { LiveError } from '../errors.ts';
import { MediaType, mediaMessage, type MediaMessage } from '../protocol/media.ts';
import { Hub, type HubInit } from './hub.ts';
import type { HubLogger, HubTimers } from './hub-options.ts';
import type { OutputFormat, PacketEncoders } from './packet.ts';
import type { Stream } from './stream.ts';
import type { SubscriberSink } from './subscriber-sink.ts';

/** A clock that moves only when told; its timers fire in due order during `advance()`. */
export class FakeClock implements HubTimers {
  time = 0;
  #next = 1;
  readonly #due = new Map<number, { at: number; fn: () => void }>();

  readonly now = (): number => this.time;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#due.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#due.delete(handle as number);
  }

  /** Timers not yet fired or cleared. */
  get pending(): number {
    return this.#due.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#due) if (entry[1].at <= end && (!first || entry[1].at < first[1].at)) first = entry;
      if (!first) break;
      this.#due.delete(first[0]);
      this.time = first[1].at;
      first[1].fn();
    }
    this.time = end;
  }
}

/** One call the sink received, in order. */
export type SinkEvent =
  | { type: 'write'; buffers: Buffer[] }
  | { type: 'started' }
  | { type: 'ended' }
  | { type: 'close'; reason: LiveError | undefined };

/** A sink that records every call; `bufferedBytes` is set by the test to play a slow socket. */
export class FakeSink implements SubscriberSink {
  readonly format: OutputFormat;
  bufferedBytes = 0;
  /** When true, written bytes pile up in `bufferedBytes` as on a socket whose peer stopped reading. */
  stuck = false;
  readonly events: SinkEvent[] = [];
  onStarted: ((stream: Stream) => void) | undefined;

  constructor(format: OutputFormat = 'flv') {
    this.format = format;
  }

  write(buffers: Buffer[]): void {
    this.events.push({ type: 'write', buffers });
    if (this.stuck) for (const b of buffers) this.bufferedBytes += b.length;
  }

  publisherStarted(stream: Stream): void {
    this.events.push({ type: 'started' });
    this.onStarted?.(stream);
  }

  publisherEnded(): void {
    this.events.push({ type: 'ended' });
  }

  close(reason?: LiveError): void {
    this.events.push({ type: 'close', reason });
  }

  /** Every buffer written so far, in order. */
  get written(): Buffer[] {
    return this.events.flatMap((e) => (e.type === 'write' ? e.buffers : []));
  }

  /** The write calls so far. */
  get writes(): Buffer[][] {
    return this.events.flatMap((e) => (e.type === 'write' ? [e.buffers] : []));
  }
}

/**
 * Encoders that tag each output with its format and the message's payload, and count calls, so tests
 * can tell which message a buffer carries (`decodeFake`) and how often each format was built.
 */
export function fakeEncoders(): PacketEncoders & { calls: Record<keyof PacketEncoders, number> } {
  const calls = { rtmp: 0, flv: 0 };
  const build = (format: keyof PacketEncoders) => (msg: MediaMessage) => {
    calls[format]++;
    return Buffer.concat([Buffer.from(`${format}:`), msg.payload]);
  };
  return { rtmp: build('rtmp'), flv: build('flv'), calls };
}

/** The payload label a fake-encoded buffer carries (see the builders below). */
export function labelOf(buf: Buffer): string {
  const s = buf.toString('latin1');
  const body = s.slice(s.indexOf(':') + 1);
  const md = body.indexOf('onMetaData');
  if (md >= 0) return body.slice(md + 'onMetaData'.length);
  return body.slice(2).replace(/\0+$/, '');
}

/** The labels of every buffer a sink received, in order. */
export function labels(sink: FakeSink): string[] {
  return sink.written.map(labelOf);
}

// Payloads: two FLV header bytes that mediaMessage() reads, then a readable label and optional padding.
function payload(b0: number, b1: number, label: string, size: number): Buffer {
  const text = Buffer.from(label);
  const buf = Buffer.alloc(Math.max(size, 2 + text.length));
  buf[0] = b0;
  buf[1] = b1;
  text.copy(buf, 2);
  return buf;
}

/** An AVC video keyframe (FLV 10.1 §E.4.3: FrameType 1, CodecID 7, AVCPacketType 1). */
export const keyframe = (ts: number, label = `K${ts}`, size = 0): MediaMessage =>
  mediaMessage(MediaType.Video, ts, payload(0x17, 1, label, size));
/** An AVC inter frame (FrameType 2). */
export const interframe = (ts: number, label = `P${ts}`, size = 0): MediaMessage =>
  mediaMessage(MediaType.Video, ts, payload(0x27, 1, label, size));
/** An AVC sequence header (AVCPacketType 0). */
export const videoHeader = (label = 'VH'): MediaMessage => mediaMessage(MediaType.Video, 0, payload(0x17, 0, label, 0));
/** An AAC raw frame (SoundFormat 10, AACPacketType 1). */
export const audioFrame = (ts: number, label = `A${ts}`, size = 0): MediaMessage =>
  mediaMessage(MediaType.Audio, ts, payload(0xaf, 1, label, size));
/** An AAC sequence header (AACPacketType 0). */
export const audioHeader = (label = 'AH'): MediaMessage => mediaMessage(MediaType.Audio, 0, payload(0xaf, 0, label, 0));

/** An `onMetaData` script tag whose label is `MD` plus `suffix` (AMF0 string marker and length first). */
export function metadataMessage(suffix = '', wrapped = false): MediaMessage {
  const name = Buffer.from([0x02, 0x00, 0x0a, ...Buffer.from('onMetaData')]);
  const wrapper = wrapped ? Buffer.from([0x02, 0x00, 0x0d, ...Buffer.from('@setDataFrame')]) : Buffer.alloc(0);
  return mediaMessage(MediaType.Data, 0, Buffer.concat([wrapper, name, Buffer.from(`MD${suffix}`)]));
}

/** A logger that keeps what it was told. */
export class MemoryLogger implements HubLogger {
  readonly lines: { level: string; obj: object; msg: string }[] = [];
  warn(obj: object, msg: string): void {
    this.lines.push({ level: 'warn', obj, msg });
  }
  info(obj: object, msg: string): void {
    this.lines.push({ level: 'info', obj, msg });
  }
  debug(obj: object, msg: string): void {
    this.lines.push({ level: 'debug', obj, msg });
  }
}

/** A hub on a fake clock with fake encoders and a memory logger; `opts` override any option. */
export function testHub(opts: HubInit = {}): {
  hub: Hub;
  clock: FakeClock;
  encoders: ReturnType<typeof fakeEncoders>;
  logger: MemoryLogger;
} {
  const clock = new FakeClock();
  const encoders = fakeEncoders();
  const logger = new MemoryLogger();
  // The hub tests advance the clock by 40 ms to pass one merge window: pinned here, not the default.
  const hub = new Hub({ now: clock.now, timers: clock, encoders, logger, mergeWindowMs: 40, ...opts });
  return { hub, clock, encoders, logger };
}
