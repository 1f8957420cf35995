/**
 * Remembers the TC3 signatures already used, so each is accepted once within its window. Tencent's SDKs
 * sign only `content-type;host` (tencent-sdk-notes.md), not X-TC-Action: without this a captured request
 * could be sent again, even as another action, for as long as its timestamp is within 300 s of the clock.
 * Only verified signatures are recorded, so only key holders can fill it; it never grows past its cap.
 */

/** What a claim found: first use, a second use, or no room to remember one more. */
export type ReplayVerdict = 'fresh' | 'replayed' | 'full';

/**
 * Where used signatures are kept. The in-process one is below; a cluster keeps them in the Coordinator's
 * Redis (`SET key 1 NX PXAT expiresAtMs`), so a request replayed to another node is refused too.
 */
export interface ReplayCache {
  /** Records `signature` as used until `expiresAtMs` (Unix ms), atomically: two claims of one signature never both get 'fresh'. */
  claim(signature: string, expiresAtMs: number): ReplayVerdict | Promise<ReplayVerdict>;
  close(): void;
}

/** How long a signature stays usable: X-TC-Timestamp is accepted while within `maxSkewSeconds` of the clock (in whole seconds). */
export function signatureExpiresAt(timestampSeconds: number, maxSkewSeconds: number): number {
  return (timestampSeconds + maxSkewSeconds + 1) * 1000;
}

/** Options of the in-process cache. */
export interface MemoryReplayCacheOptions {
  readonly now: () => number;
  /** Signatures remembered at most; past it, claims get 'full' instead of evicting one still usable. */
  readonly maxEntries: number;
}

/**
 * Used signatures in a Map, with buckets by expiry second so expired ones leave without a scan of the
 * whole Map: each new second visits only the buckets (at most ~600, one per second of the window).
 */
export class MemoryReplayCache implements ReplayCache {
  private readonly entries = new Map<string, number>();
  private readonly buckets = new Map<number, string[]>();
  private readonly now: () => number;
  private readonly maxEntries: number;
  private sweptSecond = -1;

  constructor(options: MemoryReplayCacheOptions) {
    this.now = options.now;
    this.maxEntries = options.maxEntries;
  }

  /** Signatures remembered now. */
  get size(): number {
    return this.entries.size;
  }

  claim(signature: string, expiresAtMs: number): ReplayVerdict {
    const now = this.now();
    this.sweep(now);
    const until = this.entries.get(signature);
    if (until !== undefined && until > now) return 'replayed';
    if (expiresAtMs <= now) return 'fresh';
    // Evicting a signature that is still usable would reopen its replay window: refuse instead.
    if (until === undefined && this.entries.size >= this.maxEntries) return 'full';
    this.entries.set(signature, expiresAtMs);
    const second = Math.ceil(expiresAtMs / 1000);
    const bucket = this.buckets.get(second);
    if (bucket) bucket.push(signature);
    else this.buckets.set(second, [signature]);
    return 'fresh';
  }

  close(): void {
    this.entries.clear();
    this.buckets.clear();
  }

  /** Drops the buckets whose second has passed, once per second of the clock. */
  private sweep(now: number): void {
    const second = Math.floor(now / 1000);
    if (second === this.sweptSecond) return;
    this.sweptSecond = second;
    for (const [s, signatures] of this.buckets) {
      if (s * 1000 > now) continue;
      for (const sig of signatures) {
        const until = this.entries.get(sig);
        if (until !== undefined && until <= now) this.entries.delete(sig);
      }
      this.buckets.delete(s);
    }
  }
}
