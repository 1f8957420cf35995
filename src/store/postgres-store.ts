/**
 * The Store on PostgreSQL (`pg`), for clusters: every node of a cluster shares one database. Same tables and
 * behaviour as the SQLite store (test/store-conformance.ts holds both to it), keys sealed the same way with
 * the data key (store/sqlite-keys.ts: same associated data, so a row reads the same in either adapter), and
 * the node id on the rows a node owns: endOpenPublishRecords after a crash closes only this node's records,
 * and listOpenPushes returns only its pushes. Writes wait and retry while PostgreSQL is down, up to a cap
 * (store/postgres-db.ts). The schema is migrated when the store opens (ready()).
 */
import { SqlSnapshotStore, postgresSnapshotSql } from './sql-snapshot-store.ts';
import { storeDefaults } from '../config/store-defaults.ts';
import { LiveError } from '../errors.ts';
import { PostgresDb, type Queryable } from './postgres-db.ts';
import { PostgresRecordStore } from './postgres-record-store.ts';
import { PostgresStatsStore } from './postgres-stats-store.ts';
import { PostgresCallbackStore } from './postgres-callback-store.ts';
import { migratePostgres } from './postgres-migrations.ts';
import { pgAttemptWhere, pgRecordWhere, PgWhere, type PgValue } from './postgres-where.ts';
import { SqliteKeys } from './sqlite-keys.ts';
import {
  credentialFromRow,
  domainFromRow,
  domainValues,
  forbiddenFromRow,
  publishRecordFromRow,
  rejectedFromRow,
  type Row,
} from './sqlite-rows.ts';
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
  type PublishEnd,
  type PublishRecord,
  type PublishRecordQuery,
  type RejectedAttempt,
  type RejectedAttemptGroup,
  type RejectedAttemptQuery,
  type Store,
  type StoredCredential,
  type StoreStats,
} from './store.ts';

/** How the PostgreSQL store connects. */
export interface PostgresStoreOptions {
  /** A `postgres://` URL (store.url). */
  readonly url: string;
  /** Pooled connections at most (store.poolSize, default 10). */
  readonly poolSize?: number;
  /** Writes held while PostgreSQL is unreachable (store.maxQueuedWrites, default 10000). */
  readonly maxQueuedWrites?: number;
  /** This node's id (cluster.nodeId); rows it owns carry it. Default 'local'. */
  readonly nodeId?: string;
  /** The data key that seals domain and callback keys; without it they are stored plaintext. */
  readonly dataKey?: Buffer;
  /** How long a node holds a callback delivery it took (default 60 s past its due time). */
  readonly callbackLeaseMs?: number;
  readonly now?: () => number;
}

/** The node id of a single-node setup. */
export const defaultNodeId = 'local';

/** A Store backed by a PostgreSQL database. */
export class PostgresStore implements Store {
  readonly callbacks: PostgresCallbackStore;
  readonly recordings: PostgresRecordStore;
  readonly history: PostgresStatsStore;
  readonly snapshots: SqlSnapshotStore;
  readonly nodeId: string;
  private readonly db: PostgresDb;
  private readonly keys: SqliteKeys;
  private readonly opening: Promise<void>;
  private closing: Promise<void> | undefined;

  constructor(options: PostgresStoreOptions) {
    this.nodeId = options.nodeId || defaultNodeId;
    this.keys = new SqliteKeys(options.dataKey);
    this.db = new PostgresDb({
      url: options.url,
      poolSize: options.poolSize ?? storeDefaults.poolSize,
      maxQueuedWrites: options.maxQueuedWrites ?? storeDefaults.maxQueuedWrites,
    });
    this.opening = this.db.withClient((client) => migratePostgres(client)).then(() => undefined);
    // Methods await opening; this keeps an unawaited failure from being reported as unhandled.
    this.opening.catch(() => {});
    this.recordings = new PostgresRecordStore({ db: this.db, nodeId: this.nodeId, opened: () => this.opened() });
    this.history = new PostgresStatsStore({ db: this.db, nodeId: this.nodeId, opened: () => this.opened() });
    this.snapshots = new SqlSnapshotStore(
      postgresSnapshotSql(this.db, () => this.opened()),
      this.nodeId,
    );
    this.callbacks = new PostgresCallbackStore({
      db: this.db,
      keys: this.keys,
      nodeId: this.nodeId,
      opened: () => this.opened(),
      leaseMs: options.callbackLeaseMs ?? 60_000,
      now: options.now ?? Date.now,
    });
  }

  /** Resolves once the schema is migrated; rejects with STORE_SCHEMA_NEWER or STORE_FAILED. */
  async ready(): Promise<void> {
    await this.opened();
  }

  /** Writes waiting for PostgreSQL, retries and refused writes, for /metrics. */
  stats(): StoreStats {
    return this.db.stats();
  }

  async addDomain(d: Domain): Promise<void> {
    const n = await this.write((q) =>
      q.query(
        `INSERT INTO domains (name, type, enabled, cname_target, created_at, auth_enabled, auth_key, auth_backup_key, auth_delta,
           auth_algorithm, replace_publisher, keys_sealed, settings) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (name) DO NOTHING`,
        domainValues(d, this.keys),
      ),
    );
    if (n.rowCount === 0) throw new LiveError('DOMAIN_EXISTS', `domain ${d.name} is already added`);
  }

  async getDomain(name: string): Promise<Domain | undefined> {
    const row = await this.one('SELECT * FROM domains WHERE name = $1', [name]);
    return row ? domainFromRow(row, this.keys) : undefined;
  }

  listDomains(query: DomainQuery = {}): Promise<Page<Domain>> {
    const where = new PgWhere();
    if (query.type !== undefined) where.add('type = ?', query.type);
    if (query.enabled !== undefined) where.add('enabled = ?', query.enabled ? 1 : 0);
    if (query.prefix !== undefined) where.add('starts_with(name, ?)', query.prefix);
    return this.page('domains', where, 'name', query, (row) => domainFromRow(row, this.keys));
  }

  async updateDomain(name: string, patch: DomainPatch): Promise<Domain> {
    await this.opened();
    return await this.db.transaction(async (q) => {
      const { rows } = await q.query<Row>('SELECT * FROM domains WHERE name = $1 FOR UPDATE', [name]);
      if (!rows[0]) throw new LiveError('DOMAIN_NOT_FOUND', `domain ${name} is not added`);
      const old = domainFromRow(rows[0], this.keys);
      const next: Domain = {
        ...old,
        enabled: patch.enabled ?? old.enabled,
        replacePublisher: patch.replacePublisher ?? old.replacePublisher,
        auth: { ...old.auth, ...definedOnly(patch.auth ?? {}) },
        ...mergeSettings(old.settings, patch.settings),
      };
      await q.query(
        `UPDATE domains SET type = $2, enabled = $3, cname_target = $4, created_at = $5, auth_enabled = $6, auth_key = $7,
           auth_backup_key = $8, auth_delta = $9, auth_algorithm = $10, replace_publisher = $11, keys_sealed = $12, settings = $13 WHERE name = $1`,
        domainValues(next, this.keys),
      );
      return next;
    });
  }

  async deleteDomain(name: string): Promise<boolean> {
    return (await this.changes('DELETE FROM domains WHERE name = $1', [name])) > 0;
  }

  async forbidStream(f: ForbiddenStream): Promise<void> {
    await this.changes(
      `INSERT INTO forbidden_streams (app, stream, domain, until, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (app, stream, domain) DO UPDATE SET until = excluded.until, reason = excluded.reason, created_at = excluded.created_at`,
      [f.app, f.stream, f.domain, f.until, f.reason, f.createdAt],
    );
  }

  async resumeStream(app: string, stream: string, domain: string): Promise<boolean> {
    return (
      (await this.changes('DELETE FROM forbidden_streams WHERE app = $1 AND stream = $2 AND domain = $3', [
        app,
        stream,
        domain,
      ])) > 0
    );
  }

  async findForbidden(app: string, stream: string, domain: string, now: number): Promise<ForbiddenStream | undefined> {
    const row = await this.one(
      `SELECT * FROM forbidden_streams WHERE app = $1 AND stream = $2 AND (domain = $3 OR domain = '') AND until > $4 ORDER BY until DESC LIMIT 1`,
      [app, stream, domain, now],
    );
    return row ? forbiddenFromRow(row) : undefined;
  }

  listForbidden(query: ForbiddenQuery = {}): Promise<Page<ForbiddenStream>> {
    const where = new PgWhere();
    if (query.activeAt !== undefined) where.add('until > ?', query.activeAt);
    if (query.domain !== undefined) where.add('domain = ?', query.domain);
    if (query.app !== undefined) where.add('app = ?', query.app);
    if (query.stream !== undefined) where.add('stream = ?', query.stream);
    return this.page('forbidden_streams', where, 'until DESC, app, stream, domain', query, forbiddenFromRow);
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

  async addCredential(c: StoredCredential): Promise<void> {
    await this.changes(
      'INSERT INTO api_credentials (secret_id, sealed_key, description, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5)',
      [c.secretId, c.sealedKey, c.description, c.createdAt, c.lastUsedAt],
    );
  }

  async getCredential(secretId: string): Promise<StoredCredential | undefined> {
    const row = await this.one('SELECT * FROM api_credentials WHERE secret_id = $1', [secretId]);
    return row ? credentialFromRow(row) : undefined;
  }

  async listCredentials(): Promise<StoredCredential[]> {
    return (await this.all('SELECT * FROM api_credentials ORDER BY created_at, secret_id', [])).map(credentialFromRow);
  }

  async touchCredential(secretId: string, at: number): Promise<void> {
    await this.changes('UPDATE api_credentials SET last_used_at = $1 WHERE secret_id = $2', [at, secretId]);
  }

  async deleteCredential(secretId: string): Promise<boolean> {
    return (await this.changes('DELETE FROM api_credentials WHERE secret_id = $1', [secretId])) > 0;
  }

  async getSetting(key: string): Promise<string | undefined> {
    const row = await this.one('SELECT value FROM settings WHERE key = $1', [key]);
    return row === undefined ? undefined : String(row.value);
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.changes(
      'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  close(): Promise<void> {
    this.closing ??= this.opening.catch(() => {}).then(() => this.db.close());
    return this.closing;
  }

  private async opened(): Promise<void> {
    if (this.closing) throw new LiveError('STORE_FAILED', 'the store is closed');
    try {
      await this.opening;
    } catch (err) {
      if (err instanceof LiveError) throw err;
      throw new LiveError(
        'STORE_FAILED',
        `cannot open the PostgreSQL store: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }

  private async write<T>(step: (q: Queryable) => Promise<T>): Promise<T> {
    await this.opened();
    return await this.db.write(step);
  }

  private async changes(text: string, params: PgValue[]): Promise<number> {
    return (await this.write((q) => q.query(text, params))).rowCount ?? 0;
  }

  private async all(text: string, params: PgValue[]): Promise<Row[]> {
    await this.opened();
    return await this.db.read(async (q) => (await q.query<Row>(text, params)).rows);
  }

  private async one(text: string, params: PgValue[]): Promise<Row | undefined> {
    return (await this.all(text, params))[0];
  }

  private async page<T>(
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

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
