/**
 * Records that cannot fill the disk, a store that never stalls the loop, data at rest and the CLI on the
 * wrong folder, each against a real server process (docs/security.md "Records and the store").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { ScriptedRtmp } from '../support/scripted-rtmp.ts';
import { waitFor } from '../support/wait.ts';
import { withoutNodeLabel } from '../support/metrics.ts';
import type { RejectedAttempt } from '../../src/store/store.ts';

const bin = new URL('../../bin/openlive', import.meta.url).pathname;
const run = promisify(execFile);

/** `bin/openlive ...` as an operator runs it, in `cwd`, without OPENLIVE_* variables of the test's own. */
async function openlive(cwd: string, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OPENLIVE_')));
  try {
    const { stdout, stderr } = await run(bin, args, { cwd, env, timeout: 30_000 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

/** One publish the server refuses: connect, createStream, publish `name`, then the server closes. */
async function refusedPublish(server: ServerProcess, name: string): Promise<void> {
  const c = await ScriptedRtmp.open(`rtmp://127.0.0.1:${server.rtmpPort}/live`, 10_000).catch(() => undefined);
  if (!c) return;
  try {
    const id = await c.createStream(10_000);
    c.publish(id, name);
    if (!(await c.closedWithin(10_000))) throw new Error('the server did not close a refused publisher');
  } catch {
    // A connection closed by a protocol limit before the publish is answered is a refusal too.
  } finally {
    c.socket.destroy();
  }
}

/** Runs `count` refused publishes, `parallel` at a time. */
async function refuseMany(
  server: ServerProcess,
  count: number,
  parallel: number,
  name: (i: number) => string,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await refusedPublish(server, name(next++));
    }),
  );
}

/** The rejected attempts as `openlive records --rejected --json` lists them over the server's data folder. */
async function listRejected(server: ServerProcess): Promise<RejectedAttempt[]> {
  const r = await openlive(
    tmpdir(),
    'records',
    '--rejected',
    '--json',
    '--limit',
    '1000',
    '--data-dir',
    server.dataDir,
  );
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { attempts: RejectedAttempt[] }).attempts;
}

/** The size of openlive.db after moving what the WAL holds into it (the WAL itself is bounded by SQLite's auto-checkpoint). */
function databaseBytes(dataDir: string): number {
  const file = join(dataDir, 'openlive.db');
  const db = new DatabaseSync(file, { timeout: 5000 });
  db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  db.close();
  return statSync(file).size;
}

async function metric(server: ServerProcess, pattern: RegExp): Promise<number> {
  const text = withoutNodeLabel(await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text());
  return Number(pattern.exec(text)?.[1] ?? 0);
}

async function healthzMs(server: ServerProcess): Promise<number> {
  const start = performance.now();
  const res = await fetch(`http://127.0.0.1:${server.httpPort}/healthz`, { signal: AbortSignal.timeout(10_000) });
  await res.arrayBuffer();
  assert.equal(res.status, 200);
  return performance.now() - start;
}

test(
  '1000 refused publishes from one address cost a bounded number of rows and bytes; the listing shows the count',
  { timeout: 180_000 },
  async () => {
    const server = await startServerProcess();
    try {
      const before = databaseBytes(server.dataDir);
      // Names over 256 characters reach the access check and are refused with 18/309; 60 KB names are cut off
      // earlier by the RTMP name limit (18/308 RTMP_NAME_TOO_LONG) and recorded all the same.
      await refuseMany(server, 1000, 8, (i) => `${'n'.repeat(1000)}${i}`);
      await refuseMany(server, 1000, 8, (i) => `${'x'.repeat(60_000)}${i}`);
      assert.ok((await healthzMs(server)) < 1000);
      assert.equal(await metric(server, /openlive_connection_errors_total\{code="RTMP_NAME_TOO_LONG"\} (\d+)/), 1000);
      await waitFor(
        'the refusals to be counted',
        async () => {
          const total = (await listRejected(server)).reduce((n, a) => n + a.count, 0);
          return total >= 2000;
        },
        30_000,
      );
      const attempts = await listRejected(server);
      const total = attempts.reduce((n, a) => n + a.count, 0);
      assert.equal(total, 2000, 'every refusal is counted');
      assert.ok(attempts.length <= 25, `${attempts.length} rows for 2000 refusals of one address`);
      const aggregate = attempts.find((a) => a.count > 1);
      assert.ok(aggregate && aggregate.count >= 900, 'one row counts the refusals past the threshold');
      assert.ok(
        attempts.every((a) => a.stream.length <= 256 && a.reason.length <= 512),
        'stored fields are truncated',
      );
      const grown = databaseBytes(server.dataDir) - before;
      assert.ok(grown < 512 * 1024, `the database grew ${grown} bytes (60 MB of names were sent)`);
      assert.ok(
        statSync(join(server.dataDir, 'openlive.db-wal')).size <= 9 * 1024 * 1024,
        'the WAL stays within journal_size_limit',
      );
      const listed = await openlive(tmpdir(), 'records', '--rejected', '--data-dir', server.dataDir);
      assert.match(listed.stdout, new RegExp(`^\\S+ +${aggregate.count} until `, 'm'), 'the table shows the count');
      assert.ok((await metric(server, /^openlive_rejected_attempts_aggregated_total (\d+)/m)) >= 900);
    } finally {
      await server.stop();
    }
  },
);

test(
  'a process holding the write lock for 5 s stalls neither /healthz nor the records: each is written once it lets go',
  { timeout: 120_000 },
  async () => {
    const server = await startServerProcess();
    try {
      const file = join(server.dataDir, 'openlive.db');
      const holder = spawn(
        process.execPath,
        [
          '-e',
          `const { DatabaseSync } = require('node:sqlite'); const db = new DatabaseSync(${JSON.stringify(file)});
        db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n');
        setTimeout(() => { db.exec('COMMIT'); db.close(); process.stdout.write('released\\n'); }, 5000);`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let released = false;
      holder.stdout.setEncoding('utf8');
      await new Promise<void>((resolve) =>
        holder.stdout.on('data', (d: string) => {
          if (d.includes('locked')) resolve();
          if (d.includes('released')) released = true;
        }),
      );
      const lockedAt = performance.now();
      // An accepted publish: its record is written (and Publish.Start sent) once the lock is free.
      const publisher = await ScriptedRtmp.open(server.pushUrl.replace(/\/demo\?.*$/, ''));
      const streamId = await publisher.createStream();
      publisher.publish(streamId, server.pushUrl.slice(server.pushUrl.indexOf('/demo?') + 1));
      const started = publisher.status(streamId, 'NetStream.Publish.Start', { timeoutMs: 30_000 });
      const refusals = refuseMany(server, 30, 3, (i) => `bad!name${i}`);
      let slowest = 0;
      while (!released) {
        slowest = Math.max(slowest, await healthzMs(server));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await refusals;
      assert.ok(performance.now() - lockedAt >= 4900, 'the lock was held the whole time');
      assert.ok(slowest < 200, `/healthz took ${slowest.toFixed(0)} ms while the lock was held`);
      assert.ok(
        (await metric(server, /^openlive_store_busy_retries_total (\d+)/m)) > 0,
        'the server did meet the lock',
      );
      await started;
      await waitFor(
        'every refusal to be recorded',
        async () => (await listRejected(server)).reduce((n, a) => n + a.count, 0) === 30,
        30_000,
      );
      const records = await openlive(tmpdir(), 'records', '--json', '--data-dir', server.dataDir);
      const sessions = (JSON.parse(records.stdout) as { records: { stream: string; endedAt: number | null }[] })
        .records;
      assert.deepEqual(
        sessions.map((r) => [r.stream, r.endedAt]),
        [['demo', null]],
        'the publish record was written',
      );
      await publisher.end();
    } finally {
      await server.stop();
    }
  },
);

test('the data folder is created 0700 and the database, its -wal/-shm and the data key 0600', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'openlive-modes-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const server = await startServerProcess([], { dataDir: join(parent, 'data') });
  try {
    assert.equal(statSync(server.dataDir).mode & 0o777, 0o700);
    for (const name of ['openlive.db', 'openlive.db-wal', 'openlive.db-shm', 'secret.key']) {
      assert.equal(statSync(join(server.dataDir, name)).mode & 0o777, 0o600, name);
    }
  } finally {
    await server.stop();
  }
});

test('bin/openlive url in a folder without openlive data exits 1 with DATA_DIR_NOT_FOUND and creates nothing', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'openlive-newuser-'));
  t.after(() => rmSync(empty, { recursive: true, force: true }));
  const r = await openlive(empty, 'url');
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '', 'no URL the running server would refuse');
  assert.match(r.stderr, /^openlive: DATA_DIR_NOT_FOUND: no openlive data here/);
  assert.match(r.stderr, /--data-dir/);
  assert.match(r.stderr, /OPENLIVE_DATA_DIR=/);
  assert.deepEqual(readdirSync(empty), []);
});
