import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { MemoryCluster, MemoryCoordinator } from '../cluster/memory-coordinator.ts';
import { streamClaimKey } from '../cluster/coordinator.ts';
import { Domains } from './domains.ts';
import { StreamPolicy, type LivePublisherInfo, type LivePublishers } from './stream-policy.ts';

const t0 = Date.UTC(2026, 10, 25, 10, 0, 0);

/** One node's live publishers; remembers each drop. */
class FakeLive implements LivePublishers {
  readonly publishers: LivePublisherInfo[] = [];
  readonly drops: string[] = [];
  add(app: string, stream: string, domain = 'push.example.com'): void {
    this.publishers.push({ app, stream, domain, clientIp: '10.0.0.1', startedAt: t0, bytesIn: 0 });
  }
  isLive(app: string, stream: string): boolean {
    return this.publishers.some((p) => p.app === app && p.stream === stream);
  }
  drop(app: string, stream: string, breakCode: string): boolean {
    const i = this.publishers.findIndex((p) => p.app === app && p.stream === stream);
    if (i < 0) return false;
    this.publishers.splice(i, 1);
    this.drops.push(`${app}/${stream} ${breakCode}`);
    return true;
  }
  list(): LivePublisherInfo[] {
    return [...this.publishers];
  }
}

/** Two nodes on one in-process cluster sharing one store, each subscriber applying commands to its own publishers. */
async function twoNodes() {
  const store = new MemoryStore();
  const now = () => t0;
  await new Domains({ store, now, generateKey: () => 'k' }).add({
    name: 'push.example.com',
    type: 'push',
    auth: { enabled: false },
  });
  const cluster = new MemoryCluster(now);
  const node = async (nodeId: string) => {
    const coordinator = new MemoryCoordinator({ cluster, nodeId, advertise: () => `${nodeId}:1935`, leaseMs: 5000 });
    await coordinator.start();
    const live = new FakeLive();
    const streams = new StreamPolicy({ store, live, now, cluster: coordinator });
    coordinator.onCommand((c) => streams.apply(c));
    return { coordinator, live, streams };
  };
  return { a: await node('a'), b: await node('b') };
}

test('a forbid on node B drops the publisher live on node A (21/101) and leaves B alone', async () => {
  const { a, b } = await twoNodes();
  a.live.add('live', 'cam1');
  b.live.add('live', 'other');
  await b.streams.forbid({ app: 'live', stream: 'cam1', reason: 'tos' });
  assert.deepEqual(a.live.drops, ['live/cam1 21/101']);
  assert.deepEqual(b.live.drops, []);
});

test('drop on node B reaches the holder on node A by the registry; a stream live nowhere is STREAM_NOT_LIVE', async () => {
  const { a, b } = await twoNodes();
  a.live.add('live', 'cam1');
  await a.coordinator.claim(streamClaimKey('live', 'cam1'), { domain: 'push.example.com' });
  await assert.rejects(
    b.streams.drop('live', 'cam1', 'push2.example.com'),
    { code: 'STREAM_NOT_LIVE' },
    'claimed on another domain',
  );
  await b.streams.drop('live', 'cam1');
  assert.deepEqual(a.live.drops, ['live/cam1 21/100']);
  await a.coordinator.release(streamClaimKey('live', 'cam1'));
  await assert.rejects(b.streams.drop('live', 'cam1'), { code: 'STREAM_NOT_LIVE' });
});

test('resume is broadcast and drops nothing; with the Coordinator down a forbid is stored, applied here and reported', async () => {
  const { a, b } = await twoNodes();
  a.live.add('live', 'cam1');
  const seen: string[] = [];
  a.coordinator.onCommand((c) => seen.push(c.kind));
  await b.streams.forbid({ app: 'live', stream: 'x' });
  assert.equal(await b.streams.resume('live', 'x'), true);
  assert.deepEqual(seen, ['forbid', 'resume']);
  assert.deepEqual(a.live.drops, []);
  b.live.add('live', 'cam2');
  await b.coordinator.close();
  await assert.rejects(b.streams.forbid({ app: 'live', stream: 'cam2' }), { code: 'COORDINATOR_UNAVAILABLE' });
  assert.deepEqual(b.live.drops, ['live/cam2 21/101'], 'this node applied it');
  assert.equal(await b.streams.state('live', 'cam2'), 'forbid', 'the forbid is stored');
});

test('after a Coordinator outage, enforceForbids drops the local publishers a stored forbid covers (its broadcast was missed)', async () => {
  const { a, b } = await twoNodes();
  await b.streams.forbid({ app: 'live', stream: 'cam1' });
  await b.streams.forbid({ app: 'live', stream: 'cam2', domain: 'push.example.com' });
  // Publishers that started while the broadcasts could not reach this node.
  a.live.add('live', 'cam1');
  a.live.add('live', 'cam2');
  a.live.add('live', 'cam3');
  assert.equal(await a.streams.enforceForbids(), 2);
  assert.deepEqual(a.live.drops.sort(), ['live/cam1 21/101', 'live/cam2 21/101']);
  assert.equal(a.live.isLive('live', 'cam3'), true);
});

test("any node answers the online list and the state for the whole cluster: its own publishers and the registry's", async () => {
  const { a, b } = await twoNodes();
  a.live.add('live', 'cam1');
  await a.coordinator.claim(streamClaimKey('live', 'cam1'), { domain: 'push.example.com' });
  b.live.add('live', 'cam2', 'push.example.com');
  await b.coordinator.claim(streamClaimKey('live', 'cam2'), { domain: 'push.example.com' });
  const online = await b.streams.listOnline();
  assert.deepEqual(online.map((o) => `${o.app}/${o.stream}@${o.nodeId} ${o.domain}`).sort(), [
    'live/cam1@a push.example.com',
    'live/cam2@b push.example.com',
  ]);
  assert.deepEqual(
    (await b.streams.listOnline({ stream: 'cam1' })).map((o) => o.nodeId),
    ['a'],
  );
  assert.deepEqual(await b.streams.listOnline({ domain: 'other.example.com' }), []);
  assert.deepEqual((await a.streams.listOnline({ app: 'live' })).length, 2, 'node A sees the same two');
  assert.equal(await b.streams.state('live', 'cam1', 'push.example.com'), 'active', 'live on A, asked on B');
  assert.equal(await b.streams.state('live', 'nothing', 'push.example.com'), 'inactive');
  await a.coordinator.release(streamClaimKey('live', 'cam1'));
  a.live.publishers.length = 0;
  assert.equal(await b.streams.state('live', 'cam1', 'push.example.com'), 'inactive');
});

test('replaceElsewhere: the holder on A drops its publisher (21/102) and gives the claim back; B may then claim', async () => {
  const { a, b } = await twoNodes();
  a.live.add('live', 'cam1');
  await a.coordinator.claim(streamClaimKey('live', 'cam1'));
  // What the service does when a local publisher ends: the lease goes back.
  a.coordinator.onCommand(
    (c) => c.kind === 'replace' && c.stream === 'cam1' && void a.coordinator.release(streamClaimKey('live', 'cam1')),
  );
  assert.equal(await b.streams.replaceElsewhere('live', 'cam1', '10.9.9.9', 1000), true);
  assert.deepEqual(a.live.drops, ['live/cam1 21/102']);
  assert.equal((await b.coordinator.claim(streamClaimKey('live', 'cam1'))).ok, true);

  assert.equal(
    await b.streams.replaceElsewhere('live', 'cam1', '10.9.9.9', 1000),
    false,
    'held by this node: a local matter',
  );
  assert.equal(await b.streams.replaceElsewhere('live', 'free', '10.9.9.9', 1000), false, 'held by nobody');
  a.live.add('live', 'stuck');
  await a.coordinator.claim(streamClaimKey('live', 'stuck'));
  assert.equal(
    await b.streams.replaceElsewhere('live', 'stuck', '10.9.9.9', 100),
    false,
    'the holder never let go: bounded wait',
  );
  assert.deepEqual(b.live.drops, [], 'the sender never drops on its own replace');
});
