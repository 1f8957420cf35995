/** The snapshot tables on a real PostgreSQL (migration 3): the same conformance as the memory and SQLite adapters. */
import { after, before, test } from 'node:test';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { snapshotConformance } from '../snapshot-store-conformance.ts';
import { postgresBin, startPostgres, type PostgresServer } from '../support/postgres-server.ts';

const skip = postgresBin() === undefined ? 'PostgreSQL is not installed (scripts/test.sh installs it)' : false;
let server: PostgresServer;
before(async () => {
  if (!skip) server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

test('the PostgreSQL snapshot tables', { skip }, async () => {
  const store = new PostgresStore({ url: await server.createDatabase(), poolSize: 2 });
  try {
    await store.ready();
    await snapshotConformance(store.snapshots);
  } finally {
    await store.close();
  }
});
