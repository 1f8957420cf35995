/** The statistics table of the PostgreSQL store (migration 4), as SQLite's (store/sqlite-stats-store.ts). */
import type { PostgresDb } from './postgres-db.ts';
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

/** What the statistics table shares with its store. */
export interface PostgresStatsStoreOptions {
  readonly db: PostgresDb;
  readonly nodeId: string;
  readonly opened: () => Promise<void>;
}

const keyColumns = ['node_id', 'period', 'at', 'domain', 'app', 'stream'];
const updates = statsColumns
  .filter((c) => !keyColumns.includes(c))
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

/** One multi-row upsert of `rows`. */
function upsert(nodeId: string, rows: readonly StatsSample[]): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const tuples = rows.map((s) => {
    const values = statsValues(nodeId, s);
    const start = params.length;
    params.push(...values);
    return `(${values.map((_, i) => `$${start + i + 1}`).join(', ')})`;
  });
  return {
    text: `INSERT INTO stats_samples (${statsColumns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (${keyColumns.join(', ')}) DO UPDATE SET ${updates}`,
    params,
  };
}

/** StatsStore over the PostgreSQL store's pool. */
export class PostgresStatsStore implements StatsStore {
  private readonly o: PostgresStatsStoreOptions;

  constructor(options: PostgresStatsStoreOptions) {
    this.o = options;
  }

  async addSamples(samples: readonly StatsSample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.o.opened();
    // 20 parameters a row: 1000 rows stay far below PostgreSQL's 65535 parameters of one statement.
    await this.o.db.transaction(async (q) => {
      for (let i = 0; i < samples.length; i += 1000) {
        const { text, params } = upsert(this.o.nodeId, samples.slice(i, i + 1000));
        await q.query(text, params);
      }
    });
  }

  async querySamples(query: StatsQuery): Promise<StoredStatsSample[]> {
    await this.o.opened();
    const params: unknown[] = [query.period, query.since, query.before];
    let where = 'period = $1 AND at >= $2 AND at < $3';
    if (query.domains?.length) {
      params.push([...query.domains]);
      where += ` AND domain = ANY($${params.length})`;
    }
    if (query.app !== undefined) {
      params.push(query.app);
      where += ` AND app = $${params.length}`;
    }
    if (query.stream !== undefined) {
      params.push(query.stream);
      where += ` AND stream = $${params.length}`;
    }
    const rows = await this.o.db.read(
      async (q) =>
        (await q.query<Record<string, unknown>>(`SELECT * FROM stats_samples WHERE ${where} ORDER BY at`, params)).rows,
    );
    return rows.map(statsSampleFromRow);
  }

  async rollUp(period: number, since: number, before: number, from: number = statsPeriods.minute): Promise<number> {
    await this.o.opened();
    return await this.o.db.transaction(async (q) => {
      const { rows } = await q.query<Record<string, unknown>>(
        'SELECT * FROM stats_samples WHERE node_id = $1 AND period = $2 AND at >= $3 AND at < $4 ORDER BY at',
        [this.o.nodeId, from, since, before],
      );
      const groups = [...groupForRollUp(rows.map(statsSampleFromRow), period).values()].map((g) =>
        combineSamples(g.at, period, g.rows),
      );
      for (let i = 0; i < groups.length; i += 1000) {
        const { text, params } = upsert(this.o.nodeId, groups.slice(i, i + 1000));
        await q.query(text, params);
      }
      return groups.length;
    });
  }

  async pruneSamples(period: number, before: number, batch = 10_000): Promise<number> {
    await this.o.opened();
    const result = await this.o.db.write((q) =>
      q.query(
        'DELETE FROM stats_samples WHERE ctid IN (SELECT ctid FROM stats_samples WHERE node_id = $1 AND period = $2 AND at < $3 LIMIT $4)',
        [this.o.nodeId, period, before, batch],
      ),
    );
    return result.rowCount ?? 0;
  }
}
