/**
 * The publish records and rejected attempts of the SQLite store (one row per session, refusals truncated and
 * aggregated per address) and their pruning by age and by count; SqliteStore adds the other tables.
 */
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { publishRecordFromRow, rejectedFromRow, type Row } from './sqlite-rows.ts';
import { SqliteStatements } from './sqlite-statements.ts';
import { attemptWhere, recordWhere } from './sqlite-where.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
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

/** The publish_records and rejected_attempts tables, the base of SqliteStore. */
export abstract class SqlitePublishRecords extends SqliteStatements {
  protected readonly nodeId: string;

  constructor(db: DatabaseSync, queue: SqliteWriteQueue, nodeId: string) {
    super(db, queue);
    this.nodeId = nodeId;
  }

  addPublishRecord(r: NewPublishRecord): Promise<number> {
    return this.write(() => {
      const result = this.sql(
        'INSERT INTO publish_records (node_id, domain, app, stream, client_ip, started_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(this.nodeId, r.domain, r.app, r.stream, r.clientIp, r.startedAt);
      return Number(result.lastInsertRowid);
    });
  }

  endPublishRecord(id: number, end: PublishEnd): Promise<boolean> {
    return this.write(() => this.endWhere('id = ? AND ended_at IS NULL', [id], end) > 0);
  }

  /** Ends open sessions: every one by default (one node owns the file, rows from before migration 6 included), or one node's. */
  endOpenPublishRecords(end: PublishEnd, nodeId?: string): Promise<number> {
    if (nodeId !== undefined) return this.write(() => this.endWhere('ended_at IS NULL AND node_id = ?', [nodeId], end));
    return this.write(() => this.endWhere('ended_at IS NULL', [], end));
  }

  listOpenPublishNodes(): Promise<string[]> {
    const sql = 'SELECT DISTINCT node_id FROM publish_records WHERE ended_at IS NULL ORDER BY node_id';
    return this.read(() => (this.sql(sql).all() as Row[]).map((r) => String(r.node_id)));
  }

  getPublishRecord(id: number): Promise<PublishRecord | undefined> {
    return this.read(() => {
      const row = this.sql('SELECT * FROM publish_records WHERE id = ?').get(id) as Row | undefined;
      return row ? publishRecordFromRow(row) : undefined;
    });
  }

  listPublishRecords(query: PublishRecordQuery = {}): Promise<Page<PublishRecord>> {
    return this.read(() => {
      const where = recordWhere(query, 'started_at');
      if (query.open !== undefined) where.add(query.open ? 'ended_at IS NULL' : 'ended_at IS NOT NULL');
      if (query.endedSince !== undefined) where.add('(ended_at IS NULL OR ended_at >= ?)', query.endedSince);
      const order = publishRecordOrder(query);
      return this.page('publish_records', where, order, query, publishRecordFromRow);
    });
  }

  addRejectedAttempt(a: NewRejectedAttempt): Promise<number> {
    return this.write(() => {
      const result = this.sql(
        `INSERT INTO rejected_attempts (at, action, client_ip, host, domain, app, stream, break_code, code, reason, query, count, last_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
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
        a.at,
      );
      return Number(result.lastInsertRowid);
    });
  }

  countRejectedAttempt(id: number, by: number, lastAt: number): Promise<boolean> {
    return this.write(
      () =>
        this.sql('UPDATE rejected_attempts SET count = count + ?, last_at = max(last_at, ?) WHERE id = ?').run(
          by,
          lastAt,
          id,
        ).changes > 0,
    );
  }

  listRejectedAttempts(query: RejectedAttemptQuery = {}): Promise<Page<RejectedAttempt>> {
    const order = query.ascending ? 'at, id' : 'at DESC, id DESC';
    return this.read(() => this.page('rejected_attempts', attemptWhere(query), order, query, rejectedFromRow));
  }

  summarizeRejectedAttempts(query: RejectedAttemptQuery = {}): Promise<RejectedAttemptGroup[]> {
    return this.read(() => {
      const where = attemptWhere(query);
      // One row per group: the latest attempt (for its reason) with the group's count and time span.
      const rows = this.sql(
        `SELECT break_code, code, n, first_at, last_at, reason FROM (
           SELECT break_code, code, reason, sum(count) OVER g AS n, min(at) OVER g AS first_at, max(last_at) OVER g AS last_at,
             row_number() OVER (PARTITION BY break_code, code ORDER BY at DESC, id DESC) AS latest
           FROM rejected_attempts${where.sql()} WINDOW g AS (PARTITION BY break_code, code))
         WHERE latest = 1 ORDER BY n DESC, last_at DESC, break_code, code`,
      ).all(...where.params) as Row[];
      return rows.map((r) => ({
        breakCode: String(r.break_code),
        code: String(r.code),
        count: Number(r.n),
        firstAt: Number(r.first_at),
        lastAt: Number(r.last_at),
        lastReason: String(r.reason),
      }));
    });
  }

  pruneRecords(before: number, limits: PruneLimits = {}): Promise<number> {
    const batch = limits.batch ?? -1;
    const maxRows = limits.maxRows;
    return this.write(() =>
      this.transaction(() => {
        const ended = 'ended_at IS NOT NULL';
        let n = this.pruneTable('publish_records', `${ended} AND started_at < ?`, [before], batch);
        n += this.pruneTable('rejected_attempts', 'last_at < ?', [before], batch);
        if (maxRows !== undefined) {
          n += this.pruneTable(
            'publish_records',
            `${ended} AND id <= (${nthNewest('publish_records')})`,
            [maxRows],
            batch,
          );
          n += this.pruneTable('rejected_attempts', `id <= (${nthNewest('rejected_attempts')})`, [maxRows], batch);
        }
        return n;
      }),
    );
  }

  /** Deletes the oldest rows (by id) matching `condition`, at most `batch` (-1: all). */
  private pruneTable(table: string, condition: string, params: SQLInputValue[], batch: number): number {
    const sql = `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${condition} ORDER BY id LIMIT ?)`;
    return Number(this.sql(sql).run(...params, batch).changes);
  }

  private endWhere(condition: string, params: SQLInputValue[], end: PublishEnd): number {
    const result = this.sql(
      `UPDATE publish_records SET ended_at = ?, break_code = ?, reason = ?, bytes_in = ?, width = ?, height = ?,
         video_codec = ?, audio_codec = ? WHERE ${condition}`,
    ).run(
      end.endedAt,
      end.breakCode,
      end.reason,
      end.bytesIn,
      end.width ?? null,
      end.height ?? null,
      end.videoCodec ?? null,
      end.audioCodec ?? null,
      ...params,
    );
    return Number(result.changes);
  }
}

/** The id of the row just older than the newest `?` rows of a table (NULL when there are not that many). */
function nthNewest(table: string): string {
  return `SELECT id FROM ${table} ORDER BY id DESC LIMIT 1 OFFSET ?`;
}
