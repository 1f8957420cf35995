/**
 * Token buckets per key (a SecretId, a client address): `ratePerSecond` sustained, the same number as the
 * burst. The table is bounded: a bucket idle long enough to be full again says nothing a new one would not,
 * so idle buckets are dropped as others are used, and at `maxKeys` the least recently used goes first.
 */
import { isIP } from 'node:net';
import { normalizeIp } from '../connection-gate.ts';

interface Bucket {
  tokens: number;
  at: number;
}

/** Per-key token buckets on an injected clock, in a table of bounded size. */
export class RateLimiter {
  private readonly rate: number;
  /** In least-recently-used order: each take moves its key to the end. */
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  /** `ratePerSecond` 0 disables the limit; `maxKeys` bounds the table (default: unbounded, for SecretIds, which the operator creates). */
  constructor(ratePerSecond: number, now: () => number, maxKeys = Number.POSITIVE_INFINITY) {
    this.rate = ratePerSecond;
    this.now = now;
    this.maxKeys = Math.max(1, maxKeys);
  }

  /** Keys with a bucket now. */
  get size(): number {
    return this.buckets.size;
  }

  /** The configured rate (0: no limit). */
  get ratePerSecond(): number {
    return this.rate;
  }

  /** Takes one token for `key`; false when the key has none left. */
  take(key: string): boolean {
    if (this.rate <= 0) return true;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.rate, at: now };
    bucket.tokens = Math.min(this.rate, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.rate);
    bucket.at = now;
    this.buckets.delete(key);
    this.evict(now);
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Drops up to two idle buckets from the old end (amortized sweep), and the oldest ones while the table is full. */
  private evict(now: number): void {
    // A bucket untouched for a second has refilled completely (burst = rate): forgetting it changes nothing.
    for (let i = 0; i < 2; i++) {
      const oldest = this.buckets.entries().next();
      if (oldest.done || now - oldest.value[1].at < 1000) break;
      this.buckets.delete(oldest.value[0]);
    }
    while (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next();
      if (oldest.done) break;
      this.buckets.delete(oldest.value);
    }
  }
}

/**
 * The rate-limit key of a client address: IPv4 as is (also when mapped, `::ffff:a.b.c.d`), IPv6 by its
 * /64, since one host is handed a whole /64 and could otherwise take a fresh bucket per request.
 */
export function addressKey(ip: string): string {
  const address = normalizeIp(ip);
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, '').toLowerCase())
    .join(':')}::/64`;
}
