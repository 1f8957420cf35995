/**
 * The publish records and rejected attempts of the PostgreSQL store, as SQLite's (store/sqlite-publish-records.ts):
 * rows carry the node id, so a node recovering from a crash ends only its own open sessions.
 */
import type { PostgresDb, Queryable } from './postgres-db.ts';
import { PostgresTables } from './postgres-tables.ts';
import { pgAttemptWhere, pgRecordWhere, type PgValue } from './postgres-where.ts';
import { publishRecordFromRow, rejectedFromRow } from './sqlite-rows.ts';
import {
  publishRecordOrder,
  type NewPublishRecord,
  type NewRejectedAttempt,
  type Page,
  type PruneLimits,
  type PublishEnd,
  type PublishRecord,
  type PublishRecordQuery,
  type RejectedAttempt,
  type RejectedAttemptGroup,
  type RejectedAttemptQuery,
} from './store.ts';

/** The publish_records and rejected_attempts tables, the base of PostgresStore. */
export abstract class PostgresPublishRecords extends PostgresTables {
  /** This node's id (cluster.nodeId) on the rows it owns. */
  readonly nodeId: string;

  constructor(db: PostgresDb, nodeId: string) {
    super(db);
    this.nodeId = nodeId;
  }

  async addPublishRecord(r: NewPublishRecord): Promise<number> {
    const result = await this.write((q) =>
      q.query<{ id: string }>(
        'INSERT INTO publish_records (node_id, domain, app, stream, client_ip, started_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
        [this.nodeId, r.domain, r.app, r.stream, r.clientIp, r.startedAt],
      ),
    );
    return Number(result.rows[0]?.id);
  }

  async endPublishRecord(id: number, end: PublishEnd): Promise<boolean> {
    return (await this.endWhere('id = $9 AND ended_at IS NULL', [id], end)) > 0;
  }

  /** Ends the open sessions of one node (default this one: a restart after a crash; another: its lease expired). */
  endOpenPublishRecords(end: PublishEnd, nodeId: string = this.nodeId): Promise<number> {
    return this.endWhere('node_id = $9 AND ended_at IS NULL', [nodeId], end);
  }

  async listOpenPublishNodes(): Promise<string[]> {
    const rows = await this.all(
      'SELECT DISTINCT node_id FROM publish_records WHERE ended_at IS NULL ORDER BY node_id',
      [],
    );
    return rows.map((r) => String(r.node_id));
  }

  async getPublishRecord(id: number): Promise<PublishRecord | undefined> {
    const row = await this.one('SELECT * FROM publish_records WHERE id = $1', [id]);
    return row ? publishRecordFromRow(row) : undefined;
  }

  listPublishRecords(query: PublishRecordQuery = {}): Promise<Page<PublishRecord>> {
    const where = pgRecordWhere(query, 'started_at');
    if (query.open !== undefined) where.add(query.open ? 'ended_at IS NULL' : 'ended_at IS NOT NULL');
    if (query.endedSince !== undefined) where.add('(ended_at IS NULL OR ended_at >= ?)', query.endedSince);
    const order = publishRecordOrder(query);
    return this.page('publish_records', where, order, query, publishRecordFromRow);
  }

  async addRejectedAttempt(a: NewRejectedAttempt): Promise<number> {
    const result = await this.write((q) =>
      q.query<{ id: string }>(
        `INSERT INTO rejected_attempts (at, action, client_ip, host, domain, app, stream, break_code, code, reason, query, count, last_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $1) RETURNING id`,
        [
          a.at,
          a.action,
          a.clientIp,
          a.host,
          a.domain,
          a.app,
          a.stream,
          a.breakCode,
          a.code,
          a.reason,
          a.query,
          a.count ?? 1,
        ],
      ),
    );
    return Number(result.rows[0]?.id);
  }

  async countRejectedAttempt(id: number, by: number, lastAt: number): Promise<boolean> {
    return (
      (await this.changes(
        'UPDATE rejected_attempts SET count = count + $1, last_at = GREATEST(last_at, $2) WHERE id = $3',
        [by, lastAt, id],
      )) > 0
    );
  }

  listRejectedAttempts(query: RejectedAttemptQuery = {}): Promise<Page<RejectedAttempt>> {
    const order = query.ascending ? 'at, id' : 'at DESC, id DESC';
    return this.page('rejected_attempts', pgAttemptWhere(query), order, query, rejectedFromRow);
  }

  async summarizeRejectedAttempts(query: RejectedAttemptQuery = {}): Promise<RejectedAttemptGroup[]> {
    const where = pgAttemptWhere(query);
    // One row per group: the latest attempt (for its reason) with the group's count and time span.
    const rows = await this.all(
      `SELECT break_code, code, n, first_at, last_at, reason FROM (
         SELECT break_code, code, reason, sum(count) OVER g AS n, min(at) OVER g AS first_at, max(last_at) OVER g AS last_at,
           row_number() OVER (PARTITION BY break_code, code ORDER BY at DESC, id DESC) AS latest
         FROM rejected_attempts${where.sql()} WINDOW g AS (PARTITION BY break_code, code)) AS grouped
       WHERE latest = 1 ORDER BY n DESC, last_at DESC, break_code, code`,
      where.params,
    );
    return rows.map((r) => ({
      breakCode: String(r.break_code),
      code: String(r.code),
      count: Number(r.n),
      firstAt: Number(r.first_at),
      lastAt: Number(r.last_at),
      lastReason: String(r.reason),
    }));
  }

  async pruneRecords(before: number, limits: PruneLimits = {}): Promise<number> {
    const batch = limits.batch ?? null;
    const maxRows = limits.maxRows;
    await this.opened();
    return await this.db.transaction(async (q) => {
      const ended = 'ended_at IS NOT NULL';
      let n = await pruneTable(q, 'publish_records', `${ended} AND started_at < $1`, before, batch);
      n += await pruneTable(q, 'rejected_attempts', 'last_at < $1', before, batch);
      if (maxRows !== undefined) {
        n += await pruneTable(
          q,
          'publish_records',
          `${ended} AND id <= (${nthNewest('publish_records')})`,
          maxRows,
          batch,
        );
        n += await pruneTable(q, 'rejected_attempts', `id <= (${nthNewest('rejected_attempts')})`, maxRows, batch);
      }
      return n;
    });
  }

  private async endWhere(condition: string, params: PgValue[], end: PublishEnd): Promise<number> {
    return await this.changes(
      `UPDATE publish_records SET ended_at = $1, break_code = $2, reason = $3, bytes_in = $4, width = $5, height = $6,
         video_codec = $7, audio_codec = $8 WHERE ${condition}`,
      [
        end.endedAt,
        end.breakCode,
        end.reason,
        end.bytesIn,
        end.width ?? null,
        end.height ?? null,
        end.videoCodec ?? null,
        end.audioCodec ?? null,
        ...params,
      ],
    );
  }
}

/** Deletes the oldest rows (by id) matching `condition` ($1 its parameter), at most `batch` (null: all). */
async function pruneTable(
  q: Queryable,
  table: string,
  condition: string,
  param: number,
  batch: number | null,
): Promise<number> {
  const sql = `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${condition} ORDER BY id LIMIT $2)`;
  return (await q.query(sql, [param, batch])).rowCount ?? 0;
}

/** The id of the row just older than the newest `$1` rows of a table (NULL when there are not that many). */
function nthNewest(table: string): string {
  return `SELECT id FROM ${table} ORDER BY id DESC LIMIT 1 OFFSET $1`;
}
