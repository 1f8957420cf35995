import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from './memory-store.ts';
import { SqliteStore } from './sqlite-store.ts';
import { snapshotConformance } from '../../test/snapshot-store-conformance.ts';

test('the memory snapshot tables', async () => {
  await snapshotConformance(new MemoryStore().snapshots);
});

test('the SQLite snapshot tables (migration 8)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'snap-store-'));
  const store = new SqliteStore({ file: join(dir, 'db.sqlite') });
  try {
    await snapshotConformance(store.snapshots);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
