import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, FakeSink, interframe, keyframe, labels, testHub } from './hub-test-kit.ts';
import { WriteScheduler } from './write-scheduler.ts';

const pub = { id: 'p1' };

test('N publishes within the merge window reach each subscriber as one write of N buffers', () => {
  const { hub, clock } = testHub({ mergeWindowMs: 40 });
  const stream = hub.claim('live/a', pub);
  const sinks = [new FakeSink('flv'), new FakeSink('rtmp')];
  for (const sink of sinks) hub.subscribe('live/a', sink);
  stream.publish(keyframe(0));
  for (let i = 1; i < 5; i++) {
    clock.advance(5);
    stream.publish(interframe(i * 5));
  }
  for (const sink of sinks) assert.equal(sink.writes.length, 0, 'nothing is written inside the window');
  clock.advance(20);
  for (const sink of sinks) {
    assert.equal(sink.writes.length, 1);
    assert.deepEqual(labels(sink), ['K0', 'P5', 'P10', 'P15', 'P20']);
  }
  assert.equal(hub.stats().playerWrites, 2, 'one write per player counted (openlive_player_writes_total)');
});

test('a 0 ms window writes each publish at once and arms no timer', () => {
  const { hub, clock } = testHub({ mergeWindowMs: 0 });
  const stream = hub.claim('live/a', pub);
  const sink = new FakeSink();
  hub.subscribe('live/a', sink);
  stream.publish(keyframe(0));
  stream.publish(interframe(40));
  assert.deepEqual(
    sink.writes.map((w) => w.length),
    [1, 1],
  );
  assert.equal(clock.pending, 0);
});

test('an idle hub has no timer; the timer runs only while a subscriber is dirty', () => {
  const { hub, clock } = testHub();
  const stream = hub.claim('live/a', pub);
  assert.equal(clock.pending, 0, 'a publisher alone arms nothing');
  stream.publish(keyframe(0));
  assert.equal(clock.pending, 0, 'media with no subscribers arms nothing');
  hub.subscribe('live/a', new FakeSink());
  hub.subscribe('live/a', new FakeSink());
  assert.equal(clock.pending, 0, 'the join burst is written at once');
  stream.publish(interframe(40));
  stream.publish(interframe(80));
  assert.equal(clock.pending, 1, 'one timer for the whole hub');
  clock.advance(40);
  assert.equal(clock.pending, 0, 'and it is not re-armed when nothing is dirty');
});

test('a flush visits only the dirty subscribers', () => {
  const clock = new FakeClock();
  const scheduler = new WriteScheduler(40, clock);
  const flushed: number[] = [];
  const subs = Array.from({ length: 100 }, (_, i) => ({ flush: () => flushed.push(i) }));
  scheduler.schedule(subs[7]!);
  scheduler.schedule(subs[42]!);
  assert.equal(scheduler.dirtyCount, 2);
  clock.advance(40);
  assert.deepEqual(
    flushed.toSorted((a, b) => a - b),
    [7, 42],
  );
  assert.equal(scheduler.armed, false);
});

test('the window runs from the oldest queued message: one window after it, whatever came later', () => {
  const clock = new FakeClock();
  const scheduler = new WriteScheduler(40, clock);
  const flushedAt: number[] = [];
  const sub = {
    dirty: false,
    flush(): void {
      sub.dirty = false;
      flushedAt.push(clock.time);
    },
  };
  /** A message for `sub` at time `at`: like Subscriber.offer, it schedules only a clean subscriber. */
  const offerAt = (at: number): void => {
    clock.advance(at - clock.time);
    if (sub.dirty) return;
    sub.dirty = true;
    scheduler.schedule(sub);
  };
  for (const at of [0, 13, 27, 39]) offerAt(at);
  offerAt(45); // after the flush at 40: it starts the next batch, so it waits a full window, to 85
  offerAt(84);
  clock.advance(200 - clock.time);
  assert.deepEqual(flushedAt, [40, 85]);
  assert.equal(clock.pending, 0, 'no periodic tick once nothing is queued');
});

test('the flush start rotates: no player is always written last, each sees every position', () => {
  const clock = new FakeClock();
  const scheduler = new WriteScheduler(20, clock);
  const n = 10;
  const flushes = 200;
  const order: number[] = [];
  const subs = Array.from({ length: n }, (_, i) => ({ flush: () => order.push(i) }));
  const last = new Array<number>(n).fill(0);
  const positionSum = new Array<number>(n).fill(0);
  for (let f = 0; f < flushes; f++) {
    order.length = 0;
    for (const s of subs) scheduler.schedule(s);
    clock.advance(20);
    assert.deepEqual(
      order.toSorted((a, b) => a - b),
      [...Array(n).keys()],
      'each dirty player is written once per flush',
    );
    // The list is visited in order from a rotating start (wrapping around), so joins keep their relative order.
    for (let i = 1; i < n; i++) assert.equal(order[i], (order[0]! + i) % n);
    last[order[n - 1]!]!++;
    order.forEach((s, pos) => (positionSum[s]! += pos));
  }
  for (let s = 0; s < n; s++) {
    assert.ok(last[s]! <= (flushes / n) * 1.5, `player ${s} was last in ${last[s]} of ${flushes} flushes`);
    const mean = positionSum[s]! / flushes;
    assert.ok(mean > 3.5 && mean < 5.5, `player ${s}'s mean position ${mean} is near the middle (4.5)`);
  }
});

test('work scheduled during a flush waits for the next window', () => {
  const clock = new FakeClock();
  const scheduler = new WriteScheduler(40, clock);
  const order: string[] = [];
  const late = { flush: () => order.push('late') };
  scheduler.schedule({
    flush: () => {
      order.push('first');
      scheduler.schedule(late);
    },
  });
  clock.advance(40);
  assert.deepEqual(order, ['first']);
  assert.equal(scheduler.armed, true);
  clock.advance(40);
  assert.deepEqual(order, ['first', 'late']);
});

test('close() stops the timer and drops pending work; idempotent', () => {
  const clock = new FakeClock();
  const scheduler = new WriteScheduler(40, clock);
  let flushes = 0;
  scheduler.schedule({ flush: () => flushes++ });
  scheduler.close();
  scheduler.close();
  assert.equal(clock.pending, 0);
  scheduler.schedule({ flush: () => flushes++ });
  clock.advance(100);
  assert.equal(flushes, 0);
});

/** A sink that takes joined batches, as the RTMP (stream 1) and HTTP-FLV sinks do. */
class JoiningSink extends FakeSink {
  readonly writesJoined = true;
}

test('players sharing a batch get it joined once: the first keeps the parts, the rest share one Buffer', () => {
  const { hub, clock } = testHub({ mergeWindowMs: 40 });
  const stream = hub.claim('live/a', pub);
  stream.publish(keyframe(0));
  const sinks = [new JoiningSink('flv'), new JoiningSink('flv'), new JoiningSink('flv'), new FakeSink('flv')];
  for (const sink of sinks) hub.subscribe('live/a', sink);
  clock.advance(40);
  const before = sinks.map((s) => s.writes.length);
  stream.publish(interframe(10));
  stream.publish(interframe(20));
  stream.publish(interframe(30));
  clock.advance(40);
  const batches = sinks.map((s, i) => s.writes.slice(before[i]!).flat());
  const bytes = (b: Buffer[]): Buffer => Buffer.concat(b);
  for (const b of batches) assert.deepEqual(bytes(b), bytes(batches[0]!), 'every player receives the same bytes');
  // The flush start rotates, so which joining player comes first varies: exactly one writes the parts.
  const joining = batches.slice(0, 3);
  assert.equal(joining.filter((b) => b.length === 3).length, 1, 'the first player written keeps the shared parts');
  const joined = joining.filter((b) => b.length === 1);
  assert.equal(joined.length, 2, 'the others get them joined');
  assert.equal(joined[0]![0], joined[1]![0], 'into one shared Buffer');
  assert.equal(batches[3]!.length, 3, 'a sink that does not take joined batches keeps the parts');
});

test('a batch only one player has (its join burst) is never copied', () => {
  const scheduler = new WriteScheduler(40, { setTimeout: () => 1, clearTimeout: () => {} });
  const a = [Buffer.from('a'), Buffer.from('b')];
  assert.equal(scheduler.joined(a), a);
  assert.equal(
    scheduler.joined([Buffer.from('a'), Buffer.from('b')]).length,
    2,
    'equal bytes but not the shared Buffers',
  );
  scheduler.flushAll();
  assert.equal(scheduler.joined(a), a, 'a flush forgets the last batch');
});

/**
 * Drives a scheduler like the hub does: messages at the given times reach every subscriber (each
 * schedules itself once per batch); returns, per subscriber, the times of its writes and each message's hold.
 */
function drive(scheduler: WriteScheduler, clock: FakeClock, players: number, arrivals: number[], flushMs = 0) {
  const writes = Array.from({ length: players }, () => [] as number[]);
  const holds: number[] = [];
  const subs = writes.map((w) => {
    const sub = {
      queued: [] as number[],
      flush(): void {
        if (sub.queued.length === 0) return;
        clock.time += flushMs; // a write's cost, so a flush of many takes time as in a real hub
        w.push(clock.time);
        for (const at of sub.queued) holds.push(clock.time - at);
        sub.queued = [];
      },
    };
    return sub;
  });
  for (const at of arrivals) {
    clock.advance(at - clock.time);
    for (const s of subs) {
      s.queued.push(clock.time);
      if (s.queued.length === 1) scheduler.schedule(s);
    }
  }
  clock.advance(1000);
  return { writes, holds };
}

/** Arrivals like the bench's source: video every 33.3 ms and AAC every 21.3 ms, for `ms`. */
function mediaArrivals(ms: number): number[] {
  const out = new Set<number>();
  for (let t = 0; t < ms; t += 100 / 3) out.add(Math.round(t));
  for (let t = 5; t < ms; t += 1024 / 48) out.add(Math.round(t));
  return [...out].toSorted((a, b) => a - b);
}

for (const windowMs of [20, 50, 100]) {
  test(`${windowMs} ms window in 4 groups: no hold over one window, at most one write per player per window`, () => {
    const clock = new FakeClock();
    const scheduler = new WriteScheduler(windowMs, clock, { groups: 4, now: clock.now });
    const { writes, holds } = drive(scheduler, clock, 8, mediaArrivals(3000));
    assert.ok(holds.length > 0);
    assert.ok(Math.max(...holds) <= windowMs, `longest hold ${Math.max(...holds)} ms`);
    for (const w of writes) {
      for (let i = 1; i < w.length; i++) assert.ok(w[i]! - w[i - 1]! >= windowMs, `writes at ${w[i - 1]} and ${w[i]}`);
    }
    // Holds spread over the window (a fixed grid): not all at the window's end, as with one group.
    const mean = holds.reduce((a, b) => a + b, 0) / holds.length;
    assert.ok(mean > windowMs * 0.3 && mean < windowMs * 0.7, `mean hold ${mean} of a ${windowMs} ms window`);
  });
}

test('4 groups flush at four phases of the window, each with about a quarter of the players', () => {
  const clock = new FakeClock();
  const scheduler = new WriteScheduler(40, clock, { groups: 4, now: clock.now });
  const { writes } = drive(scheduler, clock, 12, [1, 41, 81, 121]);
  const phases = writes.map((w) => w.map((t) => t % 40));
  for (const p of phases) assert.equal(new Set(p).size, 1, 'a player keeps its phase');
  const byPhase = new Map<number, number>();
  for (const p of phases) byPhase.set(p[0]!, (byPhase.get(p[0]!) ?? 0) + 1);
  assert.deepEqual(
    [...byPhase].toSorted((a, b) => a[0] - b[0]),
    [
      [0, 3],
      [10, 3],
      [20, 3],
      [30, 3],
    ],
  );
});

test('a long group flush does not delay the other groups: each flushes a quarter of the players', () => {
  const clock = new FakeClock();
  const one = drive(new WriteScheduler(50, clock, { now: clock.now }), clock, 40, mediaArrivals(2000), 0.5);
  const clock4 = new FakeClock();
  const four = drive(
    new WriteScheduler(50, clock4, { groups: 4, now: clock4.now }),
    clock4,
    40,
    mediaArrivals(2000),
    0.5,
  );
  const worst = (h: number[]): number => h.toSorted((a, b) => a - b)[Math.floor(h.length * 0.95)]!;
  // One flush of 40 players at 0.5 ms each spans 20 ms; four groups of 10 span 5 ms each.
  assert.ok(worst(one.holds) > 50 + 10, `one group: p95 hold ${worst(one.holds)} ms`);
  assert.ok(worst(four.holds) <= 50 + 5, `four groups: p95 hold ${worst(four.holds)} ms`);
});

test('a subscriber keeps its group; groups are given round robin by first schedule', () => {
  const clock = new FakeClock();
  const scheduler = new WriteScheduler(40, clock, { groups: 3, now: clock.now });
  const subs = Array.from({ length: 5 }, () => ({ flush() {} }) as { flush(): void; flushGroup?: number });
  for (const s of subs) scheduler.schedule(s);
  assert.deepEqual(
    subs.map((s) => s.flushGroup),
    [0, 1, 2, 0, 1],
  );
  assert.equal(scheduler.dirtyCount, 5);
  assert.equal(clock.pending, 3, 'one timer per dirty group');
  scheduler.flushAll();
  assert.equal(scheduler.armed, false);
  scheduler.close();
});

test("with groups, work a flush queues for its own group waits for that group's next tick", () => {
  const clock = new FakeClock();
  const scheduler = new WriteScheduler(40, clock, { groups: 2, now: clock.now });
  const at: string[] = [];
  const late = { flush: () => at.push(`late@${clock.time}`), flushGroup: 0 };
  scheduler.schedule({ flush: () => (at.push(`first@${clock.time}`), scheduler.schedule(late)), flushGroup: 0 });
  clock.advance(100);
  assert.deepEqual(at, ['first@40', 'late@80']);
  assert.equal(scheduler.armed, false);
});
