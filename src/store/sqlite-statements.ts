/**
 * What every table group of the SQLite store shares: its connection, its write queue, statements prepared
 * once per SQL text, steps run as promises with errors mapped to STORE_FAILED, transactions and paging.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { mapError } from './sqlite-errors.ts';
import { pageOf, type Page, type PageOptions } from './store.ts';
import type { Row } from './sqlite-rows.ts';
import type { Where } from './sqlite-where.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';

/** The base of the SQLite table groups (store, callbacks, recordings, statistics) over one connection. */
export abstract class SqliteStatements {
  protected readonly db: DatabaseSync;
  protected readonly queue: SqliteWriteQueue;
  protected readonly statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync, queue: SqliteWriteQueue) {
    this.db = db;
    this.queue = queue;
  }

  /** Runs a reading step as a promise, with errors mapped to STORE_FAILED as the store does. */
  protected read<T>(step: () => T): Promise<T> {
    return this.queue.read(step).catch(mapError);
  }

  /** Runs a writing step now, or in order once another process's lock is free. */
  protected write<T>(step: () => T): Promise<T> {
    return this.queue.write(step).catch(mapError);
  }

  /** Runs a step in one transaction (taking the write lock first), rolled back if it throws. */
  protected transaction<T>(step: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = step();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** A prepared statement, prepared once per SQL text. */
  protected sql(text: string): StatementSync {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** One page of a table's rows matching `where`, in `order`, with the total count. */
  protected page<T>(table: string, where: Where, order: string, query: PageOptions, map: (row: Row) => T): Page<T> {
    const { limit, offset } = pageOf(query);
    const count = this.sql(`SELECT count(*) AS n FROM ${table}${where.sql()}`).get(...where.params) as { n: number };
    const rows = this.sql(`SELECT * FROM ${table}${where.sql()} ORDER BY ${order} LIMIT ? OFFSET ?`).all(
      ...where.params,
      limit,
      offset,
    ) as Row[];
    return { items: rows.map(map), total: count.n };
  }
}
