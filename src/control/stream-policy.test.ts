import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { AccessPolicy } from './access-policy.ts';
import { Domains } from './domains.ts';
import { StreamPolicy, type LivePublisherInfo, type LivePublishers } from './stream-policy.ts';

const t0 = Date.UTC(2026, 10, 25, 10, 0, 0);
const day = 86400_000;

/** A hub stand-in: a table of live publishers that remembers every drop. */
class FakeLive implements LivePublishers {
  readonly publishers: LivePublisherInfo[] = [];
  readonly drops: { app: string; stream: string; breakCode: string; reason: string }[] = [];
  add(app: string, stream: string, domain = 'push.example.com', startedAt = t0): void {
    this.publishers.push({
      app,
      stream,
      domain,
      clientIp: '10.0.0.1',
      startedAt,
      bytesIn: 0,
      width: 1280,
      height: 720,
    });
  }
  isLive(app: string, stream: string): boolean {
    return this.publishers.some((p) => p.app === app && p.stream === stream);
  }
  drop(app: string, stream: string, breakCode: string, reason: string): boolean {
    const i = this.publishers.findIndex((p) => p.app === app && p.stream === stream);
    if (i < 0) return false;
    this.publishers.splice(i, 1);
    this.drops.push({ app, stream, breakCode, reason });
    return true;
  }
  list(): LivePublisherInfo[] {
    return [...this.publishers];
  }
}

async function setup() {
  const store = new MemoryStore();
  const clock = { now: t0 };
  const live = new FakeLive();
  const domains = new Domains({ store, now: () => clock.now, generateKey: () => 'k' });
  await domains.add({ name: 'push.example.com', type: 'push', auth: { enabled: false } });
  await domains.add({ name: 'push2.example.com', type: 'push', auth: { enabled: false } });
  await domains.add({ name: 'play.example.com', type: 'play' });
  const streams = new StreamPolicy({ store, live, now: () => clock.now });
  const access = new AccessPolicy({ store, now: () => clock.now, strict: true });
  return { store, clock, live, streams, access };
}

const publish = (stream = 'demo', host = 'push.example.com') => ({
  app: 'live',
  stream,
  query: new URLSearchParams(),
  protocol: 'rtmp' as const,
  host,
  clientIp: '10.0.0.9',
});

test('drop kicks a live publisher with 21/100; dropping a stream that is not live is STREAM_NOT_LIVE', async () => {
  const { live, streams } = await setup();
  live.add('live', 'demo');
  await streams.drop('live', 'demo');
  assert.deepEqual(live.drops, [
    {
      app: 'live',
      stream: 'demo',
      breakCode: '21/100',
      reason: '21/100: the operator dropped this stream; reconnecting is allowed',
    },
  ]);
  await assert.rejects(streams.drop('live', 'demo'), { code: 'STREAM_NOT_LIVE' });
  live.add('live', 'demo');
  await assert.rejects(streams.drop('live', 'demo', 'push2.example.com'), { code: 'STREAM_NOT_LIVE' }, 'other domain');
});

test('forbid drops the live stream with 21/101, refuses publishes with 18/305 until the time, and resume lifts it', async () => {
  const { live, streams, access, clock } = await setup();
  live.add('live', 'demo');
  const f = await streams.forbid({ app: 'live', stream: 'demo', reason: 'off-topic' });
  assert.deepEqual(f, {
    app: 'live',
    stream: 'demo',
    domain: '',
    until: t0 + 7 * day,
    reason: 'off-topic',
    createdAt: t0,
  });
  assert.deepEqual(
    live.drops.map((d) => [d.breakCode, d.reason]),
    [['21/101', '21/101: the operator forbade this stream until 2026-12-02T10:00:00Z: off-topic']],
  );
  const refused = await access.checkPublish(publish());
  assert.equal(!refused.allowed && refused.breakCode, '18/305');
  assert.equal(await streams.state('live', 'demo'), 'forbid');
  assert.equal((await access.checkPublish(publish('other'))).allowed, true, 'other streams are unaffected');
  assert.equal(await streams.resume('live', 'demo'), true);
  assert.equal(await streams.resume('live', 'demo'), false);
  assert.equal((await access.checkPublish(publish())).allowed, true);
  await streams.forbid({ app: 'live', stream: 'demo', until: t0 + 60_000 });
  clock.now = t0 + 60_000;
  assert.equal((await access.checkPublish(publish())).allowed, true, 'a forbid ends at its time');
  assert.equal(await streams.state('live', 'demo'), 'inactive');
});

test('a forbid on one push domain leaves the same stream name on another domain alone', async () => {
  const { live, streams, access } = await setup();
  live.add('live', 'demo', 'push2.example.com');
  const f = await streams.forbid({ app: 'live', stream: 'demo', domain: 'PUSH.example.com' });
  assert.equal(f.domain, 'push.example.com');
  assert.equal(live.drops.length, 0);
  assert.equal((await access.checkPublish(publish('demo', 'push2.example.com'))).allowed, true);
  assert.equal((await access.checkPublish(publish('demo', 'push.example.com'))).allowed, false);
  assert.equal(await streams.state('live', 'demo', 'push.example.com'), 'forbid');
  assert.equal(await streams.state('live', 'demo', 'push2.example.com'), 'active');
  assert.equal(await streams.resume('live', 'demo', 'push.example.com'), true);
});

test('forbid limits: at most 90 days, in the future, a reason of at most 2048 bytes, valid names and a push domain', async () => {
  const { streams, store } = await setup();
  await streams.forbid({ app: 'live', stream: 'a', until: t0 + 90 * day, reason: '禁'.repeat(682) }); // 2046 bytes
  const bad = [
    { until: t0 + 90 * day + 1 },
    { until: t0 },
    { until: Number.NaN },
    { reason: 'x'.repeat(2049) },
    { reason: '禁'.repeat(683) },
  ];
  for (const over of bad)
    await assert.rejects(streams.forbid({ app: 'live', stream: 'a', ...over }), { code: 'FORBID_INVALID' });
  await assert.rejects(streams.forbid({ app: 'live', stream: 'a/b' }), { code: 'STREAM_NAME_INVALID' });
  await assert.rejects(streams.forbid({ app: '', stream: 'a' }), { code: 'APP_NAME_INVALID' });
  await assert.rejects(streams.forbid({ app: 'live', stream: 'a', domain: 'nope.example.com' }), {
    code: 'DOMAIN_NOT_FOUND',
  });
  await assert.rejects(streams.forbid({ app: 'live', stream: 'a', domain: 'play.example.com' }), {
    code: 'DOMAIN_TYPE_MISMATCH',
  });
  assert.equal((await store.listForbidden()).total, 1, 'refused forbids are not stored');
});

test('listForbidden shows only forbids in force; state and listLive report live streams', async () => {
  const { live, streams, clock } = await setup();
  await streams.forbid({ app: 'live', stream: 'short', until: t0 + 1000 });
  await streams.forbid({ app: 'live', stream: 'long' });
  clock.now = t0 + 1000;
  assert.deepEqual(
    (await streams.listForbidden()).items.map((f) => f.stream),
    ['long'],
  );
  live.add('live', 'b', 'push2.example.com', t0 + 5);
  live.add('live', 'a', 'push.example.com', t0 + 1);
  live.add('other', 'c', 'push.example.com', t0 + 3);
  assert.equal(await streams.state('live', 'a'), 'active');
  assert.equal(await streams.state('live', 'zzz'), 'inactive');
  assert.deepEqual(
    streams.listLive().map((p) => p.stream),
    ['a', 'c', 'b'],
  );
  assert.deepEqual(
    streams.listLive({ domain: 'push.example.com', app: 'live' }).map((p) => p.stream),
    ['a'],
  );
  assert.equal(streams.listLive()[0]?.width, 1280);
});
