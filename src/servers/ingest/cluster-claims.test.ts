import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryCluster, MemoryCoordinator } from '../../cluster/memory-coordinator.ts';
import { FakeSink, testHub } from '../../hub/hub-test-kit.ts';
import { ClusterClaims } from './cluster-claims.ts';

const target = { app: 'live', stream: 'cam', key: 'live/cam' };

async function nodes() {
  const cluster = new MemoryCluster(() => 0);
  const coordinator = (nodeId: string) =>
    new MemoryCoordinator({ cluster, nodeId, advertise: () => `${nodeId}:1935`, leaseMs: 5000 });
  const a = coordinator('a');
  const b = coordinator('b');
  await Promise.all([a.start(), b.start()]);
  const { hub } = testHub({ reconnectGraceMs: 5000 });
  return { a, b, hub, claims: new ClusterClaims(hub, b, () => undefined) };
}

test('an encoder on an edge is refused while the origin holds the stream, even though a relay publishes it here', async () => {
  const { a, hub, claims } = await nodes();
  assert.equal((await a.claim('live/cam')).ok, true);
  hub.claim('live/cam', { id: 'edge-1', protocol: 'relay' });
  assert.equal(await claims.claim(target, { id: 'rtmp-1', clientIp: '10.0.0.9', protocol: 'rtmp' }), undefined);
  assert.equal(hub.get('live/cam')?.publisher?.id, 'edge-1');
  assert.equal(await claims.isHeld(target), true);
});

test('once the origin let it go, the relay yields to the encoder and the players continue', async () => {
  const { b, hub, claims } = await nodes();
  const sink = new FakeSink();
  hub.subscribe('live/cam', sink);
  hub.claim('live/cam', { id: 'edge-1', protocol: 'relay' });
  assert.equal(await claims.isHeld(target), false, 'a relay alone is no holder');
  const stream = await claims.claim(target, { id: 'rtmp-1', clientIp: '10.0.0.9', protocol: 'rtmp' });
  assert.equal(stream?.publisher?.id, 'rtmp-1');
  assert.equal((await b.holder('live/cam'))?.nodeId, 'b');
  assert.equal(
    sink.events.filter((e) => e.type === 'started').length,
    1,
    'no new start: the grace continued the stream',
  );
  assert.ok(!sink.events.some((e) => e.type === 'ended'));
});
