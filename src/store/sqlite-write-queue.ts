/**
 * Keeps node:sqlite's synchronous calls from freezing the event loop while another process (the CLI next
 * to a running server) holds the database's write lock. The connection's busy timeout is a few ms; a step
 * that still finds the database locked (SQLITE_BUSY) is queued and tried again from a timer, in order, so
 * every stream keeps flowing and the write lands once the lock is free. Writes keep their order: while one
 * waits, later writes queue behind it. Reads do not queue behind writes (WAL readers never wait for the
 * writer); a read that finds the database busy is retried the same way on its own.
 */
import { LiveError } from '../errors.ts';

/** How the queue waits for a lock; times are injected so tests can run it without sleeping. */
export interface WriteQueueOptions {
  /** Writes held while the database is locked; past it a write fails with STORE_BUSY at once. */
  readonly maxQueued: number;
  /** The first retry comes after this long; each further one waits twice as long, up to `maxRetryMs`. */
  readonly retryMs: number;
  readonly maxRetryMs: number;
  readonly setTimer?: (run: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
}

/** What the queue has done, for /metrics. */
export interface WriteQueueStats {
  /** Writes waiting for the lock now. */
  queued: number;
  /** Steps that found the database locked and were tried again later. */
  busyRetries: number;
  /** Writes refused because the queue was full (STORE_BUSY). */
  refused: number;
}

interface Pending {
  readonly step: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/** How long one turn of the event loop may spend writing a backlog. */
const sliceMs = 5;

/** Whether a node:sqlite error is SQLITE_BUSY or SQLITE_LOCKED (extended codes included). */
export function isBusy(err: unknown): boolean {
  const errcode = (err as { errcode?: unknown } | null)?.errcode;
  return typeof errcode === 'number' && ((errcode & 0xff) === 5 || (errcode & 0xff) === 6);
}

/** Runs database steps now, or later in order when the database is locked by another process. */
export class SqliteWriteQueue {
  readonly stats: WriteQueueStats = { queued: 0, busyRetries: 0, refused: 0 };
  private readonly o: Required<WriteQueueOptions>;
  private readonly writes: Pending[] = [];
  private readonly reads = new Map<unknown, (err: unknown) => void>();
  private timer: unknown;
  private delayMs: number;
  private drained: (() => void)[] = [];
  private closed = false;

  constructor(options: WriteQueueOptions) {
    this.o = {
      setTimer: (run, ms) => setTimeout(run, ms),
      clearTimer: (t) => clearTimeout(t as NodeJS.Timeout),
      ...options,
    };
    this.delayMs = options.retryMs;
  }

  /** Runs a write step now if nothing is waiting, else queues it behind the others. */
  write<T>(step: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new LiveError('STORE_FAILED', 'the store is closed'));
    if (this.writes.length === 0) {
      try {
        return Promise.resolve(step());
      } catch (err) {
        if (!isBusy(err)) return Promise.reject(err);
        this.stats.busyRetries++;
      }
    }
    if (this.writes.length >= this.o.maxQueued) {
      this.stats.refused++;
      return Promise.reject(
        new LiveError(
          'STORE_BUSY',
          `the database is locked by another process and ${this.writes.length} writes are already waiting`,
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.writes.push({ step, resolve: resolve as (v: unknown) => void, reject });
      this.stats.queued = this.writes.length;
      this.schedule();
    });
  }

  /** Runs a read step now; if the database is busy (a checkpoint or recovery elsewhere), tries again later. */
  read<T>(step: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new LiveError('STORE_FAILED', 'the store is closed'));
    try {
      return Promise.resolve(step());
    } catch (err) {
      if (!isBusy(err)) return Promise.reject(err);
      this.stats.busyRetries++;
    }
    return new Promise<T>((resolve, reject) => {
      let delay = this.o.retryMs;
      const attempt = (): void => {
        this.reads.delete(timer);
        if (this.closed) return reject(new LiveError('STORE_FAILED', 'the store is closed'));
        try {
          resolve(step());
        } catch (err) {
          if (!isBusy(err)) return reject(err);
          this.stats.busyRetries++;
          delay = Math.min(delay * 2, this.o.maxRetryMs);
          timer = this.o.setTimer(attempt, delay);
          this.reads.set(timer, reject);
        }
      };
      let timer = this.o.setTimer(attempt, delay);
      this.reads.set(timer, reject);
    });
  }

  /** Resolves once no write is waiting, or after `deadlineMs`; then fails what is left with STORE_BUSY and refuses new steps. */
  async close(deadlineMs: number): Promise<void> {
    if (this.writes.length > 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        const t = this.o.setTimer(resolve, deadlineMs);
        this.drained.push(() => (this.o.clearTimer(t), resolve()));
      });
    }
    this.closed = true;
    if (this.timer !== undefined) this.o.clearTimer(this.timer);
    this.timer = undefined;
    for (const [t, reject] of this.reads) {
      this.o.clearTimer(t);
      reject(new LiveError('STORE_FAILED', 'the store closed while the database was busy; this read was not made'));
    }
    this.reads.clear();
    for (const w of this.writes.splice(0)) {
      w.reject(
        new LiveError(
          'STORE_BUSY',
          'the store closed while the database was still locked by another process; this write was not made',
        ),
      );
    }
    this.stats.queued = 0;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = this.o.setTimer(() => this.retry(), this.delayMs);
  }

  /**
   * Runs queued writes in order until one finds the lock taken again (then waits longer), all are done, or
   * this turn has used its time slice (then the rest follow on the next turn, so a long backlog does not
   * become one long block).
   */
  private retry(): void {
    this.timer = undefined;
    const started = performance.now();
    while (this.writes.length > 0) {
      if (performance.now() - started > sliceMs) {
        this.timer = this.o.setTimer(() => this.retry(), 0);
        return;
      }
      const w = this.writes[0]!;
      try {
        const value = w.step();
        this.writes.shift();
        w.resolve(value);
      } catch (err) {
        if (isBusy(err)) {
          this.stats.busyRetries++;
          this.delayMs = Math.min(this.delayMs * 2, this.o.maxRetryMs);
          this.schedule();
          return;
        }
        this.writes.shift();
        w.reject(err);
      } finally {
        this.stats.queued = this.writes.length;
      }
    }
    this.delayMs = this.o.retryMs;
    for (const done of this.drained.splice(0)) done();
  }
}
