import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { AccessPolicy } from './access-policy.ts';
import { bootstrap, bootstrapSetting, demoUrls } from './bootstrap.ts';
import { Domains } from './domains.ts';

const t0 = Date.UTC(2026, 10, 25, 10, 0, 0);

test('the first start creates default push and play domains with push auth on and a 32-hex key', async () => {
  const store = new MemoryStore();
  const b = await bootstrap({ store, now: () => t0 });
  assert.equal(b.created, true);
  assert.deepEqual([b.push?.name, b.push?.type, b.push?.auth.enabled], ['push.localhost', 'push', true]);
  assert.match(b.push?.auth.key ?? '', /^[0-9a-f]{32}$/);
  assert.deepEqual([b.play?.name, b.play?.type, b.play?.auth.enabled], ['play.localhost', 'play', false]);
  assert.equal(await store.getSetting('domain.default.push'), 'push.localhost');
  assert.equal(await store.getSetting('domain.default.play'), 'play.localhost');
  assert.equal(await store.getSetting(bootstrapSetting), new Date(t0).toISOString());
  const other = await bootstrap({ store: new MemoryStore(), now: () => t0 });
  assert.notEqual(other.push?.auth.key, b.push?.auth.key, 'keys are random');
});

test('later starts change nothing and return the defaults as they are now', async () => {
  const store = new MemoryStore();
  const first = await bootstrap({ store, now: () => t0 });
  const again = await bootstrap({ store, now: () => t0 + 1000 });
  assert.deepEqual(again, { ...first, created: false });
  assert.equal((await store.listDomains()).total, 2);
  await new Domains({ store, now: () => t0 }).delete('push.localhost');
  const later = await bootstrap({ store, now: () => t0 });
  assert.equal(later.push, undefined, 'a deleted default is not recreated');
  assert.equal(demoUrls(later, { host: '127.0.0.1', rtmpPort: 1935, httpPort: 8080 }, t0), undefined);
});

test('a start that died half-way is finished without duplicates', async () => {
  const store = new MemoryStore();
  await new Domains({ store, now: () => t0, generateKey: () => 'kept' }).add({ name: 'push.localhost', type: 'push' });
  const b = await bootstrap({ store, now: () => t0 });
  assert.equal(b.push?.auth.key, 'kept');
  assert.equal((await store.listDomains()).total, 2);
});

test('the banner URLs are signed for 24 h and the access policy accepts them on 127.0.0.1 (non-strict)', async () => {
  const store = new MemoryStore();
  const b = await bootstrap({ store, now: () => t0, generateKey: () => 'e12c46f2612d5106e2034781ab261ca3' });
  const urls = demoUrls(b, { host: '127.0.0.1', rtmpPort: 1935, httpPort: 8080 }, t0);
  assert.ok(urls?.play);
  const txTime = (t0 / 1000 + 86400).toString(16).toUpperCase();
  assert.match(
    urls.push.rtmp,
    new RegExp(`^rtmp://127\\.0\\.0\\.1/live/demo\\?txSecret=[0-9a-f]{32}&txTime=${txTime}$`),
  );
  assert.equal(urls.push.obsServer, 'rtmp://127.0.0.1/live/');
  assert.equal(`${urls.push.obsServer}${urls.push.obsStreamKey}`, urls.push.rtmp);
  assert.deepEqual(urls.play, {
    rtmp: 'rtmp://127.0.0.1/live/demo',
    flv: 'http://127.0.0.1:8080/live/demo.flv',
    hls: 'http://127.0.0.1:8080/live/demo.m3u8',
  });
  const clock = { now: t0 + 86400_000 };
  const policy = new AccessPolicy({ store, now: () => clock.now, strict: false });
  const url = new URL(urls.push.rtmp);
  const publish = {
    app: 'live',
    stream: 'demo',
    query: url.searchParams,
    protocol: 'rtmp' as const,
    host: '127.0.0.1',
    clientIp: '127.0.0.1',
  };
  assert.deepEqual(await policy.checkPublish(publish), {
    allowed: true,
    domain: 'push.localhost',
    replacePublisher: false,
  });
  assert.equal(
    (
      await policy.checkPlay({
        protocol: 'flv',
        app: 'live',
        stream: 'demo',
        query: new URLSearchParams(),
        host: '127.0.0.1:8080',
        clientIp: '127.0.0.1',
      })
    ).allowed,
    true,
  );
  clock.now = t0 + (86400 + 301) * 1000;
  assert.equal((await policy.checkPublish(publish)).allowed, false, 'expired after 24 h + AuthDelta');
});
