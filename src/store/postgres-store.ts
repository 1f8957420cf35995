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
import { PostgresDb } from './postgres-db.ts';
import { PostgresRecordStore } from './postgres-record-store.ts';
import { PostgresStatsStore } from './postgres-stats-store.ts';
import { PostgresCallbackStore } from './postgres-callback-store.ts';
import { migratePostgres } from './postgres-migrations.ts';
import { PostgresPublishRecords } from './postgres-publish-records.ts';
import { PgWhere } from './postgres-where.ts';
import { SqliteKeys } from './sqlite-keys.ts';
import { credentialFromRow, domainFromRow, domainValues, forbiddenFromRow, type Row } from './sqlite-rows.ts';
import {
  mergeSettings,
  type Domain,
  type DomainPatch,
  type DomainQuery,
  type ForbiddenQuery,
  type ForbiddenStream,
  type Page,
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
export class PostgresStore extends PostgresPublishRecords implements Store {
  readonly callbacks: PostgresCallbackStore;
  readonly recordings: PostgresRecordStore;
  readonly history: PostgresStatsStore;
  readonly snapshots: SqlSnapshotStore;
  private readonly keys: SqliteKeys;
  private readonly opening: Promise<void>;
  private closing: Promise<void> | undefined;

  constructor(options: PostgresStoreOptions) {
    super(
      new PostgresDb({
        url: options.url,
        poolSize: options.poolSize ?? storeDefaults.poolSize,
        maxQueuedWrites: options.maxQueuedWrites ?? storeDefaults.maxQueuedWrites,
      }),
      options.nodeId || defaultNodeId,
    );
    this.keys = new SqliteKeys(options.dataKey);
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

  protected async opened(): Promise<void> {
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
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
