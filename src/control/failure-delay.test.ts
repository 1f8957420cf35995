import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureDelay } from './failure-delay.ts';
import { ClusterTally } from './cluster-tally.ts';
import { MemoryCluster, MemoryCoordinator } from '../cluster/memory-coordinator.ts';

test('delays start at the threshold, span 100–600 ms with the injected randomness, and decay by half-life', () => {
  const clock = { now: 0 };
  const rolls = [0, 0.999999, 0];
  const delay = new FailureDelay(
    () => clock.now,
    () => rolls.shift() ?? 0,
  );
  assert.deepEqual([delay.fail('a'), delay.fail('a'), delay.fail('a'), delay.fail('a')], [0, 0, 100, 600]);
  clock.now += 60_000;
  assert.equal(delay.score('a'), 2, 'four failures halve to two after one half-life');
  assert.equal(delay.fail('a'), 100, 'the third decayed failure is still delayed');
  clock.now += 600_000;
  assert.ok(delay.score('a') < 0.01);
  assert.equal(delay.fail('a'), 0);
});

test('memory is bounded: the least recently failing IP is forgotten first', () => {
  const delay = new FailureDelay(
    () => 0,
    () => 0,
    { maxTracked: 2, threshold: 2 },
  );
  delay.fail('a');
  delay.fail('b');
  delay.fail('a');
  delay.fail('c');
  assert.equal(delay.tracked, 2);
  assert.equal(delay.score('b'), 0, 'b was the oldest');
  assert.equal(delay.score('a'), 2);
});

test('with a shared tally, a guesser spread over two nodes is delayed once the cluster saw the threshold', async () => {
  const cluster = new MemoryCluster(() => 0);
  const node = (nodeId: string) => {
    const counters = new MemoryCoordinator({ cluster, nodeId, advertise: () => '', leaseMs: 5000 }).counters;
    const shared = new ClusterTally({
      counters,
      prefix: 'fail:',
      windowMs: 60_000,
      now: () => 0,
      onUnavailable: () => {},
    });
    return new FailureDelay(
      () => 0,
      () => 0,
      { shared },
    );
  };
  const [a, b] = [node('a'), node('b')];
  const flush = () => new Promise((resolve) => setImmediate(resolve));
  const delays: number[] = [];
  for (const n of [a, b, a, b]) {
    delays.push(n.fail('6.6.6.6'));
    await flush();
  }
  assert.deepEqual(
    delays,
    [0, 0, 0, 100],
    'the fourth failure (two per node, below the threshold of 3 on each) is delayed',
  );
  assert.equal(
    new FailureDelay(
      () => 0,
      () => 0,
    ).fail('6.6.6.6'),
    0,
    'without a tally, each node counts alone',
  );
});
