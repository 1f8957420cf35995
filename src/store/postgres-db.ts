/**
 * The PostgreSQL adapter's connection: a bounded `pg` pool, parameterized queries only, transactions on one
 * pooled client, and a bounded retry queue for writes. pg is asynchronous, so a slow database never blocks
 * the event loop (publishes go on); when PostgreSQL is unreachable (connection refused or dropped, server
 * shutting down) a write waits and is tried again with backoff, up to `maxQueuedWrites` writes at once.
 * Past that cap a write fails at once with STORE_UNAVAILABLE and is counted (stats().refusedWrites, which
 * /metrics exports): nothing is lost silently. A write whose connection dropped after COMMIT may be made
 * twice when retried (at-least-once), which for records means a duplicate row, never a lost one.
 */
import type pg from 'pg';
import { lazyModule } from '../lazy-module.ts';
import { LiveError } from '../errors.ts';
import type { StoreStats } from './store.ts';

/** pg, loaded when a PostgreSQL store is opened (lazy-module.ts): SQLite setups never load it. */
const postgres = lazyModule<typeof pg>('pg');

/** What a step gets to query with: the pool or a transaction's client. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/** How the connection behaves. */
export interface PostgresDbOptions {
  readonly url: string;
  /** Connections at most (store.poolSize). */
  readonly poolSize: number;
  /** Writes waiting for PostgreSQL to come back; past it a write fails with STORE_UNAVAILABLE. */
  readonly maxQueuedWrites: number;
  /** First retry delay, doubled per retry up to maxRetryMs. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
}

/** Node socket errors that mean "the server is not there right now". */
const socketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * Whether an error means PostgreSQL could not be reached (worth retrying) rather than a refused statement:
 * socket errors, SQLSTATE class 08 (connection exception), 57P01-03 (shutdown, crash, starting up), 53300
 * (too many connections), and pg's own code-less errors ("Connection terminated", connect timeout).
 */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof LiveError || !(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string')
    return socketCodes.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code) || code === '53300';
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError) return false;
  // A DatabaseError always has a SQLSTATE; an Error from pg without one is about the connection.
  return (err as { severity?: unknown }).severity === undefined;
}

/** A pool with retried writes and the counters /metrics reads. */
export class PostgresDb {
  private readonly pool: pg.Pool;
  private readonly o: Required<Omit<PostgresDbOptions, 'url' | 'poolSize'>>;
  private readonly counts = { queued: 0, busyRetries: 0, refused: 0 };
  private readonly waiting = new Set<() => void>();
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: PostgresDbOptions) {
    this.pool = new (postgres().Pool)({
      connectionString: options.url,
      max: Math.max(1, Math.trunc(options.poolSize)),
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on('error', () => {});
    this.o = {
      maxQueuedWrites: options.maxQueuedWrites,
      retryMs: options.retryMs ?? 50,
      maxRetryMs: options.maxRetryMs ?? 2000,
    };
  }

  /** Lock-free counters for /metrics: writes waiting for PostgreSQL, retries, refused writes. */
  stats(): StoreStats {
    return {
      queuedWrites: this.counts.queued,
      busyRetries: this.counts.busyRetries,
      refusedWrites: this.counts.refused,
    };
  }

  /** One client for a step that must see its own session (migrations), released afterwards. */
  async withClient<T>(step: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await step(client);
    } finally {
      client.release();
    }
  }

  /** Runs a reading step once; errors become STORE_FAILED. */
  async read<T>(step: (db: Queryable) => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await step(this.pool);
    } catch (err) {
      throw storeError(err);
    }
  }

  /** Runs a writing step, retried while PostgreSQL is unreachable (bounded; see the file comment). */
  async write<T>(step: (db: Queryable) => Promise<T>): Promise<T> {
    return await this.retried(() => step(this.pool));
  }

  /** Runs a step in one transaction on one client, rolled back if it throws, retried like write(). */
  async transaction<T>(step: (db: Queryable) => Promise<T>): Promise<T> {
    return await this.retried(async () => {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await step(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        broken = isUnavailable(err);
        if (!broken) await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release(broken);
      }
    });
  }

  /**
   * Ends the pool, idempotent. Writes waiting for PostgreSQL get `deadlineMs` to land (a record is not lost to
   * a restart that PostgreSQL survives), then fail with STORE_FAILED.
   */
  close(deadlineMs = 5000): Promise<void> {
    this.closing ??= (async () => {
      const until = Date.now() + deadlineMs;
      while (this.counts.queued > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      this.closed = true;
      for (const wake of this.waiting) wake();
      await this.pool.end();
    })();
    return this.closing;
  }

  private async retried<T>(attempt: () => Promise<T>): Promise<T> {
    this.assertOpen();
    let delay = this.o.retryMs;
    let queued = false;
    try {
      for (;;) {
        try {
          return await attempt();
        } catch (err) {
          if (!isUnavailable(err) || this.closed) throw storeError(err);
          if (!queued) {
            if (this.counts.queued >= this.o.maxQueuedWrites) {
              this.counts.refused++;
              throw new LiveError(
                'STORE_UNAVAILABLE',
                `PostgreSQL is unreachable and ${this.o.maxQueuedWrites} writes are already waiting: this write was not made`,
                { cause: err },
              );
            }
            queued = true;
            this.counts.queued++;
          }
          this.counts.busyRetries++;
          await this.sleep(delay);
          delay = Math.min(delay * 2, this.o.maxRetryMs);
        }
      }
    } finally {
      if (queued) this.counts.queued--;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiting.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiting.add(wake);
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new LiveError('STORE_FAILED', 'the store is closed');
  }
}

/** A database failure as STORE_FAILED (stable codes pass through). */
export function storeError(err: unknown): LiveError {
  if (err instanceof LiveError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new LiveError('STORE_FAILED', `database error: ${message}`, { cause: err });
}
