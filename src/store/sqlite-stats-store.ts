/** The statistics table of the SQLite store (migration 9, store/stats-store.ts), sharing its connection and write queue. */
import { SqliteStatements } from './sqlite-statements.ts';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import {
  combineSamples,
  groupForRollUp,
  statsColumns,
  statsPeriods,
  statsSampleFromRow,
  statsValues,
  type StatsQuery,
  type StatsSample,
  type StatsStore,
  type StoredStatsSample,
} from './stats-store.ts';

const insert = `INSERT OR REPLACE INTO stats_samples (${statsColumns.join(', ')}) VALUES (${statsColumns.map(() => '?').join(', ')})`;

/** StatsStore over the SQLite store's database. */
export class SqliteStatsStore extends SqliteStatements implements StatsStore {
  private readonly nodeId: string;

  constructor(db: DatabaseSync, queue: SqliteWriteQueue, nodeId: string) {
    super(db, queue);
    this.nodeId = nodeId;
  }

  addSamples(samples: readonly StatsSample[]): Promise<void> {
    if (samples.length === 0) return Promise.resolve();
    return this.write(() =>
      this.transaction(() => {
        for (const s of samples) this.sql(insert).run(...statsValues(this.nodeId, s));
      }),
    );
  }

  querySamples(q: StatsQuery): Promise<StoredStatsSample[]> {
    return this.read(() => {
      const params: SQLInputValue[] = [q.period, q.since, q.before];
      let where = 'period = ? AND at >= ? AND at < ?';
      if (q.domains?.length) {
        where += ` AND domain IN (${q.domains.map(() => '?').join(', ')})`;
        params.push(...q.domains);
      }
      if (q.app !== undefined) {
        where += ' AND app = ?';
        params.push(q.app);
      }
      if (q.stream !== undefined) {
        where += ' AND stream = ?';
        params.push(q.stream);
      }
      const rows = this.db.prepare(`SELECT * FROM stats_samples WHERE ${where} ORDER BY at`).all(...params);
      return rows.map((r) => statsSampleFromRow(r as Record<string, unknown>));
    });
  }

  rollUp(period: number, since: number, before: number, from: number = statsPeriods.minute): Promise<number> {
    return this.write(() =>
      this.transaction(() => {
        const rows = this.sql(
          'SELECT * FROM stats_samples WHERE node_id = ? AND period = ? AND at >= ? AND at < ? ORDER BY at',
        )
          .all(this.nodeId, from, since, before)
          .map((r) => statsSampleFromRow(r as Record<string, unknown>));
        const groups = groupForRollUp(rows, period);
        for (const g of groups.values())
          this.sql(insert).run(...statsValues(this.nodeId, combineSamples(g.at, period, g.rows)));
        return groups.size;
      }),
    );
  }

  pruneSamples(period: number, before: number, batch = 10_000): Promise<number> {
    return this.write(() =>
      Number(
        this.sql(
          'DELETE FROM stats_samples WHERE rowid IN (SELECT rowid FROM stats_samples WHERE node_id = ? AND period = ? AND at < ? LIMIT ?)',
        ).run(this.nodeId, period, before, batch).changes,
      ),
    );
  }
}
