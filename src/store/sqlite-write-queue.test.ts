import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SqliteWriteQueue, isBusy } from './sqlite-write-queue.ts';
import { SqliteStore, sqliteFileIn } from './sqlite-store.ts';

const busy = (): Error => Object.assign(new Error('database is locked'), { code: 'ERR_SQLITE_ERROR', errcode: 5 });

/** A queue on a hand-driven clock: `tick()` runs the due timers. */
function fakeQueue(maxQueued = 3): { queue: SqliteWriteQueue; tick: () => void; timers: number } {
  const due: (() => void)[] = [];
  const queue = new SqliteWriteQueue({
    maxQueued,
    retryMs: 10,
    maxRetryMs: 40,
    setTimer: (run) => (due.push(run), run),
    clearTimer: (t) => {
      const i = due.indexOf(t as () => void);
      if (i >= 0) due.splice(i, 1);
    },
  });
  return {
    queue,
    tick: () => due.splice(0).forEach((run) => run()),
    get timers() {
      return due.length;
    },
  };
}

test('isBusy knows SQLITE_BUSY, its extended codes and SQLITE_LOCKED, nothing else', () => {
  assert.equal(isBusy(busy()), true);
  assert.equal(isBusy({ errcode: 517 }), true, 'SQLITE_BUSY_SNAPSHOT');
  assert.equal(isBusy({ errcode: 6 }), true);
  assert.equal(isBusy({ errcode: 19 }), false, 'a constraint');
  assert.equal(isBusy(new Error('x')), false);
});

test('a write that finds the lock taken waits, later writes queue behind it, and all land in order', async () => {
  const { queue, tick } = fakeQueue();
  let locked = true;
  const done: number[] = [];
  const step = (n: number) => () => {
    if (locked) throw busy();
    done.push(n);
    return n;
  };
  const results = [queue.write(step(1)), queue.write(() => (done.push(2), 2)), queue.write(step(3))];
  assert.deepEqual(done, [], 'the second write did not jump the queue');
  assert.equal(queue.stats.queued, 3);
  await assert.rejects(
    queue.write(() => 4),
    { code: 'STORE_BUSY' },
  );
  assert.equal(queue.stats.refused, 1);
  tick();
  assert.deepEqual(done, []);
  locked = false;
  tick();
  assert.deepEqual(await Promise.all(results), [1, 2, 3]);
  assert.deepEqual(done, [1, 2, 3]);
  assert.equal(queue.stats.queued, 0);
  assert.ok(queue.stats.busyRetries >= 2);
  assert.equal(await queue.write(() => 5), 5, 'an empty queue writes at once');
});

test('a failing queued write rejects alone; a busy read retries on its own without waiting for writes', async () => {
  const { queue, tick } = fakeQueue();
  let locked = true;
  const first = queue.write(() => {
    if (locked) throw busy();
    throw new Error('constraint');
  });
  const second = queue.write(() => 'ok');
  assert.equal(await queue.read(() => 'read now'), 'read now');
  let readBusy = true;
  const read = queue.read(() => {
    if (readBusy) throw busy();
    return 'read later';
  });
  readBusy = false;
  locked = false;
  tick();
  await assert.rejects(first, /constraint/);
  assert.equal(await second, 'ok');
  assert.equal(await read, 'read later');
});

test('close waits for queued writes up to its deadline, then fails them with STORE_BUSY', async () => {
  const { queue, tick } = fakeQueue();
  const stuck = queue.write(() => {
    throw busy();
  });
  const closing = queue.close(1000);
  tick(); // the retry and the deadline both fire; the lock is still taken
  await closing;
  await assert.rejects(stuck, { code: 'STORE_BUSY' });
  await assert.rejects(
    queue.write(() => 1),
    { code: 'STORE_FAILED' },
  );
});

test('while another process holds the write lock, writes never block the event loop and all land once it lets go', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'openlive-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = sqliteFileIn(dir);
  const store = new SqliteStore({ file });
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const { DatabaseSync } = require('node:sqlite'); const db = new DatabaseSync(${JSON.stringify(file)});
      db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n'); setTimeout(() => { db.exec('COMMIT'); db.close(); }, 1500);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve) => child.stdout.once('data', resolve));
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  let longest = 0;
  const timed = <T>(call: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const p = call();
    longest = Math.max(longest, performance.now() - start);
    return p;
  };
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < 50; i++) {
    writes.push(
      timed(() =>
        store.addRejectedAttempt({
          at: i,
          action: 'publish',
          clientIp: '10.0.0.1',
          host: 'h',
          domain: '',
          app: 'live',
          stream: `s${i}`,
          breakCode: '18/503',
          code: 'SIGNATURE_INVALID',
          reason: 'r',
          query: '',
        }),
      ),
    );
  }
  const id = await timed(() =>
    store.addPublishRecord({ domain: 'd', app: 'live', stream: 'x', clientIp: '1', startedAt: 1 }),
  );
  assert.ok(longest < 100, `one call blocked the loop ${longest.toFixed(1)} ms`);
  assert.equal((await store.getPublishRecord(id))?.stream, 'x');
  await Promise.all(writes);
  lag.disable();
  // The lock was held 1.5 s; with the old 5 s busy timeout the first write alone froze the loop that long.
  assert.ok(lag.max / 1e6 < 250, `the event loop stalled ${(lag.max / 1e6).toFixed(0)} ms`);
  assert.equal((await store.listRejectedAttempts()).total, 50);
  assert.ok(store.stats().busyRetries > 0, 'the lock was really taken');
  await store.close();
});
