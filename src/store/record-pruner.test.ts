import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from './memory-store.ts';
import { SqliteStore } from './sqlite-store.ts';
import { RecordPruner } from './record-pruner.ts';
import type { Store } from './store.ts';

const day = 24 * 3600 * 1000;
const t0 = Date.UTC(2026, 10, 25);

async function fill(store: Store): Promise<void> {
  const base = { domain: 'd.example.com', app: 'live', clientIp: '10.0.0.1' };
  for (let i = 0; i < 30; i++) {
    const at = t0 - (i < 10 ? 40 : 1) * day + i;
    const id = await store.addPublishRecord({ ...base, stream: `s${i}`, startedAt: at });
    if (i !== 0) await store.endPublishRecord(id, { endedAt: at + 1, breakCode: '1/0', reason: 'stopped', bytesIn: 0 });
    await store.addRejectedAttempt({
      ...base,
      at,
      action: 'publish',
      host: 'h',
      stream: `a${i}`,
      breakCode: '18/503',
      code: 'SIGNATURE_INVALID',
      reason: 'r',
      query: '',
    });
    await store.callbacks.recordCallbackAttempt(
      {
        deliveryId: 1,
        eventType: 1,
        eventTime: at,
        stream: `c${i}`,
        url: 'http://h/x',
        request: '{}',
        response: '',
        status: 200,
        resultCode: 0,
        at,
        durationMs: 1,
      },
      'done',
    );
  }
}

for (const [name, make] of [
  ['memory', () => new MemoryStore()],
  ['sqlite', () => new SqliteStore({ file: ':memory:' })],
] as const) {
  test(`${name}: the pruner removes records past the retention and past maxRows, in batches, on one timer`, async () => {
    const store: Store = make();
    await fill(store);
    const timers: { run: () => void; ms: number }[] = [];
    let turns = 0;
    const pruner = new RecordPruner({
      store,
      now: () => t0,
      retentionDays: 30,
      maxRows: 15,
      intervalMs: 600_000,
      batch: 4,
      setTimer: (run, ms) => (timers.push({ run, ms }), run),
      clearTimer: () => {},
      yieldTurn: async () => void turns++,
    });
    pruner.start();
    pruner.start();
    assert.deepEqual(
      timers.map((t) => t.ms),
      [0],
      'one timer, first run at once',
    );
    timers.shift()!.run();
    await pruner.pruneNow();
    // 10 are 40 days old (the open s0 among them stays); of the 20 recent ones the 15 newest stay.
    const records = await store.listPublishRecords({ limit: 100 });
    assert.deepEqual(
      records.items.map((r) => r.stream).sort(),
      ['s0', ...Array.from({ length: 15 }, (_, i) => `s${i + 15}`)].sort(),
    );
    assert.equal((await store.listRejectedAttempts({ limit: 100 })).total, 15);
    assert.equal((await store.callbacks.listCallbackAttempts({ limit: 100 })).total, 15);
    assert.equal(pruner.stats.records, 14 + 15);
    assert.equal(pruner.stats.callbackAttempts, 15);
    assert.ok(turns >= 5, 'batches of 4 with a turn between them');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      timers.map((t) => t.ms),
      [600_000],
      'the next run is an interval later',
    );
    await pruner.close();
    await pruner.close();
    await store.close();
  });
}

test('a pruning failure is reported and the next run still comes', async () => {
  const store = new MemoryStore();
  const errors: unknown[] = [];
  const timers: (() => void)[] = [];
  const broken = Object.assign(Object.create(store) as MemoryStore, {
    pruneRecords: () => Promise.reject(new Error('locked')),
  });
  const pruner = new RecordPruner({
    store: broken,
    now: () => t0,
    retentionDays: 1,
    maxRows: 1,
    intervalMs: 1000,
    onError: (e) => errors.push(e),
    setTimer: (run) => (timers.push(run), run),
    clearTimer: () => {},
  });
  pruner.start();
  timers.shift()!();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(errors.length, 1);
  assert.equal(timers.length, 1);
  await pruner.close();
});
