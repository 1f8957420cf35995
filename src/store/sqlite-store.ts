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
import type { DatabaseSync } from 'node:sqlite';
import { storeDefaults } from '../config/store-defaults.ts';
import { LiveError } from '../errors.ts';
import { openDatabase, storeError, type SqliteStoreOptions } from './sqlite-open.ts';
import { SqliteRecordStore } from './sqlite-record-store.ts';
import { SqliteStatsStore } from './sqlite-stats-store.ts';
import { SqliteCallbackStore } from './sqlite-callback-store.ts';
import { credentialFromRow, domainFromRow, domainValues, forbiddenFromRow, type Row } from './sqlite-rows.ts';
import { Where } from './sqlite-where.ts';
import { SqliteKeys } from './sqlite-keys.ts';
import { SqliteWriteQueue } from './sqlite-write-queue.ts';
import { SqlitePublishRecords } from './sqlite-publish-records.ts';
export { defaultBusyTimeoutMs, sqliteFileIn, type SqliteStoreOptions } from './sqlite-open.ts';
import {
  mergeSettings,
  type Domain,
  type DomainPatch,
  type DomainQuery,
  type ForbiddenQuery,
  type ForbiddenStream,
  type Page,
  type StoreStats,
  type Store,
  type StoredCredential,
} from './store.ts';

/** A Store backed by one SQLite file. */
export class SqliteStore extends SqlitePublishRecords implements Store {
  readonly callbacks: SqliteCallbackStore;
  readonly recordings: SqliteRecordStore;
  readonly history: SqliteStatsStore;
  readonly snapshots: SqlSnapshotStore;
  private readonly keys: SqliteKeys;
  private readonly closeDeadlineMs: number;
  private closing: Promise<void> | undefined;
  private closed = false;

  constructor(options: SqliteStoreOptions) {
    const keys = new SqliteKeys(options.dataKey);
    const queue = new SqliteWriteQueue({
      maxQueued: options.maxQueuedWrites ?? storeDefaults.maxQueuedWrites,
      retryMs: 10,
      maxRetryMs: 200,
    });
    let db: DatabaseSync;
    try {
      db = openDatabase(options, keys);
    } catch (err) {
      throw storeError(err, `cannot open ${options.file}`);
    }
    super(db, queue, options.nodeId || 'local');
    this.keys = keys;
    this.closeDeadlineMs = options.closeDeadlineMs ?? 5000;
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
  protected override read<T>(step: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new LiveError('STORE_FAILED', 'the store is closed'));
    return this.queue.read(step).catch((err: unknown) => Promise.reject(storeError(err, 'database error')));
  }

  /** Runs a writing step now, or in order once another process's lock is free. */
  protected override write<T>(step: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new LiveError('STORE_FAILED', 'the store is closed'));
    return this.queue.write(step).catch((err: unknown) => Promise.reject(storeError(err, 'database error')));
  }
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
