/**
 * RTP time to media milliseconds: the 32-bit RTP timestamp (RFC 3550 §5.1) wraps (at 90 kHz every 13.25
 * hours), and its start is random, so each packet's signed distance from the last is added up from an
 * origin the glue chooses (the time since the session started, so audio and video start where they arrived).
 */

/** Unwraps one stream's RTP timestamps into milliseconds. */
export class RtpClock {
  readonly #perMs: number;
  #last: number | undefined;
  #ticks = 0;
  readonly #originMs: number;

  /** `rate` in Hz (90000 video, 48000 Opus); the first timestamp maps to `originMs`. */
  constructor(rate: number, originMs: number) {
    this.#perMs = rate / 1000;
    this.#originMs = originMs;
  }

  /** Milliseconds of `rtpTimestamp`; a step back (reordering, a restart) goes back, never wraps to +13 h. */
  toMs(rtpTimestamp: number): number {
    const ts = rtpTimestamp >>> 0;
    if (this.#last !== undefined) this.#ticks += (ts - this.#last) | 0;
    this.#last = ts;
    return Math.max(0, Math.round(this.#originMs + this.#ticks / this.#perMs));
  }
}
