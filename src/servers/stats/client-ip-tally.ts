/**
 * Flux and plays per client address for DescribeTopClientIpSumInfoList (docs/statistics.md "Client
 * addresses"): the statistics sampler adds each player's bytes since its last reading (RTMP, HTTP-FLV,
 * WS-FLV, SRT and HLS alike) once per tick, into hourly buckets kept in memory for `retentionMs`. The
 * samples in the store keep no addresses (a row per address and minute would multiply them), so this
 * history is the node's own and starts again with the process.
 */

/** One address's totals over a window. */
export interface ClientIpTotals {
  readonly clientIp: string;
  readonly bytes: number;
  readonly requests: number;
}

/** Limits of the tally. */
export interface ClientIpTallyOptions {
  /** How long an hour's bucket is kept (default 31 days, the action's longest window). */
  readonly retentionMs?: number;
  /** Addresses remembered per hour at most; past it new addresses of that hour are not counted (hostile churn). */
  readonly maxAddressesPerHour?: number;
}

const hour = 3_600_000;

/** Hourly per-address byte and play counts, fed by one timer. */
export class ClientIpTally {
  readonly #retentionMs: number;
  readonly #maxPerHour: number;
  readonly #hours = new Map<number, Map<string, { bytes: number; requests: number }>>();

  constructor(options: ClientIpTallyOptions = {}) {
    this.#retentionMs = options.retentionMs ?? 31 * 24 * hour;
    this.#maxPerHour = options.maxAddressesPerHour ?? 10_000;
  }

  /** Adds `bytes` sent to `clientIp` at `now`; `started` counts a new play (one request). */
  add(now: number, clientIp: string, bytes: number, started: boolean): void {
    if (!clientIp || (bytes <= 0 && !started)) return;
    const at = Math.floor(now / hour) * hour;
    let bucket = this.#hours.get(at);
    if (!bucket) {
      this.#hours.set(at, (bucket = new Map()));
      for (const h of this.#hours.keys()) if (h < now - this.#retentionMs) this.#hours.delete(h);
    }
    let t = bucket.get(clientIp);
    if (!t) {
      if (bucket.size >= this.#maxPerHour) return;
      bucket.set(clientIp, (t = { bytes: 0, requests: 0 }));
    }
    t.bytes += Math.max(0, bytes);
    if (started) t.requests++;
  }

  /** Totals per address over the hours that overlap `[since, before)`. */
  totals(since: number, before: number): ClientIpTotals[] {
    const sums = new Map<string, { bytes: number; requests: number }>();
    for (const [at, bucket] of this.#hours) {
      if (at + hour <= since || at >= before) continue;
      for (const [ip, t] of bucket) {
        const s = sums.get(ip) ?? { bytes: 0, requests: 0 };
        s.bytes += t.bytes;
        s.requests += t.requests;
        sums.set(ip, s);
      }
    }
    return [...sums].map(([clientIp, s]) => ({ clientIp, ...s }));
  }
}
