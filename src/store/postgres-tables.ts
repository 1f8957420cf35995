/**
 * What every table group of the PostgreSQL store shares: the pool, the wait for the migrated schema, and
 * reads, writes, transactions and paging through them (store/postgres-db.ts retries while PostgreSQL is down).
 */
import type { PostgresDb, Queryable } from './postgres-db.ts';
import type { PgWhere } from './postgres-where.ts';
import { pageOf, type Page, type PageOptions } from './store.ts';

/** A row as pg returns it. */
type Row = Record<string, unknown>;

/** The base of the PostgreSQL table groups (store, callbacks, recordings) over one pool. */
export abstract class PostgresTables {
  protected readonly db: PostgresDb;

  constructor(db: PostgresDb) {
    this.db = db;
  }

  /** Resolves once the schema is migrated; rejects with STORE_FAILED when the store cannot open or is closed. */
  protected abstract opened(): Promise<void>;

  /** Runs a writing step once the store is open (waiting while PostgreSQL is unreachable). */
  protected async write<T>(step: (q: Queryable) => Promise<T>): Promise<T> {
    await this.opened();
    return await this.db.write(step);
  }

  /** Runs a step in one transaction once the store is open. */
  protected async tx<T>(step: (q: Queryable) => Promise<T>): Promise<T> {
    await this.opened();
    return await this.db.transaction(step);
  }

  /** Runs a writing statement; the number of rows it changed. */
  protected async changes(text: string, params: unknown[]): Promise<number> {
    return (await this.write((q) => q.query(text, params))).rowCount ?? 0;
  }

  /** Runs a writing statement; the rows of its RETURNING clause. */
  protected async returning(text: string, params: unknown[]): Promise<Row[]> {
    return (await this.write((q) => q.query<Row>(text, params))).rows;
  }

  /** Runs a reading statement; its rows. */
  protected async all(text: string, params: unknown[]): Promise<Row[]> {
    await this.opened();
    return await this.db.read(async (q) => (await q.query<Row>(text, params)).rows);
  }

  /** Runs a reading statement; its first row. */
  protected async one(text: string, params: unknown[]): Promise<Row | undefined> {
    return (await this.all(text, params))[0];
  }

  /** One page of a table's rows matching `where`, in `order`, with the total count. */
  protected async page<T>(
    table: string,
    where: PgWhere,
    order: string,
    query: PageOptions,
    map: (row: Row) => T,
  ): Promise<Page<T>> {
    const { limit, offset } = pageOf(query);
    const count = await this.one(`SELECT count(*) AS n FROM ${table}${where.sql()}`, where.params);
    const params = [...where.params, limit, offset];
    const n = where.params.length;
    const rows = await this.all(
      `SELECT * FROM ${table}${where.sql()} ORDER BY ${order} LIMIT $${n + 1} OFFSET $${n + 2}`,
      params,
    );
    return { items: rows.map(map), total: Number(count?.n ?? 0) };
  }
}
