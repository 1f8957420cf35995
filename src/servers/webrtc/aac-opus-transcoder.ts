/**
 * One live stream's AAC audio transcoded to Opus for its WHEP viewers (WebRTC has no AAC): a hub tap
 * writes each AAC frame, behind the ADTS header its AudioSpecificConfig implies, to an ffmpeg child's
 * stdin; ffmpeg answers Ogg Opus on stdout, whose packets are timed back onto the stream's timeline
 * (protocol/ogg/transcode-timeline.ts) and handed to the viewers. Bounded: a frame that finds more than
 * `maxQueueBytes` not yet read by ffmpeg is dropped (WEBRTC_TRANSCODE_BEHIND), stderr keeps its last
 * `maxStderrBytes`, a child that exits on its own is counted (WEBRTC_TRANSCODE_FAILED) and restarted after a
 * backoff that doubles up to `restartMaxMs`; `close()` ends stdin, sends SIGTERM, and SIGKILL after
 * `killTimeoutMs`. ffmpeg runs without a shell; its arguments are fixed words and one number.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { ErrorCode } from '../../errors.ts';
import type { HubTimers } from '../../hub/hub-options.ts';
import type { MediaTap } from '../../hub/media-tap.ts';
import type { Log } from '../../log.ts';
import { MediaType, type MediaMessage } from '../../protocol/media.ts';
import { ADTS_HEADER_SIZE, AudioTrack } from '../../protocol/mpegts/audio-track.ts';
import { OggOpusReader, type TimedOpusPacket } from '../../protocol/ogg/ogg-opus-reader.ts';
import { OpusRtpClock, TranscodeTimeline } from '../../protocol/ogg/transcode-timeline.ts';

/** How the transcoder starts a child: `child_process.spawn` with `shell: false`, or a fake in tests. */
export type SpawnFn = (command: string, args: readonly string[]) => ChildProcessWithoutNullStreams;

/** The `webrtc.*` transcoding keys and the parts a transcoder needs. */
export interface AacOpusTranscoderOptions {
  readonly ffmpegPath: string;
  readonly bitrateKbps: number;
  /** Bytes written to ffmpeg's stdin and not yet read past which AAC frames are dropped. */
  readonly maxQueueBytes: number;
  readonly maxStderrBytes: number;
  readonly killTimeoutMs: number;
  readonly restartMinMs: number;
  readonly restartMaxMs: number;
  readonly spawn: SpawnFn;
  readonly timers: HubTimers;
  readonly now: () => number;
  readonly countError: (code: ErrorCode) => void;
  readonly log: Log;
  /** The child could not be started at all (ENOENT: no ffmpeg): the owner stops offering transcoding. */
  readonly onUnavailable: (err: Error) => void;
}

/** What a viewer receives: one Opus packet and its 48 kHz RTP timestamp on the stream's timeline. */
export type OpusListener = (packet: Buffer, rtpTimestamp: number) => void;

/** AAC frames remembered for timing while ffmpeg works on them (~23 s at 44.1 kHz; stdin is bounded first). */
const MAX_TIMELINE_FRAMES = 1000;

/** ffmpeg's arguments: ADTS on stdin, 20 ms Opus packets at 48 kHz stereo in 20 ms Ogg pages on stdout. */
export function transcodeArgs(bitrateKbps: number): string[] {
  return [
    ...['-hide_banner', '-nostdin', '-loglevel', 'error'],
    // Start at once: no probing beyond the first ADTS header, no input buffering.
    ...['-fflags', '+nobuffer', '-probesize', '32', '-analyzeduration', '0'],
    ...['-f', 'aac', '-i', 'pipe:0', '-vn'],
    ...['-c:a', 'libopus', '-b:a', `${Math.trunc(bitrateKbps)}k`, '-ar', '48000', '-ac', '2'],
    ...['-application', 'lowdelay', '-frame_duration', '20'],
    // The Ogg muxer holds a page for a second by default: one 20 ms packet per page, flushed at once.
    ...['-page_duration', '20000', '-flush_packets', '1', '-f', 'ogg', 'pipe:1'],
  ];
}

/** The ffmpeg child of one stream and the tap that feeds it. */
export class AacOpusTranscoder implements MediaTap {
  readonly key: string;
  readonly #o: AacOpusTranscoderOptions;
  readonly #listeners = new Set<OpusListener>();
  readonly #clock = new OpusRtpClock();
  readonly #timeline = new TranscodeTimeline(MAX_TIMELINE_FRAMES);
  readonly #out: TimedOpusPacket[] = [];
  #track: AudioTrack | undefined;
  #asc: Buffer | undefined;
  #frameMs = 0;
  #child: ChildProcessWithoutNullStreams | undefined;
  #reader = new OggOpusReader();
  #stderr = '';
  #startedAt = 0;
  #failures = 0;
  #restartTimer: unknown;
  #closed = false;
  /** Children that were asked to stop and have not exited yet (their SIGKILL timers). */
  readonly #stopping = new Map<ChildProcessWithoutNullStreams, unknown>();
  /** Counters for stats and tests. */
  readonly stats = { spawned: 0, failed: 0, framesIn: 0, framesDropped: 0, packetsOut: 0 };

  constructor(key: string, o: AacOpusTranscoderOptions) {
    this.key = key;
    this.#o = o;
  }

  /** Whether an ffmpeg child runs now. */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Children not yet exited (the running one and those being stopped). */
  get children(): number {
    return (this.#child ? 1 : 0) + this.#stopping.size;
  }

  /** Adds a viewer; returns how many there are. */
  add(listener: OpusListener): number {
    this.#listeners.add(listener);
    return this.#listeners.size;
  }

  /** Removes a viewer; returns how many are left. */
  remove(listener: OpusListener): number {
    this.#listeners.delete(listener);
    return this.#listeners.size;
  }

  publisherStarted(): void {}

  media(msg: MediaMessage): void {
    if (this.#closed || msg.type !== MediaType.Audio || msg.payload.length < 2) return;
    const p = msg.payload;
    if (p[0]! >> 4 !== 10) return; // not AAC (Opus passes through the WHEP sink as it is)
    if (p[1] === 0) return this.#config(p.subarray(2));
    const track = this.#track;
    const child = this.#child;
    if (!track || !child) return;
    this.stats.framesIn++;
    const raw = p.length - 2;
    if (child.stdin.writableLength > this.#o.maxQueueBytes || raw + ADTS_HEADER_SIZE > 0x1fff) {
      // ffmpeg is not keeping up (or the frame cannot be ADTS): audio is dropped, never queued without bound.
      this.stats.framesDropped++;
      this.#o.countError('WEBRTC_TRANSCODE_BEHIND');
      return;
    }
    const frame = Buffer.allocUnsafe(ADTS_HEADER_SIZE + raw);
    track.writeAdtsHeader(frame, 0, raw);
    p.copy(frame, ADTS_HEADER_SIZE, 2);
    this.#timeline.input(msg.timestamp, this.#frameMs);
    child.stdin.write(frame);
  }

  /** The publisher left: the child stops; a new publish (its AudioSpecificConfig) starts another. */
  publisherEnded(): void {
    this.#asc = undefined;
    this.#track = undefined;
    this.#stopChild();
    this.#o.timers.clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
  }

  /** The hub dropped the tap (it closes): nothing more comes. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.publisherEnded();
  }

  #config(asc: Buffer): void {
    if (this.#asc?.equals(asc)) return;
    let track: AudioTrack;
    try {
      track = new AudioTrack(asc);
    } catch {
      this.#track = undefined; // an AudioSpecificConfig ADTS cannot carry: no audio for WHEP
      this.#stopChild();
      return;
    }
    this.#asc = Buffer.from(asc);
    this.#track = track;
    // ADTS carries the core layer: each frame is 1024 samples at the core rate (2048 at the SBR rate).
    const index = ((asc[0]! & 0x07) << 1) | (asc[1]! >> 7);
    this.#frameMs = (1024 * 1000) / CORE_RATES[index]!;
    // A new configuration needs a new decoder: start over (not a failure, no backoff).
    this.#stopChild();
    if (this.#restartTimer === undefined) this.#spawn();
  }

  #spawn(): void {
    if (this.#closed || !this.#track) return;
    let child: ChildProcessWithoutNullStreams;
    try {
      child = this.#o.spawn(this.#o.ffmpegPath, transcodeArgs(this.#o.bitrateKbps));
    } catch (err) {
      this.#failed(undefined, err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.#child = child;
    this.#reader = new OggOpusReader();
    this.#timeline.reset();
    this.#stderr = '';
    this.#startedAt = this.#o.now();
    this.stats.spawned++;
    child.stdin.on('error', () => undefined); // EPIPE when ffmpeg dies: its exit says why
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.#child === child) this.#output(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (this.#child !== child) return;
      // The last maxStderrBytes: ffmpeg's final lines say why it stopped.
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-this.#o.maxStderrBytes);
    });
    // `on`, not `once`: a second 'error' (a failed kill after a failed start) must not go unhandled.
    child.on('error', (err) => this.#failed(child, err));
    child.stdout.on('error', () => undefined);
    child.stderr.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      const timer = this.#stopping.get(child);
      if (this.#stopping.delete(child)) {
        this.#o.timers.clearTimeout(timer);
        return;
      }
      if (this.#child === child) this.#failed(child, new Error(`ffmpeg exited with ${code ?? signal}`));
    });
  }

  #output(chunk: Buffer): void {
    const out = this.#out;
    out.length = 0;
    this.#reader.push(chunk, out);
    for (const p of out) {
      const source = this.#timeline.sourceTime(p.startSample / 48);
      if (source === undefined) continue;
      const ts = this.#clock.next(source, p.samples);
      this.stats.packetsOut++;
      for (const l of this.#listeners) l(p.packet, ts);
    }
  }

  /** The child (or its start) failed on its own: count, log, restart after the backoff. */
  #failed(child: ChildProcessWithoutNullStreams | undefined, err: Error): void {
    if (child && this.#child !== child) return;
    this.#child = undefined;
    if (child) this.#kill(child);
    this.stats.failed++;
    this.#o.countError('WEBRTC_TRANSCODE_FAILED');
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      this.#o.onUnavailable(err);
      return;
    }
    // A child that ran longer than the longest backoff was healthy: start the backoff over.
    if (this.#o.now() - this.#startedAt > this.#o.restartMaxMs) this.#failures = 0;
    const delay = Math.min(this.#o.restartMaxMs, this.#o.restartMinMs * 2 ** this.#failures);
    this.#failures++;
    this.#o.log.warn(
      {
        stream: this.key,
        code: 'WEBRTC_TRANSCODE_FAILED',
        err: err.message,
        stderr: this.#stderr.trim(),
        retryMs: delay,
      },
      'AAC to Opus transcoder failed; WHEP viewers keep video, audio restarts after a backoff',
    );
    if (this.#closed) return;
    this.#restartTimer = this.#o.timers.setTimeout(() => {
      this.#restartTimer = undefined;
      this.#spawn();
    }, delay);
  }

  /** Stops the running child: stdin ends, SIGTERM, SIGKILL after killTimeoutMs. */
  #stopChild(): void {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    this.#kill(child);
  }

  #kill(child: ChildProcessWithoutNullStreams): void {
    // Never started (spawn 'error'), already gone, or already being stopped: nothing to signal.
    if (child.pid === undefined || this.#stopping.has(child) || child.exitCode !== null || child.signalCode !== null)
      return;
    const timer = this.#o.timers.setTimeout(() => {
      if (this.#stopping.has(child)) child.kill('SIGKILL');
    }, this.#o.killTimeoutMs);
    this.#stopping.set(child, timer);
    child.stdin.end();
    child.kill('SIGTERM');
  }
}

/** samplingFrequencyIndex to Hz (ISO/IEC 14496-3 Table 1.18); AudioTrack refuses 13..15. */
const CORE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
