/** WHERE clauses of the PostgreSQL adapter's list queries: `?` in a clause becomes the next `$n`. */
import type { RecordQuery, RejectedAttemptQuery } from './store.ts';

/** A value bound to a placeholder. */
export type PgValue = string | number | null;

/** A WHERE clause built from optional filters, with its parameters in order. */
export class PgWhere {
  private readonly clauses: string[] = [];
  readonly params: PgValue[] = [];
  add(clause: string, ...params: PgValue[]): void {
    this.clauses.push(clause.replace(/\?/g, () => `$${this.params.push(params.shift() ?? null)}`));
  }
  sql(): string {
    return this.clauses.length === 0 ? '' : ` WHERE ${this.clauses.join(' AND ')}`;
  }
  /** The placeholder the next parameter gets (for LIMIT/OFFSET after the clause). */
  next(value: PgValue): string {
    return `$${this.params.push(value)}`;
  }
}

/** The filters every record list shares, on its time column. */
export function pgRecordWhere(query: RecordQuery, timeColumn: string): PgWhere {
  const where = new PgWhere();
  if (query.domain !== undefined) where.add('domain = ?', query.domain);
  if (query.app !== undefined) where.add('app = ?', query.app);
  if (query.stream !== undefined) where.add('stream = ?', query.stream);
  // strpos, not LIKE: no wildcards to escape, and case-sensitive like the other adapters.
  if (query.streamContains !== undefined) where.add('strpos(stream, ?) > 0', query.streamContains);
  if (query.clientIp !== undefined) where.add('client_ip = ?', query.clientIp);
  if (query.since !== undefined) where.add(`${timeColumn} >= ?`, query.since);
  if (query.before !== undefined) where.add(`${timeColumn} < ?`, query.before);
  return where;
}

/** pgRecordWhere plus the rejected attempts' action filter. */
export function pgAttemptWhere(query: RejectedAttemptQuery): PgWhere {
  const where = pgRecordWhere(query, 'at');
  if (query.action !== undefined) where.add('action = ?', query.action);
  return where;
}
