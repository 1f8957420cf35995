/** WHERE clauses from optional filters, shared by the SQL recording and snapshot tables (`?` placeholders). */
import type { RecordTaskQuery } from './record-store.ts';

/** A filter: its clause with one `?`, and the value, undefined when the filter is not given. */
export type Condition<V> = readonly [string, V | undefined];

/** A WHERE clause of the conditions whose value is given, with their parameters in order. */
export function whereOf(conditions: readonly Condition<string | number>[]): {
  where: string;
  params: (string | number)[];
} {
  const clauses: string[] = [];
  const params: (string | number)[] = [];
  for (const [clause, value] of conditions) {
    if (value === undefined) continue;
    clauses.push(clause);
    params.push(value);
  }
  return { where: clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '', params };
}

/** The filters of listRecordTasks and listSnapshotTasks: stream, start window, active at a time. */
export function taskConditions(q: RecordTaskQuery): Condition<string | number>[] {
  return [
    ['domain = ?', q.domain],
    ['app = ?', q.app],
    ['stream = ?', q.stream],
    ['start_time >= ?', q.since],
    ['start_time < ?', q.before],
    ['stopped = 0 AND start_time <= ?', q.activeAt],
    ['end_time > ?', q.activeAt],
  ];
}
