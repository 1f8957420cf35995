/**
 * Writes refused publishes and plays so that a hostile client cannot fill the disk with them: every stored
 * field is cut to a sane length (a 60 KB stream name is kept as its first 256 characters), and past a
 * threshold per client address and window the refusals of that address share one row per error code whose
 * count grows, instead of one row each. 1000 refusals from one address in a minute cost about twenty rows
 * and a few counter updates. The writes never hold up the refusal: the caller does not wait for the store.
 */
import type { NewRejectedAttempt, Store } from '../store/store.ts';

/** The longest value kept of each stored field, in UTF-16 code units (docs/security.md "Records and the store"). */
export const storedFieldLimits = {
  clientIp: 64,
  host: 256,
  domain: 256,
  app: 256,
  stream: 256,
  query: 1024,
  reason: 512,
} as const;

/** How the recorder is built. */
export interface RejectionRecorderOptions {
  readonly store: Store;
  readonly now: () => number;
  /** Refusals of one address stored one row each per window; past it they are counted in aggregate rows. */
  readonly perAddress: number;
  readonly windowMs: number;
  /** Addresses tracked at once; past it the oldest is forgotten (it starts a fresh window). */
  readonly maxAddresses?: number;
  /** Told when a refusal could not be recorded; the refusal stands. */
  readonly onStoreError?: (err: unknown) => void;
}

/** What the recorder did, for /metrics. */
export interface RejectionRecorderStats {
  /** Refusals written as rows of their own. */
  rows: number;
  /** Refusals counted in an aggregate row instead. */
  aggregated: number;
}

/** An aggregate row of one address, window and code: its id once written, and the refusals not yet added to it. */
interface Aggregate {
  readonly id: Promise<number>;
  pending: number;
  lastAt: number;
  flushing: boolean;
}

interface AddressWindow {
  readonly start: number;
  rows: number;
  readonly aggregates: Map<string, Aggregate>;
}

/** Cuts a value to `max` code units without splitting a surrogate pair, marking the cut with `…`. */
export function truncateField(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = max - 1;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${value.slice(0, end)}…`;
}

/** The attempt with every field cut to storedFieldLimits. */
export function truncateAttempt(a: NewRejectedAttempt): NewRejectedAttempt {
  const l = storedFieldLimits;
  return {
    ...a,
    clientIp: truncateField(a.clientIp, l.clientIp),
    host: truncateField(a.host, l.host),
    domain: truncateField(a.domain, l.domain),
    app: truncateField(a.app, l.app),
    stream: truncateField(a.stream, l.stream),
    query: truncateField(a.query, l.query),
    reason: truncateField(a.reason, l.reason),
  };
}

/** Records refusals truncated and, past the per-address threshold, aggregated. */
export class RejectionRecorder {
  readonly stats: RejectionRecorderStats = { rows: 0, aggregated: 0 };
  private readonly o: Required<RejectionRecorderOptions>;
  private readonly windows = new Map<string, AddressWindow>();

  constructor(options: RejectionRecorderOptions) {
    this.o = { maxAddresses: 10_000, onStoreError: () => {}, ...options };
  }

  /**
   * Records one refusal. The write starts before this returns (so a reader that awaits it sees the row);
   * the promise settles when it is stored, and never rejects: store errors go to onStoreError.
   */
  record(attempt: NewRejectedAttempt): Promise<void> {
    const a = truncateAttempt({ ...attempt, count: 1 });
    const w = this.windowOf(a.clientIp, a.at);
    if (w.rows < this.o.perAddress) {
      w.rows++;
      this.stats.rows++;
      return this.o.store.addRejectedAttempt(a).then(
        () => undefined,
        (err: unknown) => this.o.onStoreError(err),
      );
    }
    this.stats.aggregated++;
    const key = `${a.breakCode} ${a.code}`;
    const agg = w.aggregates.get(key);
    if (!agg) {
      // The first refusal past the threshold becomes the aggregate row; the ones after it count in it.
      const id = this.o.store.addRejectedAttempt(a);
      const fresh: Aggregate = { id, pending: 0, lastAt: a.at, flushing: false };
      w.aggregates.set(key, fresh);
      return id.then(
        () => undefined,
        (err: unknown) => {
          w.aggregates.delete(key);
          this.o.onStoreError(err);
        },
      );
    }
    agg.pending++;
    agg.lastAt = Math.max(agg.lastAt, a.at);
    return this.flush(agg);
  }

  /** Adds the pending refusals to the aggregate row, one update for all that arrived meanwhile. */
  private async flush(agg: Aggregate): Promise<void> {
    if (agg.flushing) return;
    agg.flushing = true;
    try {
      const id = await agg.id;
      while (agg.pending > 0) {
        const by = agg.pending;
        agg.pending = 0;
        await this.o.store.countRejectedAttempt(id, by, agg.lastAt);
      }
    } catch (err) {
      this.o.onStoreError(err);
    } finally {
      agg.flushing = false;
    }
  }

  /** The current window of an address, starting a new one when the last has ended. */
  private windowOf(address: string, now: number): AddressWindow {
    const current = this.windows.get(address);
    if (current && now - current.start < this.o.windowMs) return current;
    if (current) this.windows.delete(address);
    if (this.windows.size >= this.o.maxAddresses) {
      // Map order is start order (a new window is inserted anew): the ended ones come first.
      for (const [ip, w] of this.windows) {
        if (now - w.start < this.o.windowMs) break;
        this.windows.delete(ip);
      }
      // Still full: forget the oldest address.
      if (this.windows.size >= this.o.maxAddresses) this.windows.delete(this.windows.keys().next().value!);
    }
    const fresh: AddressWindow = { start: now, rows: 0, aggregates: new Map() };
    this.windows.set(address, fresh);
    return fresh;
  }
}
