/** Push quality of one publisher (fps, video and audio bitrate) over a sliding pair of windows. */
import { MediaType, type MediaMessage } from '../../protocol/media.ts';

/** Rates measured over the last complete window. */
export interface PushRates {
  readonly fps: number;
  /** Bits per second. */
  readonly videoBitrate: number;
  readonly audioBitrate: number;
}

const windowMs = 5000;

/** Counts media as it arrives; plain counters so the ingest path pays only additions. */
export class PushQuality {
  private windowStart: number;
  private frames = 0;
  private videoBytes = 0;
  private audioBytes = 0;
  private last: PushRates = { fps: 0, videoBitrate: 0, audioBitrate: 0 };

  constructor(now: number) {
    this.windowStart = now;
  }

  /** Counts one message received at `now`. */
  add(msg: MediaMessage, now: number): void {
    if (now - this.windowStart >= windowMs) this.roll(now);
    if (msg.type === MediaType.Video && !msg.sequenceHeader) {
      this.frames++;
      this.videoBytes += msg.payload.length;
    } else if (msg.type === MediaType.Audio) {
      this.audioBytes += msg.payload.length;
    }
  }

  /** The rates of the last complete window (the current one once it is long enough to mean something). */
  rates(now: number): PushRates {
    if (now - this.windowStart >= windowMs) this.roll(now);
    return this.last;
  }

  private roll(now: number): void {
    const seconds = (now - this.windowStart) / 1000;
    this.last = {
      fps: Math.round((this.frames / seconds) * 10) / 10,
      videoBitrate: Math.round((this.videoBytes * 8) / seconds),
      audioBitrate: Math.round((this.audioBytes * 8) / seconds),
    };
    this.windowStart = now;
    this.frames = this.videoBytes = this.audioBytes = 0;
  }
}
