import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LiveError } from '../errors.ts';
import { MemoryBudget, autoMemoryBudget } from './memory-budget.ts';
import { FakeSink, audioFrame, interframe, keyframe, testHub } from './hub-test-kit.ts';

const isBudgetError = (err: unknown): boolean =>
  err instanceof LiveError && err.code === 'MEMORY_BUDGET_EXCEEDED' && err.kind === 'limit';

test('past the budget, new players and publishers are refused with MEMORY_BUDGET_EXCEEDED; live ones go on', () => {
  const budget = new MemoryBudget(10_000);
  const { hub, clock } = testHub({ memoryBudget: budget });
  const stream = hub.claim('live/a', { id: 'p1' });
  const sink = new FakeSink();
  sink.stuck = true;
  hub.subscribe('live/a', sink);
  stream.publish(keyframe(0, 'K0', 6000));
  stream.publish(interframe(40, 'P40', 6000));
  clock.advance(100);
  assert.ok(budget.used() >= 10_000, `used ${budget.used()}`);
  assert.throws(() => hub.subscribe('live/a', new FakeSink()), isBudgetError);
  assert.throws(() => hub.claim('live/b', { id: 'p2' }), isBudgetError);
  assert.equal(hub.get('live/b'), undefined, 'a refused claim leaves no stream entry behind');
  assert.equal(hub.stats().subscribers, 1);
  assert.deepEqual(budget.stats().refusals, { play: 1, publish: 1 });
  // The live publisher and its player are unaffected.
  assert.equal(stream.publish(interframe(80)), true);
  // A second claim of a live stream still says who holds it (not the budget).
  assert.throws(
    () => hub.claim('live/a', { id: 'p3' }),
    (err) => err instanceof LiveError && err.code === 'STREAM_ALREADY_PUBLISHING',
  );
  // Once the publisher leaves and the stuck player goes, the budget admits again.
  hub.release(stream, 'p1');
  for (const sub of [...stream.subscribers]) sub.close();
  assert.equal(budget.used(), 0);
  assert.doesNotThrow(() => hub.claim('live/b', { id: 'p2' }));
});

test('other sources (HLS, partial RTMP messages) count towards the same budget', () => {
  const budget = new MemoryBudget(1000);
  const { hub } = testHub({ memoryBudget: budget });
  const partial = budget.tally('rtmpPartialMessages');
  budget.addSource('hlsSegments', () => 400);
  partial.bytes += 700;
  assert.throws(() => hub.subscribe('live/a', new FakeSink()), isBudgetError);
  partial.bytes -= 700;
  assert.doesNotThrow(() => hub.subscribe('live/a', new FakeSink()));
  assert.deepEqual([...budget.stats().sources.keys()].sort(), [
    'gopCaches',
    'hlsSegments',
    'rtmpPartialMessages',
    'subscriberQueues',
  ]);
});

test('a hub without a budget refuses nothing', () => {
  const { hub } = testHub();
  assert.doesNotThrow(() => hub.admit('play'));
});

test('the auto budget is a quarter of the heap limit, at least 64 MiB', () => {
  assert.equal(autoMemoryBudget(4 * 1024 ** 3), 1024 ** 3);
  assert.equal(autoMemoryBudget(100), 64 * 1024 ** 2);
  assert.throws(
    () => new MemoryBudget(0),
    (err) => err instanceof LiveError && err.code === 'CONFIG_INVALID',
  );
});

type Op =
  | { op: 'publish'; stream: number; kind: 'key' | 'inter' | 'audio'; size: number }
  | { op: 'subscribe'; stream: number; stuck: boolean }
  | { op: 'claim' | 'release'; stream: number }
  | { op: 'drain' | 'closeSub'; index: number }
  | { op: 'advance'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('publish' as const),
      stream: fc.nat(2),
      kind: fc.constantFrom('key' as const, 'inter' as const, 'audio' as const),
      size: fc.integer({ min: 1, max: 5000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('subscribe' as const), stream: fc.nat(2), stuck: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('claim' as const, 'release' as const), stream: fc.nat(2) }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constantFrom('drain' as const, 'closeSub' as const), index: fc.nat(20) }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 100 }) }) },
);

test('property: the running sums equal what queues, sinks and caches hold, and return to 0 when all is gone', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
      const budget = new MemoryBudget(Number.MAX_SAFE_INTEGER);
      const { hub, clock } = testHub({
        memoryBudget: budget,
        subscriber: { maxQueueBytes: 20_000, stallTimeoutMs: 1_000_000 },
        gopCache: { maxBytes: 30_000 },
      });
      const subs: { sub: ReturnType<typeof hub.subscribe>; sink: FakeSink }[] = [];
      const ts = [0, 0, 0];
      for (const o of ops) {
        const key = `live/${'stream' in o ? o.stream : 0}`;
        if (o.op === 'claim') {
          if (!hub.get(key)?.live) hub.claim(key, { id: key });
        } else if (o.op === 'release') {
          const s = hub.get(key);
          if (s) hub.release(s, key);
        } else if (o.op === 'publish') {
          const msg =
            o.kind === 'key'
              ? keyframe((ts[o.stream]! += 40), 'K', o.size)
              : o.kind === 'inter'
                ? interframe((ts[o.stream]! += 40), 'P', o.size)
                : audioFrame((ts[o.stream]! += 20), 'A', o.size);
          hub.get(key)?.publish(msg);
        } else if (o.op === 'subscribe') {
          const sink = new FakeSink();
          sink.stuck = o.stuck;
          subs.push({ sub: hub.subscribe(key, sink), sink });
        } else if (o.op === 'drain' || o.op === 'closeSub') {
          const s = subs[o.index % Math.max(1, subs.length)];
          if (!s) continue;
          if (o.op === 'drain') {
            s.sink.bufferedBytes = 0;
            s.sub.onDrain();
          } else s.sub.close();
        } else if (o.op === 'advance') clock.advance(o.ms);
        let expectedQueues = 0;
        for (const s of subs) if (!s.sub.closed) expectedQueues += s.sub.pendingBytes + s.sink.bufferedBytes;
        let expectedGop = 0;
        for (const stream of hub.streams()) expectedGop += stream.stats().gopBytes;
        const sources = budget.stats().sources;
        assert.equal(sources.get('gopCaches'), expectedGop);
        // The sinks' bytes are sampled whenever the hub looks (write, drain, offer); here nothing else moves them.
        assert.equal(sources.get('subscriberQueues'), expectedQueues);
      }
      for (const s of subs) s.sub.close();
      for (const stream of [...hub.streams()]) hub.release(stream, stream.key);
      assert.equal(budget.used(), 0);
    }),
    { numRuns: 300 },
  );
});
