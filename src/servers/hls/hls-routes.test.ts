import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse as LightResponse } from 'fastify';
import { PlayAdmission } from '../../control/admission-play.ts';
import { allowAll, type Access } from '../../control/access.ts';
import { FakeClock, testHub } from '../../hub/hub-test-kit.ts';
import { createLog } from '../../log.ts';
import { ServerCounters } from '../counters.ts';
import { buildHttpApp } from '../http/app.ts';
import { configSchema } from '../../config/config-schema.ts';
import { resolveHlsOptions, type HlsOptions } from './hls-options.ts';
import { HlsServer } from './hls-server.ts';
import { FakeMuxer, feed, headers, packetLabels, parsePlaylist } from './hls-test-kit.ts';

/**
 * The HTTP app with HLS on a fake clock; the publisher is driven by hand. Unless `cold`, a viewer
 * has already opened the stream, so media is segmented from the first frame.
 */
function setup(opts: HlsOptions = {}, access: Access = allowAll, cold = false) {
  const clock = new FakeClock();
  clock.time = 1_700_000_000_000;
  const { hub } = testHub({ now: clock.now, timers: clock });
  let muxers = 0;
  let pushes = 0;
  const newMuxer = () => {
    muxers++;
    const m = new FakeMuxer();
    const push = m.push.bind(m);
    m.push = (msg) => (pushes++, push(msg));
    return m;
  };
  // One segment is enough here: these tests drive the publisher by hand (the default of 2 has its own test).
  const options = resolveHlsOptions({ now: clock.now, startSegments: 1, ...opts });
  const hls = new HlsServer({ hub, options, logger: hub.options.logger, timers: clock, newMuxer });
  hls.start();
  const limits = configSchema.parse({}).http;
  const app = buildHttpApp({
    hub,
    admission: new PlayAdmission({ access }),
    counters: new ServerCounters(),
    log: createLog('silent'),
    playWaitMs: 100,
    flvChunked: false,
    hls,
    limits,
    trustedNetworks: [],
  });
  const t0 = clock.time;
  const media = { media: (m: Parameters<ReturnType<typeof hub.claim>['publish']>[0]) => stream.publish(m) };
  const stream = hub.claim('live/cam', { id: 'p1' });
  headers(media);
  if (!cold) hls.open('live/cam', 'cam');
  /** Publishes media time [from, to) ms, moving the clock along with it. */
  const play = (from: number, to: number, options = {}) =>
    feed({ media: (m) => ((clock.time = t0 + m.timestamp), stream.publish(m)) }, undefined, from, to, options);
  return { clock, hub, hls, app, stream, play, muxers: () => muxers, pushes: () => pushes };
}

/**
 * Starts a request and, once it is parked on the stream (bounded: 5 s), returns it still pending,
 * boxed: an async function returning the thenable itself would wait for the response.
 */
async function begin(app: FastifyInstance, hls: HlsServer, url: string): Promise<{ response: Promise<LightResponse> }> {
  const parked = hls.stats().waiting;
  const response = Promise.resolve(app.inject({ method: 'GET', url }));
  const deadline = Date.now() + 5000;
  while (hls.stats().waiting === parked) {
    if (Date.now() > deadline) throw new Error(`${url} never parked`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { response };
}

test(
  'an unknown or idle stream: a clear JSON 404 with CORS, and no segmenter is started for it',
  { timeout: 10_000 },
  async () => {
    const { app, hls } = setup({}, allowAll, true);
    const res = await app.inject('/live/nobody.m3u8');
    assert.equal(res.statusCode, 404);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(res.json().code, 'STREAM_NOT_FOUND');
    assert.equal(hls.stats().streams, 0);
    const seg = await app.inject('/live/nobody/abc_1.ts');
    assert.equal(seg.statusCode, 404);
    assert.equal(seg.json().code, 'STREAM_NOT_FOUND');
  },
);

test(
  'the first viewer of a cold stream waits for the first segment; then playlist and segment headers',
  { timeout: 10_000 },
  async () => {
    const { app, play, hls } = setup({}, allowAll, true);
    play(0, 1500);
    assert.equal(hls.stats().streams, 0, 'nobody watched yet: no segmenter');
    const { response: pending } = await begin(app, hls, '/live/cam.m3u8');
    assert.equal(hls.stats().streams, 1);
    // The replayed GOP starts at the 1 s keyframe; the segment closes on the 3 s one.
    play(1500, 3100);
    const res = await pending;
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/vnd.apple.mpegurl');
    assert.equal(res.headers['cache-control'], 'public, max-age=1');
    assert.equal(res.headers['access-control-allow-origin'], '*');
    const p = parsePlaylist(res.body);
    assert.equal(p.segments.length, 1);
    assert.deepEqual(
      packetLabels((await app.inject(`/live/${p.segments[0]!.uri}`)).rawPayload).slice(0, 2),
      ['TABLES', 'K1000'],
      'the GOP cache was replayed',
    );

    const seg = await app.inject(`/live/${p.segments[0]!.uri}`);
    assert.equal(seg.statusCode, 200);
    assert.equal(seg.headers['content-type'], 'video/mp2t');
    assert.equal(seg.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(seg.headers['accept-ranges'], 'bytes');
    assert.equal(Number(seg.headers['content-length']), seg.rawPayload.length);
    assert.equal(seg.rawPayload.length % 188, 0);

    const head = await app.inject({ method: 'HEAD', url: `/live/${p.segments[0]!.uri}` });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-length'], seg.headers['content-length']);
    assert.equal(head.rawPayload.length, 0);
    const headPlaylist = await app.inject({ method: 'HEAD', url: '/live/cam.m3u8' });
    assert.equal(headPlaylist.statusCode, 200);
    assert.equal(Number(headPlaylist.headers['content-length']), Buffer.byteLength(res.body));
  },
);

test(
  'by default the first playlist of a cold stream waits for two whole segments, a start buffer for hls.js',
  { timeout: 10_000 },
  async () => {
    const { app, play, hls } = setup({ startSegments: 2 }, allowAll, true);
    play(0, 1500);
    const { response: pending } = await begin(app, hls, '/live/cam.m3u8');
    const parked = hls.stats().waiting;
    play(1500, 3100);
    // A segment wakes its waiters synchronously (change-waiters.ts notify): still parked means not answered.
    assert.equal(hls.stats().waiting, parked, 'one segment is not enough to start on');
    play(3100, 5100);
    const res = await pending;
    assert.equal(res.statusCode, 200);
    assert.equal(parsePlaylist(res.body).segments.length, 2);
  },
);

test(
  'byte ranges on segments: 206 with Content-Range, suffix ranges, 416 past the end',
  { timeout: 10_000 },
  async () => {
    const { app, play } = setup();
    play(0, 2100);
    const p = parsePlaylist((await app.inject('/live/cam.m3u8')).body);
    const url = `/live/${p.segments[0]!.uri}`;
    const whole = (await app.inject(url)).rawPayload;
    const r = await app.inject({ url, headers: { range: 'bytes=188-375' } });
    assert.equal(r.statusCode, 206);
    assert.equal(r.headers['content-range'], `bytes 188-375/${whole.length}`);
    assert.ok(r.rawPayload.equals(whole.subarray(188, 376)));
    const tail = await app.inject({ url, headers: { range: 'bytes=-188' } });
    assert.ok(tail.rawPayload.equals(whole.subarray(whole.length - 188)));
    const past = await app.inject({ url, headers: { range: `bytes=${whole.length}-` } });
    assert.equal(past.statusCode, 416);
    assert.equal(past.headers['content-range'], `bytes */${whole.length}`);
  },
);

test('expired segments and segments of an earlier run are clear JSON 404s', { timeout: 10_000 }, async () => {
  const { app, play } = setup({ windowSegments: 2, retainSegments: 1 });
  play(0, 2100);
  const first = parsePlaylist((await app.inject('/live/cam.m3u8')).body).segments[0]!.uri;
  play(2100, 12_100);
  const gone = await app.inject(`/live/${first}`);
  assert.equal(gone.statusCode, 404);
  assert.equal(gone.json().code, 'HLS_SEGMENT_NOT_FOUND');
  assert.match(gone.json().message, /expired/);
  const other = await app.inject(`/live/${first.replace(/^cam\/[0-9a-z]+_/, 'cam/zz_')}`);
  assert.equal(other.json().code, 'HLS_SEGMENT_NOT_FOUND');
  assert.match(other.json().message, /earlier run/);
  const garbage = await app.inject('/live/cam/../../etc/passwd');
  assert.equal(garbage.statusCode, 404);
});

test(
  'play auth: a refused playlist or segment is the policy error; a signed playlist signs its segment URIs',
  { timeout: 10_000 },
  async () => {
    const access: Access = {
      ...allowAll,
      checkPlay: (req) =>
        Promise.resolve(
          req.query.get('txSecret') === 'good' && req.protocol === 'hls'
            ? { allowed: true }
            : {
                allowed: false,
                code: 'SIGNATURE_INVALID',
                breakCode: '18/503',
                reason: '18/503 the signature does not match',
              },
        ),
    };
    const { app, play } = setup({}, access);
    play(0, 2100);
    const refused = await app.inject('/live/cam.m3u8');
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().code, 'SIGNATURE_INVALID');
    const ok = await app.inject('/live/cam.m3u8?txSecret=good&txTime=6a000000&player=x');
    const uri = parsePlaylist(ok.body).segments[0]!.uri;
    assert.match(uri, /\?txSecret=good&txTime=6a000000$/, 'only the signature travels to segment URIs');
    assert.equal((await app.inject(`/live/${uri}`)).statusCode, 200);
    const bare = await app.inject(`/live/${uri.split('?')[0]}`);
    assert.equal(bare.statusCode, 403);
  },
);

test(
  'LL-HLS blocking reload: waits for the part, 400 too far ahead or part without msn, 503 after three target durations',
  { timeout: 10_000 },
  async () => {
    const { app, play, clock, hls } = setup({ lowLatencyDomains: ['*'] });
    play(0, 2100);
    const p = parsePlaylist((await app.inject('/live/cam.m3u8')).body);
    assert.equal(p.serverControl?.['CAN-BLOCK-RELOAD'], 'YES');
    const res0 = await app.inject('/live/cam.m3u8');
    assert.equal(res0.headers['cache-control'], 'no-cache');
    // Segment 1 is in progress with one closed part (2.00–2.32 s is still open at 2.1 s: none closed).
    const { response: pending } = await begin(app, hls, '/live/cam.m3u8?_HLS_msn=1&_HLS_part=1');
    play(2100, 2500);
    assert.equal(hls.stats().waiting, 1, 'part 1 closes only at 2.64 s');
    play(2500, 2700);
    const res = await pending;
    assert.equal(res.statusCode, 200);
    assert.ok(parsePlaylist(res.body).pendingParts.length >= 2);

    const far = await app.inject('/live/cam.m3u8?_HLS_msn=9');
    assert.equal(far.statusCode, 400);
    assert.equal(far.json().code, 'HLS_RELOAD_INVALID');
    const farPart = await app.inject('/live/cam.m3u8?_HLS_msn=1&_HLS_part=40');
    assert.equal(farPart.statusCode, 400);
    const noMsn = await app.inject('/live/cam.m3u8?_HLS_part=1');
    assert.equal(noMsn.statusCode, 400);

    const { response: stuck } = await begin(app, hls, '/live/cam.m3u8?_HLS_msn=3');
    clock.advance(3 * 2 * 1000);
    const timedOut = await stuck;
    assert.equal(timedOut.statusCode, 503);
    assert.equal(timedOut.json().code, 'HLS_NOT_READY');
  },
);

test('a plain-HLS domain ignores delivery directives and gets no LL tags', { timeout: 10_000 }, async () => {
  const { app, play } = setup({ lowLatencyDomains: ['ll.example.com'] });
  play(0, 2100);
  const res = await app.inject('/live/cam.m3u8?_HLS_msn=5&_HLS_part=2');
  assert.equal(res.statusCode, 200);
  assert.ok(!res.body.includes('#EXT-X-PART'));
});

test('a hinted part is held until it exists, then served', { timeout: 10_000 }, async () => {
  const { app, play, hls } = setup({ lowLatencyDomains: ['*'] });
  play(0, 2100);
  const hint = parsePlaylist((await app.inject('/live/cam.m3u8')).body).preloadHint!;
  assert.match(hint, /_1_0\.ts$/);
  const { response: pending } = await begin(app, hls, `/live/${hint}`);
  play(2100, 2400);
  const res = await pending;
  assert.equal(res.statusCode, 200);
  assert.deepEqual(packetLabels(res.rawPayload).slice(0, 2), ['TABLES', 'K2000']);
});

test(
  'idle streams cost nothing: the segmenter stops after idleTimeoutMs without requests; always-on keeps it',
  { timeout: 10_000 },
  async () => {
    const { app, play, hls, hub, clock, muxers, pushes } = setup({ idleTimeoutMs: 5000 });
    play(0, 2100);
    await app.inject('/live/cam.m3u8');
    assert.equal(muxers(), 1);
    play(2100, 4000);
    clock.advance(1000);
    assert.equal(hls.stats().streams, 1, 'watched 2.9 s ago');
    play(4000, 8000);
    clock.advance(1000);
    assert.equal(hls.stats().streams, 0, 'nobody asked for 5 s: stopped');
    assert.equal(hls.stats().bytes, 0);
    const muxed = pushes();
    play(8000, 20_000);
    assert.equal(pushes(), muxed, 'nothing is muxed for a stream nobody watches');
    assert.equal(muxers(), 1);
    assert.equal(hub.get('live/cam')?.live, true, 'the publisher goes on');
    const { response: again } = await begin(app, hls, '/live/cam.m3u8');
    play(20_000, 22_100);
    assert.equal((await again).statusCode, 200, 'the next viewer starts it again');
    assert.equal(muxers(), 2);

    const on = setup({ alwaysOn: true, idleTimeoutMs: 5000 });
    assert.equal(on.hls.stats().streams, 1, 'always on: segmenting from the publish');
    on.play(0, 30_000);
    on.clock.advance(1000);
    assert.equal(on.hls.stats().streams, 1);
    assert.ok(on.hls.stats().segments > 0);
  },
);

test('close() releases parked requests and stops every segmenter', { timeout: 10_000 }, async () => {
  const { app, play, hls } = setup({ lowLatencyDomains: ['*'] });
  play(0, 2100);
  await app.inject('/live/cam.m3u8');
  const { response: pending } = await begin(app, hls, '/live/cam.m3u8?_HLS_msn=2');
  hls.close();
  const res = await pending;
  assert.equal(res.statusCode, 503);
  assert.equal(hls.stats().streams, 0);
});

test(
  'disk storage: finished segments are files, served from disk once out of memory, deleted as they expire',
  { timeout: 10_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openlive-hls-disk-'));
    try {
      const { app, play, hls } = setup({ storage: 'disk', dir, windowSegments: 3, retainSegments: 1 });
      play(0, 2100);
      const first = parsePlaylist((await app.inject('/live/cam.m3u8')).body).segments[0]!.uri;
      const inMemory = (await app.inject(`/live/${first}`)).rawPayload;
      play(2100, 8100);
      const folder = () => (existsSync(dir) ? readdirSync(dir).flatMap((d) => readdirSync(join(dir, d))) : []);
      await waitUntil(() => folder().length >= 4);
      await waitUntil(() => hls.get('live/cam')!.segment(0)!.bytes === undefined);
      assert.ok(hls.stats().bytes < inMemory.length * 4, 'older segments left memory once on disk');
      const fromDisk = await app.inject(`/live/${first}`);
      assert.equal(fromDisk.statusCode, 200);
      assert.ok(fromDisk.rawPayload.equals(inMemory), 'the file holds the same bytes');
      const ranged = await app.inject({ url: `/live/${first}`, headers: { range: 'bytes=188-375' } });
      assert.ok(ranged.rawPayload.equals(inMemory.subarray(188, 376)));
      play(8100, 14_100);
      await waitUntil(() => !folder().includes(first.split('/')[1]!));
      // Window plus retained segments stay on disk; the writes finish asynchronously.
      await waitUntil(() => folder().length === 4);
      assert.deepEqual(
        folder().sort(),
        hls
          .get('live/cam')!
          .segments.map((x) => `${x.msn}`)
          .map((m) => `${first.split('/')[1]!.split('_')[0]}_${m}.ts`)
          .sort(),
      );
      hls.close();
      await waitUntil(() => readdirSync(dir).length === 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

/** Polls real file-system effects (bounded: 5 s). */
async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test(
  'parked requests are capped per address (429 HLS_WAITERS_PER_IP) and in total (503 HLS_WAITERS_FULL), with Retry-After',
  { timeout: 10_000 },
  async () => {
    const { app, play, hls } = setup({ lowLatencyDomains: ['*'], maxBlockingWaitersPerIp: 2, maxBlockingWaiters: 3 });
    play(0, 2100);
    assert.equal((await app.inject('/live/cam.m3u8')).statusCode, 200);
    const url = '/live/cam.m3u8?_HLS_msn=2';
    const parkFrom = async (remoteAddress: string) => {
      const parked = hls.stats().waiting;
      const response = Promise.resolve(app.inject({ method: 'GET', url, remoteAddress }));
      while (hls.stats().waiting === parked) await new Promise((resolve) => setTimeout(resolve, 5));
      return { response };
    };
    const held = [await parkFrom('10.0.0.1'), await parkFrom('10.0.0.1')];
    const perIp = await app.inject({ method: 'GET', url, remoteAddress: '10.0.0.1' });
    assert.equal(perIp.statusCode, 429);
    assert.equal(perIp.json().code, 'HLS_WAITERS_PER_IP');
    assert.equal(perIp.headers['retry-after'], '1');
    assert.equal(perIp.headers['access-control-allow-origin'], '*');
    held.push(await parkFrom('10.0.0.2'));
    const full = await app.inject({ method: 'GET', url, remoteAddress: '10.0.0.3' });
    assert.equal(full.statusCode, 503);
    assert.equal(full.json().code, 'HLS_WAITERS_FULL');
    assert.equal(hls.stats().waiting, 3);
    assert.equal(hls.stats().waitingAddresses, 2);
    play(2100, 6500);
    for (const { response } of held) assert.equal((await response).statusCode, 200);
    assert.equal(hls.stats().waiting, 0);
    assert.equal(hls.parking.parked, 0, 'every slot came back');
  },
);
