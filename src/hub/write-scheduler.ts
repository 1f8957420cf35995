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
  /** The flush group the scheduler put it in (round robin by first schedule); set by the scheduler only. */
  flushGroup?: number;
}

/** How the flushes of a hub are spread (fanout.flushGroups). */
export interface WriteSchedulerOptions {
  /**
   * 1 (default): one flush of every dirty subscriber, one window after the oldest queued message.
   * G > 1: subscribers in G groups, group g flushed on its own grid of ticks one window apart at phase
   * g/G of the window, so a flush visits about 1/G of the players; holds are then uniform in (0, window].
   */
  readonly groups?: number;
  /** The hub's clock (ms), for the tick grid of G > 1. */
  readonly now?: () => number;
}

/** The dirty subscribers of one group, its timer and its rotating flush start. */
interface Group {
  dirty: Flushable[];
  timer: unknown;
  /** Where in the dirty list the next flush starts, as a fraction of its length (see flushAll). */
  startPhase: number;
  /** Its tick offset in the window, ms. */
  readonly offsetMs: number;
  readonly fire: () => void;
}

/** Golden-ratio step of the flush start: successive starts spread evenly over any number of players. */
const startStep = 0.6180339887498949;

/**
 * One timer per hub (per group with G > 1) that flushes every dirty subscriber once per window. A timer
 * exists only while something is dirty (an idle hub has none), and a flush visits only the dirty
 * subscribers. With one group the window runs from the oldest queued message (the first of an empty
 * batch arms the timer); with G groups it ends at the group's next tick. Either way nothing waits more
 * than one window for its flush to start, and no subscriber is written twice in one window.
 */
export class WriteScheduler {
  readonly #windowMs: number;
  readonly #timers: HubTimers;
  readonly #now: () => number;
  readonly #groups: Group[];
  /** Subscribers given a group so far: the next one's group is this modulo the group count. */
  #assigned = 0;
  #closed = false;
  /** The last batch seen by `joined()` in this flush, and its joined copy once a second player had it. */
  #lastParts: Buffer[] | undefined;
  #lastJoined: Buffer | undefined;

  constructor(windowMs: number, timers: HubTimers, options: WriteSchedulerOptions = {}) {
    this.#windowMs = windowMs;
    this.#timers = timers;
    this.#now = options.now ?? Date.now;
    const g = Math.max(1, Math.floor(options.groups ?? 1));
    this.#groups = Array.from({ length: g }, (_, i) => {
      const group: Group = {
        dirty: [],
        timer: undefined,
        startPhase: 0,
        offsetMs: Math.round((i * windowMs) / g),
        fire: () => this.#flushGroup(group),
      };
      return group;
    });
  }

  /** Whether a flush timer is pending. */
  get armed(): boolean {
    return this.#groups.some((g) => g.timer !== undefined);
  }

  /** Number of subscribers waiting for the next flush. */
  get dirtyCount(): number {
    return this.#groups.reduce((n, g) => n + g.dirty.length, 0);
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
    const groups = this.#groups;
    const group = groups.length === 1 ? groups[0]! : groups[(f.flushGroup ??= this.#assigned++ % groups.length)]!;
    group.dirty.push(f);
    if (group.timer === undefined) group.timer = this.#timers.setTimeout(group.fire, this.#delay(group));
  }

  /** Ms until the group's flush: a whole window with one group, else until its next tick, in (0, window]. */
  #delay(group: Group): number {
    const w = this.#windowMs;
    if (this.#groups.length === 1) return w;
    const into = (((this.#now() - group.offsetMs) % w) + w) % w;
    return w - into;
  }

  /** Flushes every dirty subscriber now (used when closing, and by tests). */
  flushAll(): void {
    for (const g of this.#groups) this.#flushGroup(g);
  }

  /**
   * Flushes one group's dirty subscribers (its timer's job). A flush of 1000 players takes
   * milliseconds, so the last one written gets its batch that much later: the start rotates (by the
   * golden ratio of the list) so that no player, such as the latest to join, is always last; every
   * player sees the average position. The writes and their order cost the same.
   */
  #flushGroup(group: Group): void {
    if (group.timer !== undefined) {
      this.#timers.clearTimeout(group.timer);
      group.timer = undefined;
    }
    const dirty = group.dirty;
    group.dirty = [];
    const n = dirty.length;
    const start = Math.floor(group.startPhase * n);
    group.startPhase = (group.startPhase + startStep) % 1;
    for (let i = start; i < n; i++) dirty[i]!.flush();
    for (let i = 0; i < start; i++) dirty[i]!.flush();
    // A sink callback that queued more during the flush armed the timer anew (schedule): the next window.
    this.#lastParts = this.#lastJoined = undefined;
  }

  /**
   * The batch as the sink should write it. In steady state every player of a stream flushes the same
   * shared buffers in the same window, so the second player with a batch gets it joined into one Buffer,
   * shared with every later one: a single write instead of a corked writev of N (less work in Node's
   * stream and one iovec), and the copy is made once per window (per group), not per player. The first
   * player, and a batch only one player has (a join's GOP), keep the parts: no private copy of shared bytes.
   */
  joined(parts: Buffer[]): Buffer[] {
    const last = this.#lastParts;
    if (last !== undefined && sameParts(last, parts)) return [(this.#lastJoined ??= Buffer.concat(parts))];
    // A copy: the array itself is handed to the sink, which may replace or extend it.
    this.#lastParts = parts.slice();
    this.#lastJoined = undefined;
    return parts;
  }

  /** Stops the timers and forgets pending work; idempotent. */
  close(): void {
    this.#closed = true;
    for (const g of this.#groups) {
      if (g.timer !== undefined) this.#timers.clearTimeout(g.timer);
      g.timer = undefined;
      g.dirty = [];
    }
    this.#lastParts = this.#lastJoined = undefined;
  }
}

/** Whether two batches hold the same Buffers (identity: the hub's shared encodings) in the same order. */
function sameParts(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
