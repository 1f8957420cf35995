/**
 * The embedded Store on Node 24's built-in `node:sqlite` (no native addon): one file under the data
 * directory, WAL journal so readers never block the writer, and a commit on every write so a record
 * survives `kill -9` of the server (SQLite WAL: a committed transaction is in the -wal file before
 * COMMIT returns; synchronous=FULL also survives power loss). node:sqlite is synchronous, so the busy
 * timeout is a few ms and a write that finds another process's lock waits in SqliteWriteQueue instead of
 * freezing the event loop. The file and its -wal/-shm are mode 0600; domain and callback keys are sealed
 * with the data key when one is given (store/sqlite-keys.ts).
 */
import { SqlSnapshotStore, sqliteSnapshotSql } from './sql-snapshot-store.ts';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { storeDefaults } from '../config/store-defaults.ts';
import { LiveError } from '../errors.ts';
import { openDatabase, storeError, type SqliteStoreOptions } from './sqlite-open.ts';
import { SqliteRecordStore } from './sqlite-record-store.ts';
import { SqliteStatsStore } from './sqlite-stats-store.ts';
import { SqliteCallbackStore } from './sqlite-callback-store.ts';
import {
  credentialFromRow,
  domainFromRow,
  domainValues,
  forbiddenFromRow,
  publishRecordFromRow,
  rejectedFromRow,
  type Row,
} from './sqlite-rows.ts';
import { attemptWhere, recordWhere, Where } from './sqlite-where.ts';
import { SqliteKeys } from './sqlite-keys.ts';
import { SqliteWriteQueue } from './sqlite-write-queue.ts';
export { defaultBusyTimeoutMs, sqliteFileIn, type SqliteStoreOptions } from './sqlite-open.ts';
import {
  mergeSettings,
  publishRecordOrder,
  pageOf,
  type Domain,
  type DomainPatch,
  type DomainQuery,
  type ForbiddenQuery,
  type ForbiddenStream,
  type NewPublishRecord,
  type NewRejectedAttempt,
  type Page,
  type PageOptions,
  type PruneLimits,
  type StoreStats,
  type PublishEnd,
  type PublishRecord,
  type PublishRecordQuery,
  type RejectedAttempt,
  type RejectedAttemptGroup,
  type RejectedAttemptQuery,
  type Store,
  type StoredCredential,
} from './store.ts';

/** A Store backed by one SQLite file. */
export class SqliteStore implements Store {
  readonly callbacks: SqliteCallbackStore;
  readonly recordings: SqliteRecordStore;
  readonly history: SqliteStatsStore;
  readonly snapshots: SqlSnapshotStore;
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();
  private readonly keys: SqliteKeys;
  private readonly queue: SqliteWriteQueue;
  private readonly closeDeadlineMs: number;
  private closing: Promise<void> | undefined;
  private closed = false;
  private readonly nodeId: string;

  constructor(options: SqliteStoreOptions) {
    this.nodeId = options.nodeId || 'local';
    this.keys = new SqliteKeys(options.dataKey);
    this.closeDeadlineMs = options.closeDeadlineMs ?? 5000;
    this.queue = new SqliteWriteQueue({
      maxQueued: options.maxQueuedWrites ?? storeDefaults.maxQueuedWrites,
      retryMs: 10,
      maxRetryMs: 200,
    });
    try {
      this.db = openDatabase(options, this.keys);
    } catch (err) {
      throw storeError(err, `cannot open ${options.file}`);
    }
    this.callbacks = new SqliteCallbackStore(this.db, this.queue, this.keys);
    this.recordings = new SqliteRecordStore(this.db, this.queue, this.nodeId);
    this.history = new SqliteStatsStore(this.db, this.queue, this.nodeId);
    this.snapshots = new SqlSnapshotStore(sqliteSnapshotSql(this.db, this.queue), this.nodeId);
  }

  /** Lock waits and refused writes, for /metrics. */
  stats(): StoreStats {
    const q = this.queue.stats;
    return { queuedWrites: q.queued, busyRetries: q.busyRetries, refusedWrites: q.refused };
  }

  addDomain(d: Domain): Promise<void> {
    return this.write(() => {
      const result = this.sql(
        `INSERT INTO domains (name, type, enabled, cname_target, created_at, auth_enabled, auth_key,
           auth_backup_key, auth_delta, auth_algorithm, replace_publisher, keys_sealed, settings)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
      ).run(...domainValues(d, this.keys));
      if (result.changes === 0) throw new LiveError('DOMAIN_EXISTS', `domain ${d.name} is already added`);
    });
  }

  getDomain(name: string): Promise<Domain | undefined> {
    return this.read(() => {
      const row = this.sql('SELECT * FROM domains WHERE name = ?').get(name) as Row | undefined;
      return row ? domainFromRow(row, this.keys) : undefined;
    });
  }

  listDomains(query: DomainQuery = {}): Promise<Page<Domain>> {
    return this.read(() => {
      const where = new Where();
      if (query.type !== undefined) where.add('type = ?', query.type);
      if (query.enabled !== undefined) where.add('enabled = ?', query.enabled ? 1 : 0);
      if (query.prefix !== undefined) where.add('substr(name, 1, length(?)) = ?', query.prefix, query.prefix);
      return this.page('domains', where, 'name', query, (row) => domainFromRow(row, this.keys));
    });
  }

  updateDomain(name: string, patch: DomainPatch): Promise<Domain> {
    return this.write(() => {
      const row = this.sql('SELECT * FROM domains WHERE name = ?').get(name) as Row | undefined;
      if (!row) throw new LiveError('DOMAIN_NOT_FOUND', `domain ${name} is not added`);
      const old = domainFromRow(row, this.keys);
      const next: Domain = {
        ...old,
        enabled: patch.enabled ?? old.enabled,
        replacePublisher: patch.replacePublisher ?? old.replacePublisher,
        auth: { ...old.auth, ...definedOnly(patch.auth ?? {}) },
        ...mergeSettings(old.settings, patch.settings),
      };
      this.sql(
        `UPDATE domains SET type = ?2, enabled = ?3, cname_target = ?4, created_at = ?5, auth_enabled = ?6,
           auth_key = ?7, auth_backup_key = ?8, auth_delta = ?9, auth_algorithm = ?10, replace_publisher = ?11,
           keys_sealed = ?12, settings = ?13 WHERE name = ?1`,
      ).run(...domainValues(next, this.keys));
      return next;
    });
  }

  deleteDomain(name: string): Promise<boolean> {
    return this.write(() => this.sql('DELETE FROM domains WHERE name = ?').run(name).changes > 0);
  }

  forbidStream(f: ForbiddenStream): Promise<void> {
    return this.write(() => {
      this.sql(
        `INSERT INTO forbidden_streams (app, stream, domain, until, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (app, stream, domain) DO UPDATE SET until = excluded.until, reason = excluded.reason,
           created_at = excluded.created_at`,
      ).run(f.app, f.stream, f.domain, f.until, f.reason, f.createdAt);
    });
  }

  resumeStream(app: string, stream: string, domain: string): Promise<boolean> {
    return this.write(
      () =>
        this.sql('DELETE FROM forbidden_streams WHERE app = ? AND stream = ? AND domain = ?').run(app, stream, domain)
          .changes > 0,
    );
  }

  findForbidden(app: string, stream: string, domain: string, now: number): Promise<ForbiddenStream | undefined> {
    return this.read(() => {
      const row = this.sql(
        `SELECT * FROM forbidden_streams WHERE app = ? AND stream = ? AND (domain = ? OR domain = '') AND until > ?
         ORDER BY until DESC LIMIT 1`,
      ).get(app, stream, domain, now) as Row | undefined;
      return row ? forbiddenFromRow(row) : undefined;
    });
  }

  listForbidden(query: ForbiddenQuery = {}): Promise<Page<ForbiddenStream>> {
    return this.read(() => {
      const where = new Where();
      if (query.activeAt !== undefined) where.add('until > ?', query.activeAt);
      if (query.domain !== undefined) where.add('domain = ?', query.domain);
      if (query.app !== undefined) where.add('app = ?', query.app);
      if (query.stream !== undefined) where.add('stream = ?', query.stream);
      return this.page('forbidden_streams', where, 'until DESC, app, stream, domain', query, forbiddenFromRow);
    });
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

  addCredential(c: StoredCredential): Promise<void> {
    return this.write(() => {
      const sql =
        'INSERT INTO api_credentials (secret_id, sealed_key, description, created_at, last_used_at) VALUES (?, ?, ?, ?, ?)';
      this.sql(sql).run(c.secretId, c.sealedKey, c.description, c.createdAt, c.lastUsedAt);
    });
  }

  getCredential(secretId: string): Promise<StoredCredential | undefined> {
    return this.read(() => {
      const row = this.sql('SELECT * FROM api_credentials WHERE secret_id = ?').get(secretId) as Row | undefined;
      return row ? credentialFromRow(row) : undefined;
    });
  }

  listCredentials(): Promise<StoredCredential[]> {
    return this.read(() =>
      (this.sql('SELECT * FROM api_credentials ORDER BY created_at, secret_id').all() as Row[]).map(credentialFromRow),
    );
  }

  touchCredential(secretId: string, at: number): Promise<void> {
    return this.write(() => {
      this.sql('UPDATE api_credentials SET last_used_at = ? WHERE secret_id = ?').run(at, secretId);
    });
  }

  deleteCredential(secretId: string): Promise<boolean> {
    return this.write(() => this.sql('DELETE FROM api_credentials WHERE secret_id = ?').run(secretId).changes > 0);
  }

  getSetting(key: string): Promise<string | undefined> {
    return this.read(() => {
      const row = this.sql('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
      return row?.value;
    });
  }

  setSetting(key: string, value: string): Promise<void> {
    return this.write(() => {
      this.sql(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ).run(key, value);
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Writes waiting for another process's lock are made first (a record is not lost), up to a deadline.
      await this.queue.close(this.closeDeadlineMs);
      this.closed = true;
      this.statements.clear();
      this.db.close();
    })();
    return this.closing;
  }

  /** Runs a reading step as the Store's promise, with errors mapped to stable codes. */
  private read<T>(step: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new LiveError('STORE_FAILED', 'the store is closed'));
    return this.queue.read(step).catch((err: unknown) => Promise.reject(storeError(err, 'database error')));
  }

  /** Runs a writing step now, or in order once another process's lock is free. */
  private write<T>(step: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new LiveError('STORE_FAILED', 'the store is closed'));
    return this.queue.write(step).catch((err: unknown) => Promise.reject(storeError(err, 'database error')));
  }

  /** Runs a step in one transaction (taking the write lock first), rolled back if it throws. */
  private transaction<T>(step: () => T): T {
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

  /** Deletes the oldest rows (by id) matching `condition`, at most `batch` (-1: all). */
  private pruneTable(table: string, condition: string, params: SQLInputValue[], batch: number): number {
    const sql = `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${condition} ORDER BY id LIMIT ?)`;
    return Number(this.sql(sql).run(...params, batch).changes);
  }

  /** A prepared statement, prepared once per SQL text. */
  private sql(text: string): StatementSync {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  private page<T>(table: string, where: Where, order: string, query: PageOptions, map: (row: Row) => T): Page<T> {
    const { limit, offset } = pageOf(query);
    const count = this.sql(`SELECT count(*) AS n FROM ${table}${where.sql()}`).get(...where.params) as { n: number };
    const rows = this.sql(`SELECT * FROM ${table}${where.sql()} ORDER BY ${order} LIMIT ? OFFSET ?`).all(
      ...where.params,
      limit,
      offset,
    ) as Row[];
    return { items: rows.map(map), total: count.n };
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

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
