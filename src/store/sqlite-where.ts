/** WHERE clauses of the SQLite adapter's list queries, built from the Store's optional filters. */
import type { SQLInputValue } from 'node:sqlite';
import type { RecordQuery, RejectedAttemptQuery } from './store.ts';

/** A WHERE clause built from optional filters, with its parameters in order. */
export class Where {
  private readonly clauses: string[] = [];
  readonly params: SQLInputValue[] = [];
  add(clause: string, ...params: SQLInputValue[]): void {
    this.clauses.push(clause);
    this.params.push(...params);
  }
  sql(): string {
    return this.clauses.length === 0 ? '' : ` WHERE ${this.clauses.join(' AND ')}`;
  }
}

/** The filters every record list shares, on its time column. */
export function recordWhere(query: RecordQuery, timeColumn: string): Where {
  const where = new Where();
  if (query.domain !== undefined) where.add('domain = ?', query.domain);
  if (query.app !== undefined) where.add('app = ?', query.app);
  if (query.stream !== undefined) where.add('stream = ?', query.stream);
  // instr, not LIKE: no wildcards to escape, and case-sensitive like the memory store.
  if (query.streamContains !== undefined) where.add('instr(stream, ?) > 0', query.streamContains);
  if (query.clientIp !== undefined) where.add('client_ip = ?', query.clientIp);
  if (query.since !== undefined) where.add(`${timeColumn} >= ?`, query.since);
  if (query.before !== undefined) where.add(`${timeColumn} < ?`, query.before);
  return where;
}

/** recordWhere plus the rejected attempts' action filter. */
export function attemptWhere(query: RejectedAttemptQuery): Where {
  const where = recordWhere(query, 'at');
  if (query.action !== undefined) where.add('action = ?', query.action);
  return where;
}
