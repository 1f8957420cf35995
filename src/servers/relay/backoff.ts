/**
 * Exponential reconnect delays with jitter, capped: a target that is down is asked less and less often,
 * and many forwards to one restarted target do not all knock at the same instant.
 */

/** Options of a Backoff; `random` is injected so tests are exact. */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** A number in [0, 1); Math.random by default. */
  readonly random?: () => number;
}

/** The delay before the next attempt: `min(max, initial * 2^n)`, jittered to between half of it and all of it. */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions) {
    this.#initialMs = Math.max(1, options.initialMs);
    this.#maxMs = Math.max(this.#initialMs, options.maxMs);
    this.#random = options.random ?? Math.random;
  }

  /** Failed attempts since the last `reset()`. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt; each call doubles the base until the cap. */
  next(): number {
    const base = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    // "Equal jitter": never less than half the base, so a down target is never hammered.
    return Math.round(base / 2 + this.#random() * (base / 2));
  }

  /** A connection succeeded: the next failure starts again at the initial delay. */
  reset(): void {
    this.#attempt = 0;
  }
}
