/**
 * Opening the SQLite file: the data folder (0700) and an empty database (0600) made before SQLite touches
 * them, so its -wal and -shm (created with the database's mode) are 0600 too; the pragmas; the migrations;
 * sealing the keys of rows from before sealing existed; then the short busy timeout the server runs with.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { LiveError } from '../errors.ts';
import { migrate } from './sqlite-migrations.ts';
import type { SqliteKeys } from './sqlite-keys.ts';

/** How the SQLite store opens its file. */
export interface SqliteStoreOptions {
  /** The database file, or ':memory:' for tests. */
  readonly file: string;
  /** NORMAL survives a crashed process; FULL also survives power loss at one fsync per commit. */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /**
   * How long one try of a step may block waiting for another process's lock (SQLite busy_timeout); then
   * the step waits in the write queue and is tried again from a timer. A server wants a few ms (default 5);
   * a short-lived CLI may block longer.
   */
  readonly busyTimeoutMs?: number;
  /** Writes held while the database is locked (default 10000); past it a write fails with STORE_BUSY. */
  readonly maxQueuedWrites?: number;
  /** How long close() waits for queued writes to get the lock before failing them (default 5000 ms). */
  readonly closeDeadlineMs?: number;
  /** The data key (`<dataDir>/secret.key`) that seals domain and callback keys; without it they are stored plaintext. */
  readonly dataKey?: Buffer;
  /** The node id publish records are written with (cluster.nodeId); default 'local'. */
  readonly nodeId?: string;
}

/** The busy timeout of the server's connection when none is configured (store.busyTimeoutMs). */
export const defaultBusyTimeoutMs = 5;
/** How long opening (migrations, sealing old rows) may wait for the lock: once, before anything is served. */
const openBusyTimeoutMs = 10_000;

/** The database file openlive uses inside its data directory. */
export function sqliteFileIn(dataDir: string): string {
  return join(dataDir, 'openlive.db');
}

/** Opens, configures and migrates the database; throws what SQLite or a migration threw. */
export function openDatabase(options: SqliteStoreOptions, keys: SqliteKeys): DatabaseSync {
  const onDisk = options.file !== ':memory:';
  if (onDisk) prepareFile(options.file);
  const db = new DatabaseSync(options.file, { timeout: openBusyTimeoutMs });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    // Deleted and overwritten content is zeroed, so a key sealed in place leaves no plaintext in free pages.
    db.exec('PRAGMA secure_delete = ON');
    // A WAL that grew past this (a large prune) is cut back at the next checkpoint: the disk it takes stays bounded.
    db.exec('PRAGMA journal_size_limit = 8388608');
    migrate(db);
    // The old pages stay in the -wal file until a checkpoint: truncate it once the plaintext keys are sealed.
    if (keys.sealPlaintextRows(db) > 0 && onDisk) db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? defaultBusyTimeoutMs))}`);
    if (onDisk) restrictModes(options.file);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Creates the data folder (0700) and an empty database file (0600) so SQLite's -wal and -shm inherit 0600. */
function prepareFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** Tightens a database written by an older openlive (0644) and its -wal/-shm to 0600. */
function restrictModes(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(f) && (statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
  }
}

/** A database failure as STORE_FAILED (stable codes pass through). */
export function storeError(err: unknown, context: string): LiveError {
  if (err instanceof LiveError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new LiveError('STORE_FAILED', `${context}: ${message}`, { cause: err });
}
