/**
 * The embedded Store on Node 24's built-in `node:sqlite` (no native addon): one file under the data
 * directory, WAL journal so readers never block the writer, and a commit on every write so a record
 * survives `kill -9` of the server (SQLite WAL: a committed transaction is in the -wal file before
 * COMMIT returns; synchronous=FULL also survives power loss).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { LiveError } from '../errors.ts';
import { migrate } from './sqlite-migrations.ts';
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
import {
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
  type PublishEnd,
  type PublishRecord,
  type PublishRecordQuery,
  type RejectedAttempt,
  type RejectedAttemptGroup,
  type RejectedAttemptQuery,
  type Store,
  type StoredCredential,
} from './store.ts';

/** How the SQLite store opens its file. */
export interface SqliteStoreOptions {
  /** The database file, or ':memory:' for tests. */
  readonly file: string;
  /** NORMAL survives a crashed process; FULL also survives power loss at one fsync per commit. */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /** How long a write waits for another process's lock (the CLI next to a running server). */
  readonly busyTimeoutMs?: number;
}

/** The database file openlive uses inside its data directory. */
export function sqliteFileIn(dataDir: string): string {
  return join(dataDir, 'openlive.db');
}

/** A Store backed by one SQLite file. */
export class SqliteStore implements Store {
  readonly callbacks: SqliteCallbackStore;
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();
  private closed = false;

  constructor(options: SqliteStoreOptions) {
    try {
      if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
      this.db = new DatabaseSync(options.file, { timeout: options.busyTimeoutMs ?? 5000 });
      this.db.exec('PRAGMA journal_mode = WAL');
      this.db.exec(`PRAGMA synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
      migrate(this.db);
    } catch (err) {
      throw storeError(err, `cannot open ${options.file}`);
    }
    this.callbacks = new SqliteCallbackStore(this.db, () => this.closed);
  }

  addDomain(d: Domain): Promise<void> {
    return this.run(() => {
      const result = this.sql(
        `INSERT INTO domains (name, type, enabled, cname_target, created_at, auth_enabled, auth_key,
           auth_backup_key, auth_delta, auth_algorithm, replace_publisher)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
      ).run(...domainValues(d));
      if (result.changes === 0) throw new LiveError('DOMAIN_EXISTS', `domain ${d.name} is already added`);
    });
  }

  getDomain(name: string): Promise<Domain | undefined> {
    return this.run(() => {
      const row = this.sql('SELECT * FROM domains WHERE name = ?').get(name) as Row | undefined;
      return row ? domainFromRow(row) : undefined;
    });
  }

  listDomains(query: DomainQuery = {}): Promise<Page<Domain>> {
    return this.run(() => {
      const where = new Where();
      if (query.type !== undefined) where.add('type = ?', query.type);
      if (query.enabled !== undefined) where.add('enabled = ?', query.enabled ? 1 : 0);
      if (query.prefix !== undefined) where.add("substr(name, 1, length(?)) = ?", query.prefix, query.prefix);
      return this.page('domains', where, 'name', query, domainFromRow);
    });
  }

  updateDomain(name: string, patch: DomainPatch): Promise<Domain> {
    return this.run(() => {
      const row = this.sql('SELECT * FROM domains WHERE name = ?').get(name) as Row | undefined;
      if (!row) throw new LiveError('DOMAIN_NOT_FOUND', `domain ${name} is not added`);
      const old = domainFromRow(row);
      const next: Domain = {
        ...old,
        enabled: patch.enabled ?? old.enabled,
        replacePublisher: patch.replacePublisher ?? old.replacePublisher,
        auth: { ...old.auth, ...definedOnly(patch.auth ?? {}) },
      };
      this.sql(
        `UPDATE domains SET type = ?2, enabled = ?3, cname_target = ?4, created_at = ?5, auth_enabled = ?6,
           auth_key = ?7, auth_backup_key = ?8, auth_delta = ?9, auth_algorithm = ?10, replace_publisher = ?11
         WHERE name = ?1`,
      ).run(...domainValues(next));
      return next;
    });
  }

  deleteDomain(name: string): Promise<boolean> {
    return this.run(() => this.sql('DELETE FROM domains WHERE name = ?').run(name).changes > 0);
  }

  forbidStream(f: ForbiddenStream): Promise<void> {
    return this.run(() => {
      this.sql(
        `INSERT INTO forbidden_streams (app, stream, domain, until, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (app, stream, domain) DO UPDATE SET until = excluded.until, reason = excluded.reason,
           created_at = excluded.created_at`,
      ).run(f.app, f.stream, f.domain, f.until, f.reason, f.createdAt);
    });
  }

  resumeStream(app: string, stream: string, domain: string): Promise<boolean> {
    return this.run(
      () => this.sql('DELETE FROM forbidden_streams WHERE app = ? AND stream = ? AND domain = ?').run(app, stream, domain).changes > 0,
    );
  }

  findForbidden(app: string, stream: string, domain: string, now: number): Promise<ForbiddenStream | undefined> {
    return this.run(() => {
      const row = this.sql(
        `SELECT * FROM forbidden_streams WHERE app = ? AND stream = ? AND (domain = ? OR domain = '') AND until > ?
         ORDER BY until DESC LIMIT 1`,
      ).get(app, stream, domain, now) as Row | undefined;
      return row ? forbiddenFromRow(row) : undefined;
    });
  }

  listForbidden(query: ForbiddenQuery = {}): Promise<Page<ForbiddenStream>> {
    return this.run(() => {
      const where = new Where();
      if (query.activeAt !== undefined) where.add('until > ?', query.activeAt);
      if (query.domain !== undefined) where.add('domain = ?', query.domain);
      if (query.app !== undefined) where.add('app = ?', query.app);
      if (query.stream !== undefined) where.add('stream = ?', query.stream);
      return this.page('forbidden_streams', where, 'until DESC, app, stream, domain', query, forbiddenFromRow);
    });
  }

  addPublishRecord(r: NewPublishRecord): Promise<number> {
    return this.run(() => {
      const result = this.sql(
        'INSERT INTO publish_records (domain, app, stream, client_ip, started_at) VALUES (?, ?, ?, ?, ?)',
      ).run(r.domain, r.app, r.stream, r.clientIp, r.startedAt);
      return Number(result.lastInsertRowid);
    });
  }

  endPublishRecord(id: number, end: PublishEnd): Promise<boolean> {
    return this.run(() => this.endWhere('id = ? AND ended_at IS NULL', [id], end) > 0);
  }

  endOpenPublishRecords(end: PublishEnd): Promise<number> {
    return this.run(() => this.endWhere('ended_at IS NULL', [], end));
  }

  getPublishRecord(id: number): Promise<PublishRecord | undefined> {
    return this.run(() => {
      const row = this.sql('SELECT * FROM publish_records WHERE id = ?').get(id) as Row | undefined;
      return row ? publishRecordFromRow(row) : undefined;
    });
  }

  listPublishRecords(query: PublishRecordQuery = {}): Promise<Page<PublishRecord>> {
    return this.run(() => {
      const where = recordWhere(query, 'started_at');
      if (query.open !== undefined) where.add(query.open ? 'ended_at IS NULL' : 'ended_at IS NOT NULL');
      if (query.endedSince !== undefined) where.add('(ended_at IS NULL OR ended_at >= ?)', query.endedSince);
      const order = query.ascending ? 'started_at, id' : 'started_at DESC, id DESC';
      return this.page('publish_records', where, order, query, publishRecordFromRow);
    });
  }

  addRejectedAttempt(a: NewRejectedAttempt): Promise<number> {
    return this.run(() => {
      const result = this.sql(
        `INSERT INTO rejected_attempts (at, action, client_ip, host, domain, app, stream, break_code, code, reason, query)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(a.at, a.action, a.clientIp, a.host, a.domain, a.app, a.stream, a.breakCode, a.code, a.reason, a.query);
      return Number(result.lastInsertRowid);
    });
  }

  listRejectedAttempts(query: RejectedAttemptQuery = {}): Promise<Page<RejectedAttempt>> {
    const order = query.ascending ? 'at, id' : 'at DESC, id DESC';
    return this.run(() => this.page('rejected_attempts', attemptWhere(query), order, query, rejectedFromRow));
  }

  summarizeRejectedAttempts(query: RejectedAttemptQuery = {}): Promise<RejectedAttemptGroup[]> {
    return this.run(() => {
      const where = attemptWhere(query);
      // One row per group: the latest attempt (for its reason) with the group's count and time span.
      const rows = this.sql(
        `SELECT break_code, code, n, first_at, last_at, reason FROM (
           SELECT break_code, code, reason, count(*) OVER g AS n, min(at) OVER g AS first_at, max(at) OVER g AS last_at,
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

  pruneRecords(before: number): Promise<number> {
    return this.run(() => {
      const records = this.sql('DELETE FROM publish_records WHERE ended_at IS NOT NULL AND started_at < ?').run(before);
      const attempts = this.sql('DELETE FROM rejected_attempts WHERE at < ?').run(before);
      return Number(records.changes) + Number(attempts.changes);
    });
  }

  addCredential(c: StoredCredential): Promise<void> {
    return this.run(() => {
      this.sql('INSERT INTO api_credentials (secret_id, sealed_key, description, created_at, last_used_at) VALUES (?, ?, ?, ?, ?)').run(
        c.secretId,
        c.sealedKey,
        c.description,
        c.createdAt,
        c.lastUsedAt,
      );
    });
  }

  getCredential(secretId: string): Promise<StoredCredential | undefined> {
    return this.run(() => {
      const row = this.sql('SELECT * FROM api_credentials WHERE secret_id = ?').get(secretId) as Row | undefined;
      return row ? credentialFromRow(row) : undefined;
    });
  }

  listCredentials(): Promise<StoredCredential[]> {
    return this.run(() => (this.sql('SELECT * FROM api_credentials ORDER BY created_at, secret_id').all() as Row[]).map(credentialFromRow));
  }

  touchCredential(secretId: string, at: number): Promise<void> {
    return this.run(() => {
      this.sql('UPDATE api_credentials SET last_used_at = ? WHERE secret_id = ?').run(at, secretId);
    });
  }

  deleteCredential(secretId: string): Promise<boolean> {
    return this.run(() => this.sql('DELETE FROM api_credentials WHERE secret_id = ?').run(secretId).changes > 0);
  }

  getSetting(key: string): Promise<string | undefined> {
    return this.run(() => {
      const row = this.sql('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
      return row?.value;
    });
  }

  setSetting(key: string, value: string): Promise<void> {
    return this.run(() => {
      this.sql('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
        key,
        value,
      );
    });
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.statements.clear();
      this.db.close();
    }
    return Promise.resolve();
  }

  /** Runs a synchronous database step as the Store's promise, with errors mapped to stable codes. */
  private run<T>(step: () => T): Promise<T> {
    try {
      if (this.closed) throw new LiveError('STORE_FAILED', 'the store is closed');
      return Promise.resolve(step());
    } catch (err) {
      return Promise.reject(storeError(err, 'database error'));
    }
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

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function storeError(err: unknown, context: string): LiveError {
  if (err instanceof LiveError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new LiveError('STORE_FAILED', `${context}: ${message}`, { cause: err });
}
