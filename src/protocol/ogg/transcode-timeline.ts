/**
 * Maps a transcoder's output back onto the stream's timeline. ffmpeg reads ADTS from a pipe and numbers
 * its samples from 0 without gaps, so its output time says how far into *what it was given* a packet is:
 * each AAC frame written is remembered with its own stream time, and an Opus packet at transcoder time t
 * gets the stream time of the frame that held t plus the offset into it. Gaps in the source (a publisher
 * pause, frames dropped because ffmpeg fell behind) and a publisher clock that drifts from its sample count
 * are thus carried by each frame's own time and never accumulate.
 */

/** The AAC frames handed to the transcoder whose output has not all come back, bounded. */
export class TranscodeTimeline {
  readonly #max: number;
  #start: number[] = [];
  #time: number[] = [];
  #head = 0;
  /** Transcoder-time end of the last frame written (ms since the transcoder's first sample). */
  #end = 0;
  /** Frames forgotten because `maxFrames` were outstanding. */
  forgotten = 0;

  constructor(maxFrames: number) {
    this.#max = maxFrames;
  }

  /** Frames remembered now. */
  get size(): number {
    return this.#start.length - this.#head;
  }

  /** A frame of `durationMs` at stream time `timeMs` was written to the transcoder. */
  input(timeMs: number, durationMs: number): void {
    if (this.size >= this.#max) {
      this.#head++;
      this.forgotten++;
    }
    this.#start.push(this.#end);
    this.#time.push(timeMs);
    this.#end += durationMs;
    if (this.#head > 1024) {
      this.#start = this.#start.slice(this.#head);
      this.#time = this.#time.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * The stream time (ms) of transcoder time `t` (ms); frames wholly before `t` are forgotten, since output
   * comes back in order. Undefined before any frame.
   */
  sourceTime(t: number): number | undefined {
    if (this.size === 0) return undefined;
    // Skip frames that end at or before t, but keep the last one to extrapolate from.
    while (this.#start.length - this.#head > 1 && this.#start[this.#head + 1]! <= t) this.#head++;
    return this.#time[this.#head]! + (t - this.#start[this.#head]!);
  }

  /** Forgets everything (a new transcoder process starts its time at 0). */
  reset(): void {
    this.#start = [];
    this.#time = [];
    this.#head = 0;
    this.#end = 0;
  }
}

/** How far (48 kHz samples, 40 ms) an Opus packet's mapped time may stray before the RTP clock jumps to it. */
export const RESYNC_SAMPLES = 40 * 48;

/**
 * The 48 kHz RTP timestamps of a transcoded Opus track: packets follow each other sample-exact (what a
 * jitter buffer expects; millisecond FLV times would make each step 960 ± 48) while the mapped stream time
 * stays within RESYNC_SAMPLES of the running clock, and jump to it when it does not (a gap, a restart).
 */
export class OpusRtpClock {
  #next: number | undefined;
  /** Times the clock jumped to the stream time. */
  resyncs = 0;

  /** The RTP timestamp of a packet of `samples` at stream time `sourceMs`. */
  next(sourceMs: number, samples: number): number {
    const target = Math.round(sourceMs * 48);
    let ts = this.#next ?? target;
    if (Math.abs(target - ts) > RESYNC_SAMPLES) {
      ts = target;
      this.resyncs++;
    }
    this.#next = ts + samples;
    return ts >>> 0;
  }
}
