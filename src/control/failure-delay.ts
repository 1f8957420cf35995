/**
 * Slows down guessing of signatures: each IP has a failure score that halves every `halfLifeMs`;
 * once it reaches `threshold`, every further signature failure from that IP is answered after a
 * random 100–600 ms. An honest encoder with a wrong key hardly notices; a guesser gets a few tries
 * a second per connection. Memory is bounded: the least recently failing IPs are forgotten first.
 */

/** Tuning of the delay; the defaults suit a public RTMP port. */
export interface FailureDelayOptions {
  /** Failures (decayed) from one IP before delays start. */
  readonly threshold?: number;
  readonly halfLifeMs?: number;
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /** IPs remembered at most. */
  readonly maxTracked?: number;
  /**
   * The cluster's count of failures per IP (control/cluster-tally.ts, a window of `halfLifeMs`): a guesser
   * spread over nodes is delayed once the cluster has seen `threshold` failures. Read without waiting.
   */
  readonly shared?: { add(ip: string): number };
}

interface Score {
  value: number;
  at: number;
}

/** Per-IP failure scores with exponential decay. */
export class FailureDelay {
  private readonly scores = new Map<string, Score>();
  private readonly threshold: number;
  private readonly halfLifeMs: number;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxTracked: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly shared: { add(ip: string): number } | undefined;

  constructor(now: () => number, random: () => number, options: FailureDelayOptions = {}) {
    this.now = now;
    this.random = random;
    this.threshold = options.threshold ?? 3;
    this.halfLifeMs = options.halfLifeMs ?? 60_000;
    this.minDelayMs = options.minDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 600;
    this.maxTracked = options.maxTracked ?? 10_000;
    this.shared = options.shared;
  }

  /** Counts one signature failure from `ip` and returns how long to wait before answering (0 if none). */
  fail(ip: string): number {
    const value = this.score(ip) + 1;
    // Delete and re-insert so the Map's order is least recently failing first.
    this.scores.delete(ip);
    this.scores.set(ip, { value, at: this.now() });
    if (this.scores.size > this.maxTracked) {
      const oldest = this.scores.keys().next();
      if (!oldest.done) this.scores.delete(oldest.value);
    }
    const cluster = this.shared?.add(ip) ?? 0;
    if (Math.max(value, cluster) < this.threshold) return 0;
    return Math.round(this.minDelayMs + this.random() * (this.maxDelayMs - this.minDelayMs));
  }

  /** The decayed failure score of `ip` now. */
  score(ip: string): number {
    const s = this.scores.get(ip);
    if (!s) return 0;
    return s.value * 2 ** (-(this.now() - s.at) / this.halfLifeMs);
  }

  /** How many IPs are remembered. */
  get tracked(): number {
    return this.scores.size;
  }
}
