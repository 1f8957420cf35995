/**
 * Merged writes (SRS "mw"): the cost of fan-out is per write, not per byte, so each subscriber's
 * pending packets are collected over a short window and written at once. At 40 ms this halves the
 * CPU of 1000 players against a write per message (fanout-measurements.md).
 */
import { Buffer } from 'node:buffer';
import type { HubTimers } from './hub-options.ts';

/** Something with pending writes; it schedules itself once per batch and flushes when told. */
export interface Flushable {
  flush(): void;
}

/** Golden-ratio step of the flush start: successive starts spread evenly over any number of players. */
const startStep = 0.6180339887498949;

/**
 * One timer per hub that flushes every dirty subscriber once per window. The timer exists only while
 * something is dirty (an idle hub has none), and a flush visits only the dirty subscribers. The window
 * runs from the oldest queued message (the first of an empty batch arms the timer), so nothing waits
 * more than one window for its flush to start.
 */
export class WriteScheduler {
  readonly #windowMs: number;
  readonly #timers: HubTimers;
  #dirty: Flushable[] = [];
  #timer: unknown;
  #closed = false;
  /** Where in the dirty list the next flush starts, as a fraction of its length (see flushAll). */
  #startPhase = 0;
  /** The last batch seen by `joined()` in this flush, and its joined copy once a second player had it. */
  #lastParts: Buffer[] | undefined;
  #lastJoined: Buffer | undefined;
  readonly #flushAll = (): void => this.flushAll();

  constructor(windowMs: number, timers: HubTimers) {
    this.#windowMs = windowMs;
    this.#timers = timers;
  }

  /** Whether a flush timer is pending. */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  /** Number of subscribers waiting for the next flush. */
  get dirtyCount(): number {
    return this.#dirty.length;
  }

  /**
   * Queues `f` for the next flush; with a 0 ms window it flushes at once. Callers schedule a
   * subscriber only once per batch (its own dirty flag), so the list holds no duplicates.
   */
  schedule(f: Flushable): void {
    if (this.#closed) return;
    if (this.#windowMs === 0) {
      f.flush();
      return;
    }
    this.#dirty.push(f);
    if (this.#timer === undefined) this.#timer = this.#timers.setTimeout(this.#flushAll, this.#windowMs);
  }

  /**
   * Flushes every dirty subscriber now (the timer's job; also used when closing). A flush of 1000
   * players takes milliseconds, so the last one written gets its batch that much later: the start
   * rotates (by the golden ratio of the list) so that no player, such as the latest to join, is
   * always last; every player sees the average position. The writes and their order cost the same.
   */
  flushAll(): void {
    if (this.#timer !== undefined) {
      this.#timers.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const dirty = this.#dirty;
    this.#dirty = [];
    const n = dirty.length;
    const start = Math.floor(this.#startPhase * n);
    this.#startPhase = (this.#startPhase + startStep) % 1;
    for (let i = start; i < n; i++) dirty[i]!.flush();
    for (let i = 0; i < start; i++) dirty[i]!.flush();
    this.#lastParts = this.#lastJoined = undefined;
    // A sink callback may have queued more during the flush: they wait for the next window.
    if (this.#dirty.length > 0 && !this.#closed) {
      this.#timer = this.#timers.setTimeout(this.#flushAll, this.#windowMs);
    }
  }

  /**
   * The batch as the sink should write it. In steady state every player of a stream flushes the same
   * shared buffers in the same window, so the second player with a batch gets it joined into one Buffer,
   * shared with every later one: a single write instead of a corked writev of N (less work in Node's
   * stream and one iovec), and the copy is made once per window, not per player. The first player, and
   * a batch only one player has (a join's GOP), keep the parts: no private copy of shared bytes.
   */
  joined(parts: Buffer[]): Buffer[] {
    const last = this.#lastParts;
    if (last !== undefined && sameParts(last, parts)) return [(this.#lastJoined ??= Buffer.concat(parts))];
    // A copy: the array itself is handed to the sink, which may replace or extend it.
    this.#lastParts = parts.slice();
    this.#lastJoined = undefined;
    return parts;
  }

  /** Stops the timer and forgets pending work; idempotent. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dirty = [];
    this.#lastParts = this.#lastJoined = undefined;
  }
}

/** Whether two batches hold the same Buffers (identity: the hub's shared encodings) in the same order. */
function sameParts(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
