import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryStore } from '../store/memory-store.ts';
import type { NewRejectedAttempt } from '../store/store.ts';
import { RejectionRecorder, storedFieldLimits, truncateField } from './rejection-recorder.ts';

const refusal = (over: Partial<NewRejectedAttempt> = {}): NewRejectedAttempt => ({
  at: 1000,
  action: 'publish',
  clientIp: '203.0.113.9',
  host: 'push.example.com',
  domain: 'push.example.com',
  app: 'live',
  stream: 'demo',
  breakCode: '18/503',
  code: 'SIGNATURE_INVALID',
  reason: '18/503: wrong signature',
  query: 'txSecret=***',
  ...over,
});

function setup(perAddress = 3, windowMs = 60_000) {
  const store = new MemoryStore();
  const clock = { now: 1000 };
  const errors: unknown[] = [];
  const recorder = new RejectionRecorder({
    store,
    now: () => clock.now,
    perAddress,
    windowMs,
    onStoreError: (e) => errors.push(e),
  });
  return { store, clock, recorder, errors };
}

test('every stored field is cut to its limit; a 60 KB stream name keeps its first 256 characters', async () => {
  const { store, recorder } = setup();
  const huge = 'x'.repeat(60_000);
  await recorder.record(
    refusal({ stream: huge, app: huge, host: huge, domain: huge, query: huge, reason: huge, clientIp: huge }),
  );
  const [row] = (await store.listRejectedAttempts()).items;
  for (const [field, max] of Object.entries(storedFieldLimits)) {
    const value = String(row?.[field as keyof typeof row]);
    assert.equal(value.length, max, field);
    assert.ok(value.endsWith('…'), `${field} shows it was cut`);
  }
  assert.equal(row?.stream.slice(0, 10), 'xxxxxxxxxx');
});

test('truncateField never splits a surrogate pair and leaves short values alone', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.integer({ min: 2, max: 40 }), (s, max) => {
      const cut = truncateField(s, max);
      assert.ok(cut.length <= max);
      if (s.length <= max) assert.equal(cut, s);
      assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(cut), 'no lone high surrogate');
    }),
  );
});

test('past the threshold the refusals of one address share one row per code, whose count grows', async () => {
  const { store, recorder, clock } = setup(3);
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 1000; i++) {
    clock.now = 1000 + i;
    writes.push(recorder.record(refusal({ at: clock.now, stream: `s${i}` })));
  }
  writes.push(recorder.record(refusal({ at: clock.now, breakCode: '18/501', code: 'TXTIME_EXPIRED' })));
  writes.push(recorder.record(refusal({ at: clock.now, clientIp: '198.51.100.1' })));
  await Promise.all(writes);
  await new Promise((resolve) => setImmediate(resolve));
  const page = await store.listRejectedAttempts({ ascending: true });
  assert.equal(page.total, 6, '3 rows of their own, one aggregate per code, and the other address');
  assert.deepEqual(
    page.items.map((a) => [a.clientIp, a.code, a.count]),
    [
      ['203.0.113.9', 'SIGNATURE_INVALID', 1],
      ['203.0.113.9', 'SIGNATURE_INVALID', 1],
      ['203.0.113.9', 'SIGNATURE_INVALID', 1],
      ['203.0.113.9', 'SIGNATURE_INVALID', 997],
      ['203.0.113.9', 'TXTIME_EXPIRED', 1],
      ['198.51.100.1', 'SIGNATURE_INVALID', 1],
    ],
  );
  const aggregate = page.items[3]!;
  assert.deepEqual([aggregate.stream, aggregate.at, aggregate.lastAt], ['s3', 1003, 1999]);
  const total = (await store.summarizeRejectedAttempts()).reduce((n, g) => n + g.count, 0);
  assert.equal(total, 1002, 'the summary counts every refusal');
  assert.deepEqual(recorder.stats, { rows: 4, aggregated: 998 });
});

test('a new window stores rows of their own again', async () => {
  const { store, recorder, clock } = setup(2, 60_000);
  for (let i = 0; i < 5; i++) await recorder.record(refusal({ at: clock.now }));
  clock.now += 60_000;
  await recorder.record(refusal({ at: clock.now }));
  const counts = (await store.listRejectedAttempts({ ascending: true })).items.map((a) => a.count);
  assert.deepEqual(counts, [1, 1, 3, 1]);
});

test('a store failure is reported, never thrown, and a failed aggregate row is started again', async () => {
  const { store, recorder, errors } = setup(0);
  const failing = Object.assign(Object.create(store) as MemoryStore, {
    addRejectedAttempt: () => Promise.reject(new Error('disk full')),
  });
  const broken = new RejectionRecorder({
    store: failing,
    now: () => 1,
    perAddress: 0,
    windowMs: 1000,
    onStoreError: (e) => errors.push(e),
  });
  await broken.record(refusal());
  assert.equal(errors.length, 1);
  await recorder.record(refusal());
  await recorder.record(refusal());
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    (await store.listRejectedAttempts()).items.map((a) => a.count),
    [2],
  );
});

test('the addresses tracked are bounded; the oldest is forgotten first', async () => {
  const store = new MemoryStore();
  const recorder = new RejectionRecorder({ store, now: () => 1, perAddress: 1, windowMs: 60_000, maxAddresses: 2 });
  for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1']) await recorder.record(refusal({ clientIp: ip }));
  // 10.0.0.1 was forgotten when 10.0.0.3 came, so its second refusal gets a row of its own again.
  assert.deepEqual(
    (await store.listRejectedAttempts({ ascending: true })).items.map((a) => a.count),
    [1, 1, 1, 1],
  );
});
