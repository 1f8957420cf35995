/**
 * The SQLite schema as an ordered list of migrations. A database records the last version it ran in
 * `schema_version`; opening it runs the missing ones, each in its own transaction. Never edit a
 * released migration: append a new one.
 */
import type { DatabaseSync } from 'node:sqlite';
import { LiveError } from '../errors.ts';
import { sqliteSnapshotTables } from './sql-snapshot-store.ts';

/** One schema step. */
export interface Migration {
  readonly version: number;
  readonly sql: string;
}

/** Every migration, in order; versions are 1, 2, 3, ... */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE domains (
        name TEXT PRIMARY KEY,
        type TEXT NOT NULL CHECK (type IN ('push', 'play')),
        enabled INTEGER NOT NULL,
        cname_target TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        auth_enabled INTEGER NOT NULL,
        auth_key TEXT NOT NULL,
        auth_backup_key TEXT NOT NULL,
        auth_delta INTEGER NOT NULL,
        auth_algorithm TEXT NOT NULL CHECK (auth_algorithm IN ('md5', 'sha256')),
        replace_publisher INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE forbidden_streams (
        app TEXT NOT NULL,
        stream TEXT NOT NULL,
        domain TEXT NOT NULL,
        until INTEGER NOT NULL,
        reason TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (app, stream, domain)
      ) STRICT;
      CREATE TABLE publish_records (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        domain TEXT NOT NULL,
        app TEXT NOT NULL,
        stream TEXT NOT NULL,
        client_ip TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        break_code TEXT,
        reason TEXT,
        bytes_in INTEGER NOT NULL DEFAULT 0,
        width INTEGER,
        height INTEGER,
        video_codec TEXT,
        audio_codec TEXT
      ) STRICT;
      CREATE INDEX publish_records_started ON publish_records (started_at);
      CREATE INDEX publish_records_stream ON publish_records (app, stream, started_at);
      CREATE INDEX publish_records_open ON publish_records (id) WHERE ended_at IS NULL;
      CREATE TABLE rejected_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        action TEXT NOT NULL,
        client_ip TEXT NOT NULL,
        host TEXT NOT NULL,
        domain TEXT NOT NULL,
        app TEXT NOT NULL,
        stream TEXT NOT NULL,
        break_code TEXT NOT NULL,
        code TEXT NOT NULL,
        reason TEXT NOT NULL,
        query TEXT NOT NULL
      ) STRICT;
      CREATE INDEX rejected_attempts_at ON rejected_attempts (at);
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    // Cloud API credentials: the SecretKey only sealed with <dataDir>/secret.key (control/credentials.ts).
    version: 2,
    sql: `
      CREATE TABLE api_credentials (
        secret_id TEXT PRIMARY KEY,
        sealed_key TEXT NOT NULL,
        description TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER
      ) STRICT;
    `,
  },
  {
    // Event callbacks (store/callback-store.ts): templates, rules, the delivery queue and every attempt.
    version: 3,
    sql: `
      CREATE TABLE callback_templates (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        urls TEXT NOT NULL,
        callback_key TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE callback_rules (
        domain TEXT NOT NULL,
        app TEXT NOT NULL,
        template_id INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (domain, app)
      ) STRICT;
      CREATE TABLE callback_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_type INTEGER NOT NULL,
        event_time INTEGER NOT NULL,
        stream TEXT NOT NULL,
        sequence TEXT NOT NULL,
        url TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        next_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE callback_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_id INTEGER NOT NULL,
        event_type INTEGER NOT NULL,
        event_time INTEGER NOT NULL,
        stream TEXT NOT NULL,
        url TEXT NOT NULL,
        request TEXT NOT NULL,
        response TEXT NOT NULL,
        status INTEGER NOT NULL,
        result_code INTEGER NOT NULL,
        at INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX callback_attempts_at ON callback_attempts (at);
      CREATE INDEX callback_attempts_stream ON callback_attempts (stream, at);
    `,
  },
  {
    // Pushes whose interruption callback is still owed, for the start after a crash (CallbackStore.addOpenPush).
    version: 4,
    sql: `
      CREATE TABLE callback_open_pushes (
        sequence TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        callback_key TEXT NOT NULL,
        app_id INTEGER NOT NULL,
        domain TEXT NOT NULL,
        app TEXT NOT NULL,
        stream TEXT NOT NULL,
        client_ip TEXT NOT NULL,
        server_ip TEXT NOT NULL,
        query TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        started_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    // Aggregated refusals (control/rejection-recorder.ts): one row may count many refusals of one address;
    // pruning goes by the latest. Keys sealed with the data key (store/sealing.ts): rows written before
    // this version hold plaintext keys (keys_sealed = 0) until SqliteStore seals them on opening.
    version: 5,
    sql: `
      ALTER TABLE rejected_attempts ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE rejected_attempts ADD COLUMN last_at INTEGER NOT NULL DEFAULT 0;
      UPDATE rejected_attempts SET last_at = at;
      CREATE INDEX rejected_attempts_last_at ON rejected_attempts (last_at);
      ALTER TABLE domains ADD COLUMN keys_sealed INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE callback_templates ADD COLUMN keys_sealed INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE callback_open_pushes ADD COLUMN keys_sealed INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    // The node that wrote a publish record (cluster.nodeId), as in PostgreSQL (store/postgres-migrations.ts).
    version: 6,
    sql: `
      ALTER TABLE publish_records ADD COLUMN node_id TEXT NOT NULL DEFAULT '';
    `,
  },
  {
    // Recording (store/record-store.ts): templates with their Tencent parameters as one JSON column, rules keyed
    // by domain + app + stream ('' = every stream), tasks, and one row per recorded file.
    version: 7,
    sql: `
      CREATE TABLE record_templates (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        params TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE record_rules (
        domain TEXT NOT NULL,
        app TEXT NOT NULL,
        stream TEXT NOT NULL,
        template_id INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (domain, app, stream)
      ) STRICT;
      CREATE TABLE record_tasks (
        task_id TEXT PRIMARY KEY,
        domain TEXT NOT NULL,
        app TEXT NOT NULL,
        stream TEXT NOT NULL,
        start_time INTEGER NOT NULL,
        end_time INTEGER NOT NULL,
        template_id INTEGER NOT NULL,
        extension TEXT NOT NULL,
        stopped INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX record_tasks_start ON record_tasks (start_time);
      CREATE TABLE record_files (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        node_id TEXT NOT NULL,
        domain TEXT NOT NULL,
        app TEXT NOT NULL,
        stream TEXT NOT NULL,
        format TEXT NOT NULL,
        path TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        template_id INTEGER NOT NULL,
        task_id TEXT NOT NULL,
        expires_at INTEGER,
        ended_at INTEGER,
        duration_ms INTEGER NOT NULL DEFAULT 0,
        size INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,
        error_code TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL DEFAULT ''
      ) STRICT;
      CREATE INDEX record_files_stream ON record_files (app, stream, started_at);
      CREATE INDEX record_files_started ON record_files (started_at);
      CREATE INDEX record_files_expires ON record_files (expires_at) WHERE expires_at IS NOT NULL;
      CREATE INDEX record_files_open ON record_files (node_id) WHERE ended_at IS NULL;
    `,
  },
  // Snapshots (store/snapshot-store.ts): templates, rules, screenshot tasks and one row per picture.
  { version: 8, sql: sqliteSnapshotTables },
  {
    // Statistics (store/stats-store.ts, docs/statistics.md): one row per node, period (1 min, 5 min, 1 h, 1 day),
    // period start and stream.
    version: 9,
    sql: `
      CREATE TABLE stats_samples (
        node_id TEXT NOT NULL,
        period INTEGER NOT NULL,
        at INTEGER NOT NULL,
        domain TEXT NOT NULL,
        app TEXT NOT NULL,
        stream TEXT NOT NULL,
        bytes_in INTEGER NOT NULL,
        bytes_out INTEGER NOT NULL,
        rtmp_bytes_out INTEGER NOT NULL,
        flv_bytes_out INTEGER NOT NULL,
        hls_bytes_out INTEGER NOT NULL,
        rtmp_viewers INTEGER NOT NULL,
        flv_viewers INTEGER NOT NULL,
        hls_viewers INTEGER NOT NULL,
        requests INTEGER NOT NULL,
        push_bitrate INTEGER NOT NULL,
        push_fps REAL NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        dropped_frames INTEGER NOT NULL,
        PRIMARY KEY (node_id, period, at, domain, app, stream)
      ) STRICT;
      CREATE INDEX stats_samples_at ON stats_samples (period, at);
      CREATE INDEX stats_samples_stream ON stats_samples (period, stream, at);
    `,
  },
  {
    // Domain settings as one JSON value (store.ts DomainSettings): referer rules, PlayType, IsMiniProgramLive.
    version: 10,
    sql: `
      ALTER TABLE domains ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
    `,
  },
  {
    // WHEP players apart from HTTP-FLV (docs/statistics.md); older rows have none.
    version: 11,
    sql: `
      ALTER TABLE stats_samples ADD COLUMN webrtc_bytes_out INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE stats_samples ADD COLUMN webrtc_viewers INTEGER NOT NULL DEFAULT 0;
    `,
  },
];

/** The version a fully migrated database has. */
export const latestVersion = migrations.at(-1)?.version ?? 0;

/** The version recorded in the database (0 for an empty one). */
export function schemaVersion(db: DatabaseSync): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null } | undefined;
  return row?.v ?? 0;
}

/** Runs the migrations the database lacks; refuses a database from a newer openlive. */
export function migrate(db: DatabaseSync, list: readonly Migration[] = migrations): number {
  const latest = list.at(-1)?.version ?? 0;
  // BEGIN IMMEDIATE takes the write lock first, so two processes opening one file migrate once.
  db.exec('BEGIN IMMEDIATE');
  try {
    const current = schemaVersion(db);
    if (current > latest) {
      throw new LiveError(
        'STORE_SCHEMA_NEWER',
        `the database has schema version ${current}; this openlive knows up to ${latest}`,
      );
    }
    for (const m of list) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
    }
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
  return latest;
}
