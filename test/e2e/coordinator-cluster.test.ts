/**
 * Two openlive services sharing one real Redis (test/support/redis-server.ts): stream commands sent to one
 * node take effect on the node that holds the publisher. ForbidLiveStream through Tencent's SDK to B drops
 * ffmpeg publishing on A (21/101 in A's record), and B's forbid is reported as forbidden by B.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startService, type TestService } from '../support/service.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { liveClient, type LiveClient } from '../support/api-client.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { waitFor } from '../support/wait.ts';
import { ScriptedRtmp } from '../support/scripted-rtmp.ts';
import { configSchema } from '../../src/config/config-schema.ts';
import { streamCommand } from '../../src/cli/commands/stream-command.ts';

let redis: TestRedis;
let a: TestService;
let b: TestService;
let clientB: LiveClient & { close(): void };
const running: FfmpegProcess[] = [];

before(async () => {
  redis = await startRedis();
  a = await startService({ cluster: { redis: redis.url, nodeId: 'a' } });
  b = await startService({ cluster: { redis: redis.url, nodeId: 'b' } });
  const key = b.service.createdCredential;
  assert.ok(key);
  clientB = liveClient(b.apiEndpoint, key, { reqTimeout: 15 });
});

after(async () => {
  await Promise.all(running.map((ff) => ff.stop()));
  clientB?.close();
  await Promise.all([a?.close(), b?.close()]);
  await redis?.stop();
});

test('both nodes joined the cluster with their ids and advertised RTMP addresses', async () => {
  assert.deepEqual((await a.service.coordinator.nodes()).map((n) => n.nodeId).sort(), ['a', 'b']);
  // The node key is written before the RTMP port is bound (port 0 here) and rewritten at each renew.
  await waitFor(
    "B's bound RTMP port advertised",
    async () => {
      const nodes = await a.service.coordinator.nodes();
      return nodes.find((n) => n.nodeId === 'b')?.advertise.endsWith(`:${b.service.rtmpPort}`) === true;
    },
    10_000,
  );
});

test('ForbidLiveStream sent to node B drops the ffmpeg publisher on node A within seconds', async () => {
  const ff = publish(a.urls('cam').push.rtmp);
  running.push(ff);
  await waitFor('live/cam publishing on A', () => a.service.publishers.isLive('live', 'cam'));
  assert.equal(b.service.publishers.isLive('live', 'cam'), false, 'B has no publisher of its own');
  const domain = b.service.defaults.push!.name;
  const sentAt = Date.now();
  await clientB.ForbidLiveStream({ DomainName: domain, AppName: 'live', StreamName: 'cam', Reason: 'cluster test' });
  await waitFor('the publisher on A dropped', () => !a.service.publishers.isLive('live', 'cam'), 5000);
  const tookMs = Date.now() - sentAt;
  assert.ok(tookMs < 3000, `dropped ${tookMs} ms after the forbid`);
  await waitFor('ffmpeg gone', () => ff.child.exitCode !== null || ff.child.signalCode !== null, 10_000);
  await waitFor("A's record ended", async () =>
    (await a.service.store.listPublishRecords({ stream: 'cam' })).items.some((r) => r.breakCode !== null),
  );
  const [record] = (await a.service.store.listPublishRecords({ stream: 'cam' })).items;
  assert.equal(record?.breakCode, '21/101');
  assert.match(record?.reason ?? '', /forbade this stream .*cluster test/);
  const state = await clientB.DescribeLiveStreamState({ DomainName: domain, AppName: 'live', StreamName: 'cam' });
  assert.equal(state.StreamState, 'forbid');
});

test("a stream live on node A is refused on node B with 18/601 in its status; once A's publisher leaves, B takes it", async () => {
  const ff = publish(a.urls('dup').push.rtmp);
  running.push(ff);
  await waitFor('live/dup publishing on A', () => a.service.publishers.isLive('live', 'dup'));
  await waitFor("A's cluster claim", async () => (await b.service.coordinator.holder('live/dup'))?.nodeId === 'a');
  const second = await ScriptedRtmp.open(b.urls('dup').push.rtmp);
  const id = await second.createStream();
  second.publish(id, second.url.stream);
  const status = await second.status(id, 'NetStream.Publish.BadName', { orError: true });
  assert.match(String(status.description), /^18\/601: /, 'the encoder on B reads why');
  assert.equal(b.service.publishers.isLive('live', 'dup'), false);
  const [refused] = (await b.service.store.listRejectedAttempts({ limit: 10 })).items.filter((r) => r.stream === 'dup');
  assert.equal(refused?.breakCode, '18/601', 'B records the refusal');

  await ff.stop();
  await waitFor(
    'the lease given back',
    async () => (await b.service.coordinator.holder('live/dup')) === undefined,
    5000,
  );
  const third = await ScriptedRtmp.open(b.urls('dup').push.rtmp);
  const thirdId = await third.createStream();
  third.publish(thirdId, third.url.stream);
  await third.status(thirdId, 'NetStream.Publish.Start');
  assert.equal((await a.service.coordinator.holder('live/dup'))?.nodeId, 'b');
  await third.end();
  await waitFor('B released it', async () => (await a.service.coordinator.holder('live/dup')) === undefined, 5000);
});

test("node B answers for the cluster: the online list and the state show A's stream, and DropLiveStream sent to B drops it on A", async () => {
  const domain = b.service.defaults.push!.name;
  const domainA = a.service.defaults.push!.name;
  const ff = publish(a.urls('seen').push.rtmp);
  running.push(ff);
  await waitFor('live/seen publishing on A', () => a.service.publishers.isLive('live', 'seen'));
  await waitFor("A's cluster claim", async () => (await b.service.coordinator.holder('live/seen'))?.nodeId === 'a');
  const online = await clientB.DescribeLiveStreamOnlineList({ AppName: 'live', StreamName: 'seen' });
  assert.equal(online.TotalNum, 1);
  assert.equal(online.OnlineInfo?.[0]?.StreamName, 'seen');
  assert.equal(online.OnlineInfo?.[0]?.AppName, 'live');
  assert.equal(online.OnlineInfo?.[0]?.DomainName, domainA, 'the push domain A admitted it on');
  assert.match(String(online.OnlineInfo?.[0]?.PublishTimeList?.[0]?.PublishTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(
    (await clientB.DescribeLiveStreamState({ DomainName: domain, AppName: 'live', StreamName: 'seen' })).StreamState,
    'active',
  );
  await clientB.DropLiveStream({ DomainName: domain, AppName: 'live', StreamName: 'seen' });
  await waitFor('the publisher on A dropped', () => !a.service.publishers.isLive('live', 'seen'), 5000);
  await waitFor("A's record ended", async () =>
    (await a.service.store.listPublishRecords({ stream: 'seen' })).items.some((r) => r.breakCode !== null),
  );
  assert.equal((await a.service.store.listPublishRecords({ stream: 'seen' })).items[0]?.breakCode, '21/100');
  await ff.stop();
});

test('the replace policy across nodes: a signed newcomer on B takes over from the publisher on A, which gets 21/102', async () => {
  for (const node of [a, b]) await node.service.domains.setReplacePublisher(node.service.defaults.push!.name, true);
  try {
    const ff = publish(a.urls('rep').push.rtmp);
    running.push(ff);
    await waitFor('live/rep publishing on A', () => a.service.publishers.isLive('live', 'rep'));
    await waitFor("A's cluster claim", async () => (await b.service.coordinator.holder('live/rep'))?.nodeId === 'a');
    const newcomer = await ScriptedRtmp.open(b.urls('rep').push.rtmp);
    const id = await newcomer.createStream();
    newcomer.publish(id, newcomer.url.stream);
    await newcomer.status(id, 'NetStream.Publish.Start', { timeoutMs: 10_000 });
    assert.equal((await a.service.coordinator.holder('live/rep'))?.nodeId, 'b', 'the claim moved to B');
    assert.equal(a.service.publishers.isLive('live', 'rep'), false);
    await waitFor("A's record ended", async () =>
      (await a.service.store.listPublishRecords({ stream: 'rep' })).items.some((r) => r.breakCode !== null),
    );
    const [record] = (await a.service.store.listPublishRecords({ stream: 'rep' })).items;
    assert.equal(record?.breakCode, '21/102');
    assert.match(record?.reason ?? '', /^21\/102: a new publisher from 127\.0\.0\.1 replaced this one/);
    await newcomer.end();
    await ff.stop();
  } finally {
    for (const node of [a, b]) await node.service.domains.setReplacePublisher(node.service.defaults.push!.name, false);
  }
});

test('`openlive stream forbid` with cluster.redis set broadcasts too: the publisher on A is dropped', async () => {
  const domain = b.service.defaults.push!.name;
  await clientB.ResumeLiveStream({ DomainName: domain, AppName: 'live', StreamName: 'cam' });
  const ff = publish(a.urls('cam').push.rtmp);
  running.push(ff);
  await waitFor('live/cam publishing on A again', () => a.service.publishers.isLive('live', 'cam'));
  const config = configSchema.parse({ dataDir: b.dataDir, cluster: { redis: redis.url, nodeId: 'b' } });
  const out = await streamCommand({ config, store: b.service.store, nowMs: Date.now() }, ['forbid', 'live/cam'], {
    reason: 'from the CLI',
  });
  assert.match(out, /any node of the cluster is dropped/);
  await waitFor('the publisher on A dropped', () => !a.service.publishers.isLive('live', 'cam'), 5000);
  assert.deepEqual(
    (await a.service.coordinator.nodes()).map((n) => n.nodeId).sort(),
    ['a', 'b'],
    "the CLI is no node and left B's key alone",
  );
});

test('a node cut off from Redis longer than its lease drops the publisher whose claim it held (5/0, COORDINATOR_LEASE_LOST)', async () => {
  const own = await startRedis();
  const node = await startService({ cluster: { redis: own.url, nodeId: 'solo', leaseMs: 800 } });
  try {
    const ff = publish(node.urls('cam').push.rtmp);
    running.push(ff);
    await waitFor('live/cam publishing', () => node.service.publishers.isLive('live', 'cam'));
    // The claim admission takes for every publish (docs/cluster.md "For admission: the claim call").
    assert.equal((await node.service.coordinator.claim('live/cam')).ok, true);
    own.pause();
    await waitFor('the publisher dropped', () => !node.service.publishers.isLive('live', 'cam'), 10_000);
    await waitFor("the node's record ended", async () =>
      (await node.service.store.listPublishRecords({ stream: 'cam' })).items.some((r) => r.breakCode !== null),
    );
    const [record] = (await node.service.store.listPublishRecords({ stream: 'cam' })).items;
    assert.equal(record?.breakCode, '5/0');
    assert.match(record?.reason ?? '', /lost its cluster claim/);
    assert.equal(node.service.counters.errors.get('COORDINATOR_LEASE_LOST'), 1);
  } finally {
    own.resume();
    await node.close();
    await own.stop();
  }
});
