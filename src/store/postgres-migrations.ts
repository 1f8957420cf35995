/**
 * The PostgreSQL schema as an ordered list of migrations, the same tables as SQLite's (store/sqlite-migrations.ts)
 * with every text column in the C collation (byte order, as SQLite sorts), plus the node id of the rows a node owns (publish records, open pushes, queued callbacks) and the lease of a
 * callback delivery. Times are BIGINT Unix ms. `schema_version` holds the versions run; opening runs the missing
 * ones in one transaction under an advisory lock, so nodes starting together migrate once. Never edit a
 * released migration: append one.
 */
import type pg from 'pg';
import { LiveError } from '../errors.ts';
import { postgresSnapshotTables } from './sql-snapshot-store.ts';

/** One step of the schema. */
export interface PostgresMigration {
  readonly version: number;
  readonly sql: string;
}

/** Every migration, in order. */
export const postgresMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE domains (
        name TEXT COLLATE "C" PRIMARY KEY,
        type TEXT COLLATE "C" NOT NULL CHECK (type IN ('push', 'play')),
        enabled INTEGER NOT NULL,
        cname_target TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        auth_enabled INTEGER NOT NULL,
        auth_key TEXT COLLATE "C" NOT NULL,
        auth_backup_key TEXT COLLATE "C" NOT NULL,
        auth_delta INTEGER NOT NULL,
        auth_algorithm TEXT COLLATE "C" NOT NULL CHECK (auth_algorithm IN ('md5', 'sha256')),
        replace_publisher INTEGER NOT NULL,
        keys_sealed INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE forbidden_streams (
        app TEXT COLLATE "C" NOT NULL,
        stream TEXT COLLATE "C" NOT NULL,
        domain TEXT COLLATE "C" NOT NULL,
        until BIGINT NOT NULL,
        reason TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (app, stream, domain)
      );
      CREATE TABLE publish_records (
        id BIGSERIAL PRIMARY KEY,
        node_id TEXT COLLATE "C" NOT NULL DEFAULT '',
        domain TEXT COLLATE "C" NOT NULL,
        app TEXT COLLATE "C" NOT NULL,
        stream TEXT COLLATE "C" NOT NULL,
        client_ip TEXT COLLATE "C" NOT NULL,
        started_at BIGINT NOT NULL,
        ended_at BIGINT,
        break_code TEXT COLLATE "C",
        reason TEXT COLLATE "C",
        bytes_in BIGINT NOT NULL DEFAULT 0,
        width INTEGER,
        height INTEGER,
        video_codec TEXT COLLATE "C",
        audio_codec TEXT COLLATE "C"
      );
      CREATE INDEX publish_records_started ON publish_records (started_at);
      CREATE INDEX publish_records_stream ON publish_records (app, stream, started_at);
      CREATE INDEX publish_records_open ON publish_records (node_id) WHERE ended_at IS NULL;
      CREATE TABLE rejected_attempts (
        id BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        action TEXT COLLATE "C" NOT NULL,
        client_ip TEXT COLLATE "C" NOT NULL,
        host TEXT COLLATE "C" NOT NULL,
        domain TEXT COLLATE "C" NOT NULL,
        app TEXT COLLATE "C" NOT NULL,
        stream TEXT COLLATE "C" NOT NULL,
        break_code TEXT COLLATE "C" NOT NULL,
        code TEXT COLLATE "C" NOT NULL,
        reason TEXT COLLATE "C" NOT NULL,
        query TEXT COLLATE "C" NOT NULL,
        count BIGINT NOT NULL DEFAULT 1,
        last_at BIGINT NOT NULL
      );
      CREATE INDEX rejected_attempts_at ON rejected_attempts (at);
      CREATE INDEX rejected_attempts_last_at ON rejected_attempts (last_at);
      CREATE TABLE settings (key TEXT COLLATE "C" PRIMARY KEY, value TEXT COLLATE "C" NOT NULL);
      CREATE TABLE api_credentials (
        secret_id TEXT COLLATE "C" PRIMARY KEY,
        sealed_key TEXT COLLATE "C" NOT NULL,
        description TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT
      );
      CREATE TABLE callback_templates (
        id BIGSERIAL PRIMARY KEY,
        name TEXT COLLATE "C" NOT NULL,
        description TEXT COLLATE "C" NOT NULL,
        urls TEXT COLLATE "C" NOT NULL,
        callback_key TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        keys_sealed INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE callback_rules (
        domain TEXT COLLATE "C" NOT NULL,
        app TEXT COLLATE "C" NOT NULL,
        template_id BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (domain, app)
      );
      CREATE TABLE callback_deliveries (
        id BIGSERIAL PRIMARY KEY,
        node_id TEXT COLLATE "C" NOT NULL DEFAULT '',
        leased_by TEXT COLLATE "C",
        leased_until BIGINT,
        event_type INTEGER NOT NULL,
        event_time BIGINT NOT NULL,
        stream TEXT COLLATE "C" NOT NULL,
        sequence TEXT COLLATE "C" NOT NULL,
        url TEXT COLLATE "C" NOT NULL,
        body TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        next_at BIGINT NOT NULL,
        attempts INTEGER NOT NULL
      );
      CREATE TABLE callback_attempts (
        id BIGSERIAL PRIMARY KEY,
        delivery_id BIGINT NOT NULL,
        event_type INTEGER NOT NULL,
        event_time BIGINT NOT NULL,
        stream TEXT COLLATE "C" NOT NULL,
        url TEXT COLLATE "C" NOT NULL,
        request TEXT COLLATE "C" NOT NULL,
        response TEXT COLLATE "C" NOT NULL,
        status INTEGER NOT NULL,
        result_code INTEGER NOT NULL,
        at BIGINT NOT NULL,
        duration_ms BIGINT NOT NULL
      );
      CREATE INDEX callback_attempts_at ON callback_attempts (at);
      CREATE INDEX callback_attempts_stream ON callback_attempts (stream, at);
      CREATE TABLE callback_open_pushes (
        sequence TEXT COLLATE "C" PRIMARY KEY,
        node_id TEXT COLLATE "C" NOT NULL DEFAULT '',
        url TEXT COLLATE "C" NOT NULL,
        callback_key TEXT COLLATE "C" NOT NULL,
        app_id BIGINT NOT NULL,
        domain TEXT COLLATE "C" NOT NULL,
        app TEXT COLLATE "C" NOT NULL,
        stream TEXT COLLATE "C" NOT NULL,
        client_ip TEXT COLLATE "C" NOT NULL,
        server_ip TEXT COLLATE "C" NOT NULL,
        query TEXT COLLATE "C" NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        started_at BIGINT NOT NULL,
        keys_sealed INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
  {
    // Recording (store/record-store.ts), as SQLite's migration 7.
    version: 2,
    sql: `
      CREATE TABLE record_templates (
        id BIGSERIAL PRIMARY KEY,
        name TEXT COLLATE "C" NOT NULL,
        description TEXT COLLATE "C" NOT NULL,
        params TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE TABLE record_rules (
        domain TEXT COLLATE "C" NOT NULL,
        app TEXT COLLATE "C" NOT NULL,
        stream TEXT COLLATE "C" NOT NULL,
        template_id BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (domain, app, stream)
      );
      CREATE TABLE record_tasks (
        task_id TEXT COLLATE "C" PRIMARY KEY,
        domain TEXT COLLATE "C" NOT NULL,
        app TEXT COLLATE "C" NOT NULL,
        stream TEXT COLLATE "C" NOT NULL,
        start_time BIGINT NOT NULL,
        end_time BIGINT NOT NULL,
        template_id BIGINT NOT NULL,
        extension TEXT COLLATE "C" NOT NULL,
        stopped BIGINT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX record_tasks_start ON record_tasks (start_time);
      CREATE TABLE record_files (
        id BIGSERIAL PRIMARY KEY,
        node_id TEXT COLLATE "C" NOT NULL,
        domain TEXT COLLATE "C" NOT NULL,
        app TEXT COLLATE "C" NOT NULL,
        stream TEXT COLLATE "C" NOT NULL,
        format TEXT COLLATE "C" NOT NULL,
        path TEXT COLLATE "C" NOT NULL,
        started_at BIGINT NOT NULL,
        template_id BIGINT NOT NULL,
        task_id TEXT COLLATE "C" NOT NULL,
        expires_at BIGINT,
        ended_at BIGINT,
        duration_ms BIGINT NOT NULL DEFAULT 0,
        size BIGINT NOT NULL DEFAULT 0,
        status TEXT COLLATE "C" NOT NULL,
        error_code TEXT COLLATE "C" NOT NULL DEFAULT '',
        reason TEXT COLLATE "C" NOT NULL DEFAULT ''
      );
      CREATE INDEX record_files_stream ON record_files (app, stream, started_at);
      CREATE INDEX record_files_started ON record_files (started_at);
      CREATE INDEX record_files_expires ON record_files (expires_at) WHERE expires_at IS NOT NULL;
      CREATE INDEX record_files_open ON record_files (node_id) WHERE ended_at IS NULL;
    `,
  },
  // Snapshots (store/snapshot-store.ts), as SQLite's migration 8.
  { version: 3, sql: postgresSnapshotTables },
  {
    // Statistics (store/stats-store.ts), as SQLite's migration 9.
    version: 4,
    sql: `
      CREATE TABLE stats_samples (
        node_id TEXT COLLATE "C" NOT NULL,
        period BIGINT NOT NULL,
        at BIGINT NOT NULL,
        domain TEXT COLLATE "C" NOT NULL,
        app TEXT COLLATE "C" NOT NULL,
        stream TEXT COLLATE "C" NOT NULL,
        bytes_in BIGINT NOT NULL,
        bytes_out BIGINT NOT NULL,
        rtmp_bytes_out BIGINT NOT NULL,
        flv_bytes_out BIGINT NOT NULL,
        hls_bytes_out BIGINT NOT NULL,
        rtmp_viewers BIGINT NOT NULL,
        flv_viewers BIGINT NOT NULL,
        hls_viewers BIGINT NOT NULL,
        requests BIGINT NOT NULL,
        push_bitrate BIGINT NOT NULL,
        push_fps DOUBLE PRECISION NOT NULL,
        width BIGINT NOT NULL,
        height BIGINT NOT NULL,
        dropped_frames BIGINT NOT NULL,
        PRIMARY KEY (node_id, period, at, domain, app, stream)
      );
      CREATE INDEX stats_samples_at ON stats_samples (period, at);
      CREATE INDEX stats_samples_stream ON stats_samples (period, stream, at);
    `,
  },
  {
    // Domain settings as one JSON value, as SQLite's migration 10.
    version: 5,
    sql: `
      ALTER TABLE domains ADD COLUMN settings TEXT COLLATE "C" NOT NULL DEFAULT '{}';
    `,
  },
  {
    // WHEP players apart from HTTP-FLV, as SQLite's migration 11.
    version: 6,
    sql: `
      ALTER TABLE stats_samples ADD COLUMN webrtc_bytes_out BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE stats_samples ADD COLUMN webrtc_viewers BIGINT NOT NULL DEFAULT 0;
    `,
  },
];

/** The version a fully migrated database has. */
export const postgresLatestVersion = postgresMigrations.at(-1)?.version ?? 0;

/** Any advisory-lock key shared by every openlive node: "openlive" in ASCII. */
const migrationLock = 0x6f70656e6c697665n;

/** Runs the missing migrations in one transaction; refuses a newer schema (STORE_SCHEMA_NEWER). Returns the version. */
export async function migratePostgres(
  client: pg.ClientBase,
  list: readonly PostgresMigration[] = postgresMigrations,
): Promise<number> {
  const latest = list.at(-1)?.version ?? 0;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLock.toString()]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
    const current = Number(rows[0]?.v ?? 0);
    if (current > latest) {
      throw new LiveError(
        'STORE_SCHEMA_NEWER',
        `the database has schema version ${current}; this openlive knows up to ${latest}`,
      );
    }
    for (const m of list) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_version (version) VALUES ($1)', [m.version]);
    }
    await client.query('COMMIT');
    return Math.max(current, latest);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
