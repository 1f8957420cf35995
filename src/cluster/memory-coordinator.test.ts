import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coordinatorConformance, type CoordinatorHarness, type TestNode } from '../../test/coordinator-conformance.ts';
import { configSchema } from '../config/config-schema.ts';
import { createCoordinator, nodeIdOf, advertiseOf } from './create-coordinator.ts';
import { MemoryCluster, MemoryCoordinator } from './memory-coordinator.ts';
import { RedisCoordinator } from './redis-coordinator.ts';
import { resolveNodeId } from './node-id.ts';
import { parseStreamCommand } from './coordinator.ts';
import { hostname } from 'node:os';

/** Nodes on one MemoryCluster with a fake clock: leases pass without sleeping. */
function memoryHarness(leaseMs = 5000): CoordinatorHarness {
  const clock = { now: Date.now() };
  const cluster = new MemoryCluster(() => clock.now);
  const nodes: TestNode[] = [];
  return {
    leaseMs,
    async node(nodeId, advertise = '127.0.0.1:1935') {
      const node = new MemoryCoordinator({ cluster, nodeId, advertise: () => advertise, leaseMs });
      await node.start();
      nodes.push(node);
      return node;
    },
    elapse(ms) {
      clock.now += ms;
      return Promise.resolve();
    },
    async close() {
      await Promise.all(nodes.map((n) => n.close()));
    },
  };
}

coordinatorConformance('in-process', () => Promise.resolve(memoryHarness()));

test('in-process: a broadcast has reached every node when it resolves (the API answers after the drop)', async () => {
  const h = memoryHarness();
  const a = await h.node('a');
  const b = await h.node('b');
  const got: string[] = [];
  a.onCommand((c) => got.push(`a:${c.kind}`));
  b.onCommand((c) => got.push(`b:${c.kind}`));
  const sent = a.broadcast({ kind: 'drop', app: 'live', stream: 's', domain: '' });
  assert.deepEqual(got, ['a:drop', 'b:drop'], 'delivered before the promise settles');
  await sent;
  await h.close();
});

test('in-process: the lease of a dead node runs on the injected clock, to the millisecond', async () => {
  const h = memoryHarness(1000);
  const a = await h.node('a');
  const b = await h.node('b');
  await a.claim('live/s');
  await a.abandon();
  await h.elapse(999);
  assert.equal((await b.claim('live/s')).ok, false);
  await h.elapse(1);
  assert.equal((await b.claim('live/s')).ok, true);
  await h.close();
});

test('in-process: counters expire to the millisecond and a node that never started cannot claim', async () => {
  const h = memoryHarness();
  const a = await h.node('a');
  assert.equal(await a.counters.increment('k', 100), 1);
  await h.elapse(99);
  assert.equal(await a.counters.count('k'), 1);
  await h.elapse(1);
  assert.equal(await a.counters.count('k'), 0);
  const idle = new MemoryCoordinator({ cluster: new MemoryCluster(), nodeId: 'x', advertise: () => '', leaseMs: 1000 });
  await assert.rejects(idle.claim('live/s'), { code: 'COORDINATOR_UNAVAILABLE' });
  await h.close();
});

test('createCoordinator: in-process without cluster.redis, Redis with it; node id and advertised address defaults', () => {
  const config = configSchema.parse({});
  assert.ok(createCoordinator(config) instanceof MemoryCoordinator);
  const withRedis = configSchema.parse({
    cluster: { redis: 'redis://127.0.0.1:1', nodeId: 'n1', advertise: 'edge1:1936', leaseMs: 2000 },
  });
  const redis = createCoordinator(withRedis);
  assert.ok(redis instanceof RedisCoordinator);
  assert.equal(redis.nodeId, 'n1');
  assert.equal(redis.leaseMs, 2000);
  assert.equal(nodeIdOf(config), resolveNodeId('', hostname()));
  assert.equal(resolveNodeId('', 'db 1.example'), 'db_1.example');
  assert.equal(resolveNodeId('', ''), 'local');
  assert.equal(resolveNodeId('a', 'host'), 'a');
  assert.equal(advertiseOf(withRedis, 1935), 'edge1:1936');
  assert.equal(advertiseOf(configSchema.parse({ rtmp: { host: '10.1.2.3' } }), 1940), '10.1.2.3:1940');
  assert.equal(advertiseOf(configSchema.parse({ rtmp: { host: '::1' } }), 1940), '[::1]:1940');
  assert.throws(() => configSchema.parse({ cluster: { redis: 'http://x' } }), /redis:\/\//);
  assert.throws(() => configSchema.parse({ cluster: { nodeId: 'a b' } }));
  assert.throws(() => configSchema.parse({ cluster: { leaseMs: 10 } }));
});

test("parseStreamCommand reads the replace command (with the newcomer's address) and refuses malformed ones", () => {
  const replace = { kind: 'replace', app: 'live', stream: 'cam', domain: '', clientIp: '10.0.0.2', from: 'b' };
  assert.deepEqual(parseStreamCommand(JSON.stringify(replace)), replace);
  assert.equal(parseStreamCommand(JSON.stringify({ ...replace, clientIp: 7 })), undefined);
  assert.equal(parseStreamCommand(JSON.stringify({ ...replace, kind: 'explode' })), undefined);
  assert.equal(parseStreamCommand('{'), undefined);
});
