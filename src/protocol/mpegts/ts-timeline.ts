/**
 * MPEG-TS times are a 90 kHz clock modulo 2^33 (ISO/IEC 13818-1 §2.4.3.7) that wraps after 26.5 hours
 * and may jump at a discontinuity; the hub wants milliseconds that only grow per track. The demuxer has
 * one TsTimeline (shared unwrapping and start) and one TrackClock per elementary stream.
 */
import type { TsDemuxStats } from './ts-demux-stats.ts';
import { TS_CLOCK_WRAP } from './ts-packet.ts';

/** Half the 33-bit range: a step of less than this either way is taken as it comes. */
const HALF_WRAP = TS_CLOCK_WRAP / 2;

/** Unwraps 33-bit 90 kHz times onto one continuous timeline and remembers where the stream started. */
export class TsTimeline {
  private last = -1;
  private unwrapped = 0;
  /** The first time seen (ms on the unwrapped clock): output time 0. */
  base: number | undefined;
  /** The latest output time of any track, where a track that starts late begins. */
  latest = 0;

  /** The continuous 90 kHz value for a 33-bit `raw` time: the previous value plus the signed step to it. */
  unwrap(raw: number): number {
    if (this.last < 0) this.unwrapped = raw;
    else {
      let step = raw - this.last;
      if (step > HALF_WRAP) step -= TS_CLOCK_WRAP;
      else if (step < -HALF_WRAP) step += TS_CLOCK_WRAP;
      this.unwrapped += step;
    }
    this.last = raw;
    return this.unwrapped;
  }

  /** Forgets the 33-bit history, for a new time base (a PCR discontinuity). */
  reset(): void {
    this.last = -1;
  }
}

/** Turns one track's unwrapped 90 kHz decoding times into non-decreasing output milliseconds. */
export class TrackClock {
  private readonly timeline: TsTimeline;
  private readonly maxJumpMs: number;
  private offset: number | undefined;
  private last = 0;
  private readonly stats: Pick<TsDemuxStats, 'timestampJumps'>;

  /** Counts each rebase in `stats.timestampJumps`. */
  constructor(timeline: TsTimeline, maxJumpMs: number, stats: Pick<TsDemuxStats, 'timestampJumps'>) {
    this.timeline = timeline;
    this.maxJumpMs = maxJumpMs;
    this.stats = stats;
  }

  /**
   * Output milliseconds for unwrapped 90 kHz time `t90`. A small step back (encoder jitter, audio
   * slightly behind the stream start) is held at the last value; a large jump either way is a
   * discontinuity, after which the track continues from its last time instead of leaping.
   */
  next(t90: number): number {
    const tl = this.timeline;
    const t = t90 / 90;
    if (this.offset === undefined) {
      // The first track starts the timeline at 0; another one joins it on the same clock (audio a few
      // frames behind video is interleaving, not a jump), unless it is far from where the others are.
      tl.base ??= t;
      this.offset = tl.base;
      const ms = t - this.offset;
      if (Math.abs(ms - tl.latest) > this.maxJumpMs) {
        this.offset = t - tl.latest;
        this.last = tl.latest;
      } else {
        this.last = Math.max(0, ms);
      }
    }
    let ms = t - this.offset;
    const step = ms - this.last;
    if (step > this.maxJumpMs || step < -1000) {
      this.offset += step;
      ms = this.last;
      this.stats.timestampJumps++;
    } else if (step < 0) {
      ms = this.last;
    }
    this.last = ms;
    if (ms > tl.latest) tl.latest = ms;
    return Math.round(ms);
  }
}
