/**
 * The Redis Coordinator against a real redis-server (test/support/redis-server.ts): the conformance suite
 * with short real leases, then what only a network has: Redis going away and coming back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { coordinatorConformance, type CoordinatorHarness, type TestNode } from '../coordinator-conformance.ts';
import { RedisCoordinator } from '../../src/cluster/redis-coordinator.ts';
import type { LostReason, StreamCommand } from '../../src/cluster/coordinator.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { waitFor } from '../support/wait.ts';

/** Short enough to expire within a test, long enough that a busy machine's late timers do not lose claims. */
const leaseMs = 800;

let redis: TestRedis;
let run = 0;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

/** Nodes under a prefix of their own, so tests on one redis-server never see each other's keys. */
function redisHarness(url: () => string, lease = leaseMs): CoordinatorHarness {
  const prefix = `t${process.pid}-${run++}:`;
  const nodes: TestNode[] = [];
  return {
    leaseMs: lease,
    async node(nodeId, advertise = '127.0.0.1:1935') {
      const node = new RedisCoordinator({ url: url(), nodeId, advertise: () => advertise, leaseMs: lease, prefix });
      await node.start();
      nodes.push(node);
      return node;
    },
    elapse: (ms) => sleep(ms),
    async close() {
      await Promise.all(nodes.map((n) => n.close()));
    },
  };
}

coordinatorConformance('redis', () => Promise.resolve(redisHarness(() => redis.url)));

test('redis: start fails with COORDINATOR_UNAVAILABLE when nothing listens', async () => {
  const node = new RedisCoordinator({ url: 'redis://127.0.0.1:1', nodeId: 'x', advertise: () => '', leaseMs });
  await assert.rejects(node.start(), { code: 'COORDINATOR_UNAVAILABLE' });
  await node.close();
});

test('redis: a node cut off from Redis longer than its lease gives its claims up and says so before another node can take them', async () => {
  const own = await startRedis();
  const h = redisHarness(() => own.url);
  try {
    const a = await h.node('node-a');
    const lost: [string, LostReason, number][] = [];
    const claimedAt = Date.now();
    a.onLost((stream, reason) => lost.push([stream, reason, Date.now() - claimedAt]));
    assert.equal((await a.claim('live/cam1')).ok, true);
    own.pause(); // Redis stops answering: renews hang, then time out.
    await waitFor('the claim given up', () => lost.length === 1, 10_000);
    assert.deepEqual(
      lost.map(([s, r]) => [s, r]),
      [['live/cam1', 'unreachable']],
    );
    assert.ok(lost[0]![2] < leaseMs + 500, `given up ${lost[0]![2]} ms after the claim`);
    assert.deepEqual(a.held(), []);
    await assert.rejects(a.claim('live/cam2'), { code: 'COORDINATOR_UNAVAILABLE' });
    own.resume();
    // Reachable again: the node claims anew and its stale claim was released (compare-and-set), not left to expire.
    await waitFor(
      'claims work again',
      async () => (await a.claim('live/cam2').catch(() => ({ ok: false }))).ok,
      10_000,
    );
    const b = await h.node('node-b');
    await waitFor('the stale claim released', async () => (await b.claim('live/cam1')).ok, 10_000);
  } finally {
    own.resume();
    await h.close();
    await own.stop();
  }
});

test('redis: after Redis restarts empty, claims, broadcasts (resubscribed) and the scripts (reloaded) work again', async () => {
  const own = await startRedis();
  const h = redisHarness(() => own.url);
  try {
    const a = await h.node('node-a');
    const b = await h.node('node-b');
    const got: StreamCommand[] = [];
    b.onCommand((c) => got.push(c));
    const lost: string[] = [];
    a.onLost((stream) => lost.push(stream));
    let reconnects = 0;
    b.onReconnect(() => reconnects++);
    await a.claim('live/cam1');
    await own.restart();
    // The restarted Redis lost the key: the holder finds out at its next renew (or by its lease).
    await waitFor('the claim reported lost', () => lost.length === 1, 10_000);
    await waitFor(
      'both nodes reconnected',
      async () => (await a.claim('live/cam9').catch(() => ({ ok: false }))).ok,
      10_000,
    );
    await waitFor(
      'broadcasts delivered after the resubscribe',
      async () => {
        await a.broadcast({ kind: 'drop', app: 'live', stream: 'cam1', domain: '' }).catch(() => undefined);
        await sleep(100);
        return got.length > 0;
      },
      10_000,
    );
    assert.equal(got[0]?.from, 'node-a');
    assert.equal((await b.claim('live/cam1')).ok, true);
    assert.equal(reconnects, 1, 'told once that broadcasts may have been missed');
  } finally {
    await h.close();
    await own.stop();
  }
});

test('redis: a malformed message on the channel is ignored, later commands still arrive', async () => {
  const h = redisHarness(() => redis.url);
  try {
    const a = await h.node('node-a');
    const got: StreamCommand[] = [];
    a.onCommand((c) => got.push(c));
    const { Redis } = await import('ioredis');
    const raw = new Redis(redis.url);
    const channel = (a as unknown as { keys: { channel: string } }).keys.channel;
    await raw.publish(channel, 'not json');
    await raw.publish(channel, JSON.stringify({ kind: 'explode', app: 'x', stream: 'y', domain: '', from: 'z' }));
    await raw.quit();
    await a.broadcast({ kind: 'resume', app: 'live', stream: 'cam1', domain: '' });
    await waitFor('the resume', () => got.length === 1, 5000);
    await sleep(100);
    assert.deepEqual(
      got.map((c) => c.kind),
      ['resume'],
    );
  } finally {
    await h.close();
  }
});
