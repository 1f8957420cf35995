import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../config/config-schema.ts';
import { createStore, isPostgresUrl, nodeIdOf } from './create-store.ts';
import { PostgresStore } from './postgres-store.ts';
import { SqliteStore } from './sqlite-store.ts';
import { isUnavailable } from './postgres-db.ts';
import { LiveError } from '../errors.ts';

test('store.url selects the adapter: empty is SQLite in dataDir, postgres:// is PostgreSQL', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'openlive-factory-'));
  try {
    const sqlite = createStore(configSchema.parse({ dataDir }));
    assert.ok(sqlite instanceof SqliteStore);
    await sqlite.close();
    // Port 1 on loopback: nothing listens, so opening fails; the factory itself does not wait for it.
    const pgStore = createStore(
      configSchema.parse({ dataDir, store: { url: 'postgres://u@127.0.0.1:1/db', poolSize: 2 } }),
    );
    assert.ok(pgStore instanceof PostgresStore);
    assert.equal(pgStore.nodeId, 'local');
    await assert.rejects(pgStore.ready!(), { code: 'STORE_FAILED' });
    await pgStore.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('store.url accepts only empty or postgres:// URLs', () => {
  assert.ok(
    isPostgresUrl('postgresql://h/db') &&
      isPostgresUrl('postgres://h/db') &&
      !isPostgresUrl('mysql://h/db') &&
      !isPostgresUrl(''),
  );
  assert.throws(() => configSchema.parse({ store: { url: 'mysql://h/db' } }));
  assert.equal(nodeIdOf(configSchema.parse({})), 'local');
});

test('only unreachable-server errors are retried, never a refused statement or our own errors', () => {
  const withCode = (code: string, severity?: string) =>
    Object.assign(new Error('x'), { code, ...(severity ? { severity } : {}) });
  assert.equal(isUnavailable(withCode('ECONNREFUSED')), true);
  assert.equal(isUnavailable(withCode('57P01', 'FATAL')), true, 'admin shutdown');
  assert.equal(isUnavailable(withCode('08006', 'FATAL')), true, 'connection failure');
  assert.equal(isUnavailable(new Error('Connection terminated unexpectedly')), true, "pg's code-less connection error");
  assert.equal(isUnavailable(withCode('23505', 'ERROR')), false, 'unique violation');
  assert.equal(isUnavailable(withCode('42P01', 'ERROR')), false, 'undefined table');
  assert.equal(isUnavailable(new LiveError('DOMAIN_EXISTS', 'x')), false);
  assert.equal(isUnavailable(new TypeError('bug')), false);
});
