import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { MemoryStore } from '../../store/memory-store.ts';
import type { Store } from '../../store/store.ts';
import { CallbackDeliverer, resultCodes, type CallbackTimers, type OutgoingCallback } from './callback-deliverer.ts';
import type { CallbackTransport } from './http-callback-transport.ts';

const t0 = Date.UTC(2026, 0, 1);
const minute = 60_000;
const log = pino({ level: 'silent' });

/** Timers on a clock the test moves; firing a timer lets the promises it starts settle. */
class FakeClock implements CallbackTimers {
  now = t0;
  private timers: Array<{ at: number; fn: () => void }> = [];
  set(fn: () => void, ms: number): unknown {
    const timer = { at: this.now + ms, fn };
    this.timers.push(timer);
    return timer;
  }
  clear(handle: unknown): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.now = due.at;
      this.clear(due);
      due.fn();
    }
    this.now = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

type Answer = number | 'hang' | Error;

/** A receiver whose answers the test scripts; it records each call with the clock's time. */
function fakeReceiver(clock: FakeClock, answer: (call: { url: string; body: string; n: number }) => Answer) {
  const calls: Array<{ url: string; body: string; at: number }> = [];
  const transport: CallbackTransport = (url, body, _timeoutMs, signal) => {
    calls.push({ url, body, at: clock.now });
    const a = answer({ url, body, n: calls.length });
    if (a instanceof Error) return Promise.reject(a);
    if (a === 'hang') {
      return new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
      );
    }
    return Promise.resolve({ status: a, body: a === 200 ? '{"code":0}' : 'oops' });
  };
  return { calls, transport };
}

function deliverer(
  store: Store,
  clock: FakeClock,
  transport: CallbackTransport,
  over: { maxPending?: number; concurrency?: number } = {},
) {
  return new CallbackDeliverer({
    store,
    log,
    now: () => clock.now,
    timers: clock,
    transport,
    retryIntervalMs: minute,
    maxRetries: 12,
    timeoutMs: 20_000,
    maxPending: over.maxPending ?? 100,
    ...(over.concurrency !== undefined && { concurrency: over.concurrency }),
  });
}

const cb = (sequence: string, eventType: number, over: Partial<OutgoingCallback> = {}): OutgoingCallback => ({
  eventType,
  eventTime: t0,
  stream: 'demo',
  sequence,
  url: `http://hooks.example.com/${eventType}`,
  body: JSON.stringify({ sequence, event_type: eventType }),
  ...over,
});

const attempts = async (store: Store) => (await store.callbacks.listCallbackAttempts({ limit: 1000 })).items.reverse();

test('a callback answered 200 is delivered once and recorded with its request and response', async () => {
  const store = new MemoryStore();
  const clock = new FakeClock();
  const rx = fakeReceiver(clock, () => 200);
  const d = deliverer(store, clock, rx.transport);
  await d.start();
  await d.enqueue(cb('1', 1));
  await clock.advance(0);
  assert.deepEqual(rx.calls, [{ url: 'http://hooks.example.com/1', body: '{"sequence":"1","event_type":1}', at: t0 }]);
  const [a] = await attempts(store);
  assert.deepEqual(
    [a?.resultCode, a?.status, a?.request, a?.response, a?.eventType, a?.stream],
    [0, 200, '{"sequence":"1","event_type":1}', '{"code":0}', 1, 'demo'],
  );
  assert.equal(d.size, 0);
  assert.deepEqual(await store.callbacks.listCallbackDeliveries(10), []);
  await d.close();
});

test('any answer but 200 is retried one interval later, not sooner, until a 200', async () => {
  const store = new MemoryStore();
  const clock = new FakeClock();
  const rx = fakeReceiver(clock, ({ n }) => (n === 1 ? 500 : n === 2 ? 204 : 200));
  const d = deliverer(store, clock, rx.transport);
  await d.start();
  await d.enqueue(cb('1', 1));
  await clock.advance(minute - 1);
  assert.equal(rx.calls.length, 1);
  await clock.advance(1);
  assert.equal(rx.calls.length, 2);
  await clock.advance(minute);
  assert.deepEqual(
    rx.calls.map((c) => c.at - t0),
    [0, minute, 2 * minute],
  );
  assert.deepEqual(
    (await attempts(store)).map((a) => a.resultCode),
    [500, 204, 0],
  );
  assert.equal(d.size, 0);
  await d.close();
});

test('a receiver that never answers 200 gets 1 + 12 attempts a minute apart, then the callback is given up', async () => {
  const store = new MemoryStore();
  const clock = new FakeClock();
  const rx = fakeReceiver(clock, () => 503);
  const d = deliverer(store, clock, rx.transport);
  await d.start();
  await d.enqueue(cb('1', 0));
  await clock.advance(30 * minute);
  assert.deepEqual(
    rx.calls.map((c) => (c.at - t0) / minute),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
  );
  assert.equal((await attempts(store)).length, 13);
  assert.equal(d.size, 0);
  assert.deepEqual(await store.callbacks.listCallbackDeliveries(10), []);
  await d.close();
});

test('no answer is recorded as -1 with the network error, a timeout as -2', async () => {
  const store = new MemoryStore();
  const clock = new FakeClock();
  const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
  const rx = fakeReceiver(clock, ({ n }) =>
    n === 1 ? refused : n === 2 ? new DOMException('timed out', 'TimeoutError') : 200,
  );
  const d = deliverer(store, clock, rx.transport);
  await d.start();
  await d.enqueue(cb('1', 1));
  await clock.advance(2 * minute);
  const [first, second, third] = await attempts(store);
  assert.deepEqual(
    [first?.resultCode, first?.status, first?.response],
    [resultCodes.noResponse, 0, 'fetch failed (ECONNREFUSED)'],
  );
  assert.deepEqual([second?.resultCode, second?.response], [resultCodes.timeout, 'no response before the timeout']);
  assert.equal(third?.resultCode, 0);
  await d.close();
});

test('callbacks of one push wait for the one before; other pushes are not held up', async () => {
  const store = new MemoryStore();
  const clock = new FakeClock();
  // The push event of sequence A fails twice; everything else is answered at once.
  let pushA = 0;
  const rx = fakeReceiver(clock, ({ body }) => (body.includes('"A","event_type":1') && ++pushA <= 2 ? 500 : 200));
  const d = deliverer(store, clock, rx.transport);
  await d.start();
  await d.enqueue(cb('A', 1));
  await d.enqueue(cb('A', 0));
  await d.enqueue(cb('B', 1));
  await d.enqueue(cb('B', 0));
  await clock.advance(0);
  const order = () =>
    rx.calls
      .map((c) => JSON.parse(c.body) as { sequence: string; event_type: number })
      .map((b) => `${b.sequence}${b.event_type}`);
  assert.deepEqual(order(), ['A1', 'B1', 'B0']);
  await clock.advance(minute);
  assert.deepEqual(order(), ['A1', 'B1', 'B0', 'A1']);
  await clock.advance(minute);
  assert.deepEqual(order(), ['A1', 'B1', 'B0', 'A1', 'A1', 'A0']);
  await d.close();
});

test('a restart loses nothing: the next deliverer on the same store resumes the schedule; aborted attempts do not count', async () => {
  const store = new MemoryStore();
  const clock = new FakeClock();
  let up = false;
  const rx = fakeReceiver(clock, ({ body }) => (up ? 200 : body.includes('"H"') ? 'hang' : 500));
  const first = deliverer(store, clock, rx.transport);
  await first.start();
  await first.enqueue(cb('S', 1));
  await first.enqueue(cb('H', 1));
  await clock.advance(1000);
  const closing = first.close();
  await clock.advance(2000);
  await closing;
  assert.deepEqual(
    (await attempts(store)).map((a) => [a.resultCode, a.request.includes('"S"')]),
    [[500, true]],
  );
  const queued = await store.callbacks.listCallbackDeliveries(10);
  assert.deepEqual(
    queued.map((q) => [q.sequence, q.attempts, q.nextAt - t0]),
    [
      ['S', 1, minute],
      ['H', 0, 0],
    ],
  );

  up = true;
  const second = deliverer(store, clock, rx.transport);
  await second.start();
  await clock.advance(0);
  assert.equal(rx.calls.at(-1)?.body.includes('"H"'), true, 'the aborted one is due at once');
  assert.equal(second.size, 1);
  await clock.advance(minute - 3000);
  assert.equal(second.size, 0, 'the failed one at its retry time');
  assert.deepEqual(
    (await attempts(store)).map((a) => a.resultCode),
    [500, 0, 0],
  );
  await second.close();
});

test('the queue is bounded: past maxPending the oldest waiting callback is dropped and recorded', async () => {
  const store = new MemoryStore();
  const clock = new FakeClock();
  const rx = fakeReceiver(clock, () => 500);
  const d = deliverer(store, clock, rx.transport, { maxPending: 2 });
  await d.start();
  await d.enqueue(cb('1', 1));
  await d.enqueue(cb('2', 1));
  await clock.advance(0);
  await d.enqueue(cb('3', 1, { stream: 'third' }));
  assert.equal(d.size, 2);
  const dropped = (await attempts(store)).filter((a) => a.resultCode === resultCodes.dropped);
  assert.equal(dropped.length, 1);
  assert.match(dropped[0]!.request, /"sequence":"1"/);
  assert.match(dropped[0]!.response, /more than 2 callbacks/);
  assert.deepEqual(
    (await store.callbacks.listCallbackDeliveries(10)).map((q) => q.sequence),
    ['2', '3'],
  );
  await d.close();
});

test('at most `concurrency` attempts are in flight; a slow receiver only holds its own slots', async () => {
  const store = new MemoryStore();
  const clock = new FakeClock();
  const rx = fakeReceiver(clock, ({ url }) => (url.includes('slow') ? 'hang' : 200));
  const d = deliverer(store, clock, rx.transport, { concurrency: 2 });
  await d.start();
  for (const s of ['a', 'b', 'c']) await d.enqueue(cb(s, 1, { url: 'http://slow.example.com/' }));
  await clock.advance(0);
  assert.equal(rx.calls.length, 2);
  const closing = d.close();
  await clock.advance(2000);
  await closing;
  assert.equal((await store.callbacks.listCallbackDeliveries(10)).length, 3, 'all three still queued');
});
