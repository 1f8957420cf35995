/** A token bucket per key (SecretId): `ratePerSecond` sustained, the same number as the burst. */

/** Per-key token buckets on an injected clock. */
export class RateLimiter {
  private readonly rate: number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly now: () => number;

  /** `ratePerSecond` 0 disables the limit. */
  constructor(ratePerSecond: number, now: () => number) {
    this.rate = ratePerSecond;
    this.now = now;
  }

  /** Takes one token for `key`; false when the key has none left. */
  take(key: string): boolean {
    if (this.rate <= 0) return true;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.rate, at: now };
    bucket.tokens = Math.min(this.rate, bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
