import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryCluster, MemoryCoordinator } from '../cluster/memory-coordinator.ts';
import { ClusterTally } from './cluster-tally.ts';

const flush = () => new Promise((resolve) => setImmediate(resolve));

test('two nodes counting one address share one count per window; a new window starts at zero', async () => {
  const clock = { now: 1_000_000 };
  const cluster = new MemoryCluster(() => clock.now);
  const tally = (nodeId: string) =>
    new ClusterTally({
      counters: new MemoryCoordinator({ cluster, nodeId, advertise: () => '', leaseMs: 5000 }).counters,
      prefix: 'fail:',
      windowMs: 60_000,
      now: () => clock.now,
      onUnavailable: () => assert.fail('in-process counters are always there'),
    });
  const [a, b] = [tally('a'), tally('b')];
  assert.equal(a.add('10.0.0.1'), 1, 'answered at once: its own pending add');
  await flush();
  assert.equal(b.add('10.0.0.1'), 1, "B has not heard of A's yet");
  await flush();
  assert.equal(a.add('10.0.0.1'), 2, "A knows its own 1 and adds this one; B's arrives with the reply");
  await flush();
  assert.equal(b.add('10.0.0.1'), 3, 'B: the cluster said 2 at its last reply, plus this one');
  await flush();
  assert.equal(a.add('10.0.0.1'), 4, 'A: the cluster said 3 at its last reply, plus this one');
  assert.equal(a.add('10.0.0.2'), 1, 'another address counts apart');
  clock.now += 60_000;
  assert.equal(a.add('10.0.0.1'), 1, 'a new window');
});

test('an unreachable Coordinator is counted and leaves only the local count; the key table is bounded', async () => {
  let failures = 0;
  const tally = new ClusterTally({
    counters: { increment: () => Promise.reject(new Error('down')) },
    prefix: 'api-ip:',
    windowMs: 1000,
    now: () => 5000,
    maxKeys: 3,
    onUnavailable: () => failures++,
  });
  assert.equal(tally.add('x'), 1);
  await flush();
  assert.equal(failures, 1);
  assert.equal(tally.add('x'), 1, 'the failed add is no longer pending, nothing known');
  for (const k of ['a', 'b', 'c', 'd']) tally.add(k);
  assert.equal(tally.size, 3);
  await flush();
  assert.equal(failures, 6);
});
