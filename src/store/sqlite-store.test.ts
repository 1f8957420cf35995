import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { storeConformance, sampleDomain } from '../../test/store-conformance.ts';
import { SqliteStore, sqliteFileIn } from './sqlite-store.ts';
import { latestVersion, migrate, migrations, schemaVersion } from './sqlite-migrations.ts';
import type { StatsSample } from './stats-store.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'openlive-store-'));
  dirs.push(dir);
  return dir;
}
process.on('exit', () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

storeConformance('sqlite (memory)', () => new SqliteStore({ file: ':memory:' }));
storeConformance(
  'sqlite (file, synchronous FULL)',
  () => new SqliteStore({ file: sqliteFileIn(tempDir()), synchronous: 'FULL' }),
);

test('an empty file is migrated to the latest schema in WAL mode, under a created data directory', async () => {
  const file = sqliteFileIn(join(tempDir(), 'nested', 'data'));
  const store = new SqliteStore({ file });
  await store.close();
  const db = new DatabaseSync(file);
  assert.equal(schemaVersion(db), latestVersion);
  assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
  ).map((r) => r.name);
  for (const t of [
    'domains',
    'forbidden_streams',
    'publish_records',
    'rejected_attempts',
    'settings',
    'schema_version',
  ]) {
    assert.ok(tables.includes(t), `table ${t}`);
  }
  db.close();
});

test('a reopened file keeps its data and is not migrated twice', async () => {
  const file = sqliteFileIn(tempDir());
  const first = new SqliteStore({ file });
  await first.addDomain(sampleDomain('push.example.com'));
  await first.setSetting('k', 'v');
  await first.close();
  const second = new SqliteStore({ file });
  assert.deepEqual(await second.getDomain('push.example.com'), sampleDomain('push.example.com'));
  assert.equal(await second.getSetting('k'), 'v');
  await second.close();
  const db = new DatabaseSync(file);
  assert.equal((db.prepare('SELECT count(*) AS n FROM schema_version').get() as { n: number }).n, migrations.length);
  db.close();
});

test('migrate runs only the missing steps, in order', () => {
  const db = new DatabaseSync(':memory:');
  const v1 = [{ version: 1, sql: 'CREATE TABLE a (x INTEGER)' }];
  assert.equal(migrate(db, v1), 1);
  db.prepare('INSERT INTO a VALUES (1)').run();
  const v2 = [...v1, { version: 2, sql: 'ALTER TABLE a ADD COLUMN y TEXT' }];
  assert.equal(migrate(db, v2), 2);
  assert.deepEqual({ ...(db.prepare('SELECT * FROM a').get() as object) }, { x: 1, y: null });
  assert.equal(schemaVersion(db), 2);
  db.close();
});

const t0 = Date.UTC(2026, 0, 1);
/** One minute row of live/a with nothing in it but its time. */
function sampleRow(at: number): StatsSample {
  return {
    at,
    period: 60_000,
    domain: 'd',
    app: 'live',
    stream: 'a',
    bytesIn: 0,
    bytesOut: 0,
    rtmpBytesOut: 0,
    flvBytesOut: 0,
    hlsBytesOut: 0,
    webrtcBytesOut: 0,
    rtmpViewers: 0,
    flvViewers: 0,
    hlsViewers: 0,
    webrtcViewers: 0,
    requests: 0,
    pushBitrate: 0,
    pushFps: 0,
    width: 0,
    height: 0,
    droppedFrames: 0,
  };
}

test('migration 11 adds the WebRTC stats columns: older rows read 0, new rows keep their WHEP players', async () => {
  const file = sqliteFileIn(tempDir());
  const db = new DatabaseSync(file);
  migrate(
    db,
    migrations.filter((m) => m.version < 11),
  );
  // A row as openlive wrote it before the migration: 3 HTTP-FLV players (WHEP ones among them, uncounted).
  db.prepare(
    `INSERT INTO stats_samples (node_id, period, at, domain, app, stream, bytes_in, bytes_out, rtmp_bytes_out,
       flv_bytes_out, hls_bytes_out, rtmp_viewers, flv_viewers, hls_viewers, requests, push_bitrate, push_fps,
       width, height, dropped_frames) VALUES ('n1', 60000, ?, 'd', 'live', 'a', 1, 2, 0, 2, 0, 0, 3, 0, 3, 0, 0, 0, 0, 0)`,
  ).run(t0);
  db.close();
  const store = new SqliteStore({ file, nodeId: 'n1' });
  try {
    await store.history.addSamples([{ ...sampleRow(t0 + 60_000), webrtcViewers: 2, webrtcBytesOut: 700 }]);
    const rows = await store.history.querySamples({ period: 60_000, since: t0, before: t0 + 120_000 });
    assert.deepEqual(
      rows.map((r) => [r.flvViewers, r.webrtcViewers, r.webrtcBytesOut]),
      [
        [3, 0, 0],
        [0, 2, 700],
      ],
    );
  } finally {
    await store.close();
  }
});

test('a failing migration leaves the database at the previous version', () => {
  const db = new DatabaseSync(':memory:');
  migrate(db, [{ version: 1, sql: 'CREATE TABLE a (x INTEGER)' }]);
  const broken = [
    { version: 1, sql: 'CREATE TABLE a (x INTEGER)' },
    { version: 2, sql: 'CREATE TABLE b (x INTEGER); THIS IS NOT SQL' },
  ];
  assert.throws(() => migrate(db, broken));
  assert.equal(schemaVersion(db), 1);
  assert.equal(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get(), undefined);
  db.close();
});

test('a database from a newer openlive is refused with STORE_SCHEMA_NEWER', async () => {
  const file = sqliteFileIn(tempDir());
  await new SqliteStore({ file }).close();
  const db = new DatabaseSync(file);
  db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(latestVersion + 1);
  db.close();
  assert.throws(() => new SqliteStore({ file }), { code: 'STORE_SCHEMA_NEWER' });
});

test('records written before kill -9 are there after reopening', async () => {
  const file = sqliteFileIn(tempDir());
  const storeUrl = new URL('./sqlite-store.ts', import.meta.url).href;
  // The child writes, reports each committed write, then hangs until it is killed without any cleanup.
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { SqliteStore } = await import(${JSON.stringify(storeUrl)});
       const store = new SqliteStore({ file: ${JSON.stringify(file)} });
       for (let i = 0; i < 20; i++) {
         const id = await store.addPublishRecord({ domain: 'd.example.com', app: 'live', stream: 's' + i, clientIp: '1.2.3.4', startedAt: i });
         if (i % 2 === 0) await store.endPublishRecord(id, { endedAt: i + 10, breakCode: '1/0', reason: 'stopped', bytesIn: i });
       }
       await store.addRejectedAttempt({ at: 1, action: 'publish', clientIp: '1.2.3.4', host: 'h', domain: '', app: 'live',
         stream: 's', breakCode: '18/503', code: 'SIGNATURE_INVALID', reason: 'r', query: 'txSecret=***' });
       process.stdout.write('written\\n');
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('written')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  const store = new SqliteStore({ file });
  const records = await store.listPublishRecords({ limit: 100 });
  assert.equal(records.total, 20);
  assert.equal((await store.listPublishRecords({ open: false })).total, 10);
  assert.equal((await store.getPublishRecord(1))?.breakCode, '1/0');
  assert.equal((await store.listRejectedAttempts()).total, 1);
  await store.close();
});

test("publish records carry the node id; a node id given to endOpenPublishRecords ends only that node's", async () => {
  const file = sqliteFileIn(tempDir());
  const a = new SqliteStore({ file, nodeId: 'a' });
  const record = { domain: 'd.example.com', app: 'live', stream: 's', clientIp: '1.2.3.4', startedAt: 1 };
  const ra = await a.addPublishRecord(record);
  await a.close();
  const b = new SqliteStore({ file, nodeId: 'b' });
  const rb = await b.addPublishRecord(record);
  const end = { endedAt: 5, breakCode: '5', reason: 'r', bytesIn: 0 };
  assert.equal(await b.endOpenPublishRecords(end, 'b'), 1);
  assert.equal((await b.getPublishRecord(ra))?.endedAt, null);
  assert.equal((await b.getPublishRecord(rb))?.endedAt, 5);
  assert.equal(
    await b.endOpenPublishRecords(end),
    1,
    'without a node id every open session ends (one node owns the file)',
  );
  await b.close();
  const db = new DatabaseSync(file);
  assert.deepEqual(
    (db.prepare('SELECT node_id FROM publish_records ORDER BY id').all() as { node_id: string }[]).map(
      (r) => r.node_id,
    ),
    ['a', 'b'],
  );
  db.close();
});
