/**
 * Keeps the record tables (publish records, rejected attempts, callback attempts) from growing without
 * end: at start and then every interval it deletes what is older than the retention and the oldest rows
 * past the row cap of each table, a batch at a time with a turn of the event loop between batches, so a
 * large backlog never becomes one long synchronous delete. Open publish sessions are never deleted.
 */
import type { Store } from './store.ts';

/** How the pruner is built; the clock and timers are injected so tests need no sleeps. */
export interface RecordPrunerOptions {
  readonly store: Store;
  readonly now: () => number;
  /** Records older than this many days go (store.retentionDays). */
  readonly retentionDays: number;
  /** Rows kept per table at most, newest first (store.maxRows). */
  readonly maxRows: number;
  /** How often to prune (store.pruneIntervalMs). */
  readonly intervalMs: number;
  /** Rows deleted per table in one step (default 500). */
  readonly batch?: number;
  readonly onError?: (err: unknown) => void;
  readonly setTimer?: (run: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
  /** Waits one turn between batches (default setImmediate). */
  readonly yieldTurn?: () => Promise<void>;
}

/** What the pruner has removed, for /metrics. */
export interface RecordPrunerStats {
  records: number;
  callbackAttempts: number;
  runs: number;
}

const dayMs = 24 * 3600 * 1000;

/** One timer that prunes the record tables by age and row count. */
export class RecordPruner {
  readonly stats: RecordPrunerStats = { records: 0, callbackAttempts: 0, runs: 0 };
  private readonly o: Required<RecordPrunerOptions>;
  private timer: unknown;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(options: RecordPrunerOptions) {
    this.o = {
      batch: 500,
      onError: () => {},
      setTimer: (run, ms) => setTimeout(run, ms).unref(),
      clearTimer: (t) => clearTimeout(t as NodeJS.Timeout),
      yieldTurn: () => new Promise((resolve) => setImmediate(resolve)),
      ...options,
    };
  }

  /** Prunes once now, then every interval. */
  start(): void {
    if (this.closed || this.timer !== undefined) return;
    this.schedule(0);
  }

  /** One full pass (the timer's work); resolves when the tables are within their limits. */
  pruneNow(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops the timer and waits for a pass in progress; idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) this.o.clearTimer(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(ms: number): void {
    this.timer = this.o.setTimer(() => {
      this.timer = undefined;
      void this.pruneNow().finally(() => {
        if (!this.closed) this.schedule(this.o.intervalMs);
      });
    }, ms);
  }

  private async pass(): Promise<void> {
    const before = this.o.now() - this.o.retentionDays * dayMs;
    const limits = { maxRows: this.o.maxRows, batch: this.o.batch };
    try {
      for (;;) {
        const n = await this.o.store.pruneRecords(before, limits);
        this.stats.records += n;
        if (n === 0 || this.closed) break;
        await this.o.yieldTurn();
      }
      for (;;) {
        const n = await this.o.store.callbacks.pruneCallbackAttempts(before, limits);
        this.stats.callbackAttempts += n;
        if (n === 0 || this.closed) break;
        await this.o.yieldTurn();
      }
      this.stats.runs++;
    } catch (err) {
      this.o.onError(err);
    }
  }
}
