import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { mediaMessage, MediaType } from '../../protocol/media.ts';
import type { VideoInfo } from '../../protocol/codec/media-info.ts';
import { callbackSign } from '../../control/callbacks/callback-sign.ts';
import type { CallbackTemplate, CallbackUrls } from '../../store/callback-store.ts';
import type { OutgoingCallback } from './callback-deliverer.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { recoveredReason } from '../../control/publish-records.ts';
import { PublishCallbacks } from './publish-callbacks.ts';

const t0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const urls: CallbackUrls = {
  streamBegin: 'http://rx/begin',
  streamEnd: 'http://rx/end',
  pushException: 'http://rx/321',
};
const video: VideoInfo = { kind: 'video', codec: 'H264', width: 1280, height: 720 };
const avcHeader = mediaMessage(MediaType.Video, 0, Buffer.from([0x17, 0x00, 0, 0, 0, 1]));
const avcKey = (ts: number) => mediaMessage(MediaType.Video, ts, Buffer.from([0x17, 0x01, 0, 0, 0, 0x65]));
const metadata = mediaMessage(MediaType.Data, 0, Buffer.from([2, 0, 0]));

/**
 * PublishCallbacks over a memory store: the fake deliverer writes each callback to the store's queue as
 * the real one does (which is what removes an open push), at the fake clock's time.
 */
function setup(
  template: Partial<CallbackTemplate> | undefined | Error,
  store = new MemoryStore(),
  clock = { now: t0 },
) {
  const queued: OutgoingCallback[] = [];
  const resolved: Array<[string, string]> = [];
  const callbacks = new PublishCallbacks({
    config: {
      resolve: async (domain, app) => {
        resolved.push([domain, app]);
        if (template instanceof Error) throw template;
        return (
          template && {
            id: 1,
            name: 't',
            description: '',
            callbackKey: 'key',
            urls,
            createdAt: 0,
            updatedAt: 0,
            ...template,
          }
        );
      },
    },
    deliverer: {
      enqueue: async (c) => {
        await store.callbacks.addCallbackDelivery({ ...c, createdAt: clock.now, nextAt: clock.now });
        queued.push(c);
      },
    },
    openPushes: store.callbacks,
    log: pino({ level: 'silent' }),
    appId: 1250000000,
    reportIntervalMs: 60_000,
    timeoutMs: 20_000,
    random: () => Buffer.from([0, 0, 0, 0, 0, 0, 0, 42]),
  });
  const start = {
    domain: 'push.example.com',
    app: 'live',
    stream: 'demo',
    clientIp: '::ffff:10.0.0.7',
    serverIp: '127.0.0.1',
    query: 'txSecret=ab&txTime=1',
    startedAt: t0,
  };
  return {
    callbacks,
    start,
    queued,
    resolved,
    store,
    bodies: () => queued.map((q) => JSON.parse(q.body) as Record<string, unknown>),
  };
}

test('push then interruption, one sequence: the push waits for the video header to report the picture size', async () => {
  const { callbacks, start, queued, resolved, bodies } = setup({});
  const session = callbacks.onPublish(start);
  session.onMedia(metadata, t0 + 5, undefined);
  await callbacks.flush();
  assert.equal(queued.length, 0, 'metadata alone does not start the push event');
  session.onMedia(avcHeader, t0 + 6, video);
  session.onMedia(avcKey(0), t0 + 7, video);
  session.onEnd({
    breakCode: '1/0',
    reason: '1/0: the encoder stopped publishing',
    endedAt: t0 + 90_500,
    width: 1280,
    height: 720,
  });
  await callbacks.flush();
  assert.deepEqual(resolved, [['push.example.com', 'live']]);
  assert.deepEqual(
    queued.map((q) => [q.url, q.eventType, q.eventTime, q.stream, q.sequence]),
    [
      ['http://rx/begin', 1, t0, 'demo', '42'],
      ['http://rx/end', 0, t0 + 90_500, 'demo', '42'],
    ],
  );
  const [push, end] = bodies();
  assert.deepEqual(
    [push!.width, push!.height, push!.event_time, push!.user_ip, push!.appid, push!.stream_param],
    [1280, 720, t0 / 1000, '10.0.0.7', 1250000000, 'txSecret=ab&txTime=1'],
  );
  assert.equal(push!.sign, callbackSign('key', t0 / 1000 + 600));
  assert.deepEqual(
    [end!.errcode, end!.errmsg, end!.push_duration, end!.event_time, end!.sequence],
    [1, '1/0: the encoder stopped publishing', '90500', t0 / 1000 + 90, '42'],
  );
});

test('a publish that ends before any media still sends its push event first, with a 0 x 0 picture', async () => {
  const { callbacks, start, bodies } = setup({});
  callbacks.onPublish(start).onEnd({ breakCode: '20/0', reason: '20/0: no media', endedAt: t0 + 15_000 });
  await callbacks.flush();
  assert.deepEqual(
    bodies().map((b) => [b.event_type, b.width, b.height]),
    [
      [1, 0, 0],
      [0, 0, 0],
    ],
  );
});

test('nothing is queued without a bound template, for a missing URL kind, or when the lookup fails', async () => {
  for (const template of [undefined, { urls: { streamEnd: 'http://rx/end' } }, new Error('store down')]) {
    const { callbacks, start, queued } = setup(template);
    const s = callbacks.onPublish(start);
    s.onMedia(avcHeader, t0, video);
    s.onEnd({ breakCode: '1/0', reason: 'r', endedAt: t0 + 1 });
    await callbacks.flush();
    const expected = template && !(template instanceof Error) ? ['http://rx/end'] : [];
    assert.deepEqual(
      queued.map((q) => q.url),
      expected,
    );
  }
});

test('push errors go out once per interval in which some occurred, between the push and the interruption', async () => {
  const { callbacks, start, bodies } = setup({});
  const s = callbacks.onPublish(start);
  await callbacks.flush();
  s.onMedia(avcHeader, t0, video);
  s.onMedia(avcKey(0), t0, video);
  s.onMedia(avcKey(40), t0 + 5000, video); // arrived 5 s after the one before: type 6
  s.onMedia(avcKey(80), t0 + 60_000, video); // late too; the interval is over: both are reported now
  s.onMedia(avcKey(120), t0 + 60_040, video);
  s.onMedia(avcKey(160), t0 + 130_000, video); // late: reported at once, the next interval being over
  s.onMedia(avcKey(200), t0 + 130_040, video);
  s.onMedia(avcKey(240), t0 + 150_000, video); // late, in an interval that is not over: reported at the end
  s.onEnd({ breakCode: '1/0', reason: 'r', endedAt: t0 + 150_100 });
  await callbacks.flush();
  const all = bodies();
  assert.deepEqual(
    all.map((b) => b.event_type),
    [1, 321, 321, 321, 0],
  );
  const reports = all.filter((b) => b.event_type === 321) as Array<{
    data_time: number;
    abnormal_event: Array<{ type: number; count: number }>;
    sequence: string;
  }>;
  assert.deepEqual(
    reports.map((r) => [r.data_time - t0, r.abnormal_event.map((e) => [e.type, e.count])]),
    [
      [60_000, [[6, 2]]],
      [130_000, [[6, 1]]],
      [150_100, [[6, 1]]],
    ],
  );
  assert.ok(all.every((b) => b.sequence === '42'));
});

test('a template without a push-error URL gets no 321 events', async () => {
  const { callbacks, start, bodies } = setup({ urls: { streamBegin: 'http://rx/begin', streamEnd: 'http://rx/end' } });
  const s = callbacks.onPublish(start);
  await callbacks.flush();
  s.onMedia(avcKey(0), t0, video);
  s.onMedia(avcKey(40), t0 + 70_000, video);
  s.onEnd({ breakCode: '1/0', reason: 'r', endedAt: t0 + 70_001 });
  await callbacks.flush();
  assert.deepEqual(
    bodies().map((b) => b.event_type),
    [1, 0],
  );
});

test('a live push is remembered as open until its interruption is queued; one that never went live is not', async () => {
  const { callbacks, start, store } = setup({});
  const s = callbacks.onPublish(start);
  s.onMedia(avcHeader, t0 + 6, video);
  await callbacks.flush();
  assert.deepEqual(await store.callbacks.listOpenPushes(), [
    {
      sequence: '42',
      url: 'http://rx/end',
      callbackKey: 'key',
      appId: 1250000000,
      domain: 'push.example.com',
      app: 'live',
      stream: 'demo',
      clientIp: '::ffff:10.0.0.7',
      serverIp: '127.0.0.1',
      query: 'txSecret=ab&txTime=1',
      width: 1280,
      height: 720,
      startedAt: t0,
    },
  ]);
  s.onEnd({ breakCode: '1/0', reason: 'r', endedAt: t0 + 9000 });
  await callbacks.flush();
  assert.deepEqual(await store.callbacks.listOpenPushes(), []);

  callbacks.onPublish({ ...start, stream: 'short' }).onEnd({ breakCode: '20/0', reason: 'r', endedAt: t0 + 1 });
  await callbacks.flush();
  assert.deepEqual(await store.callbacks.listOpenPushes(), []);
  const noEndUrl = setup({ urls: { streamBegin: 'http://rx/begin' } });
  noEndUrl.callbacks.onPublish(start).onMedia(avcHeader, t0, video);
  await noEndUrl.callbacks.flush();
  assert.deepEqual(
    await noEndUrl.store.callbacks.listOpenPushes(),
    [],
    'no interruption is owed without a StreamEnd URL',
  );
});

test("after a kill, the next start queues the open push's interruption: 5/0, same sequence, duration up to the recovery", async () => {
  const store = new MemoryStore();
  const first = setup({}, store);
  first.callbacks.onPublish(first.start).onMedia(avcHeader, t0 + 6, video);
  await first.callbacks.flush();
  // The process dies here: no onEnd. The next start, 7 minutes later, has a fresh PublishCallbacks on the same store.
  const clock = { now: t0 + 420_000 };
  const second = setup({ callbackKey: 'changed since' }, store, clock);
  assert.equal(await second.callbacks.recoverOpenPushes(clock.now), 1);
  assert.deepEqual(
    second.queued.map((q) => [q.url, q.eventType, q.eventTime, q.stream, q.sequence]),
    [['http://rx/end', 0, clock.now, 'demo', '42']],
  );
  const [end] = second.bodies();
  assert.deepEqual(end, {
    app: 'push.example.com',
    appid: 1250000000,
    appname: 'live',
    channel_id: 'demo',
    stream_id: 'demo',
    event_type: 0,
    event_time: clock.now / 1000,
    sequence: '42',
    node: '127.0.0.1',
    user_ip: '10.0.0.7',
    stream_param: 'txSecret=ab&txTime=1',
    width: 1280,
    height: 720,
    errcode: 5,
    errmsg: recoveredReason,
    push_duration: '420000',
    t: clock.now / 1000 + 600,
    sign: callbackSign('key', clock.now / 1000 + 600),
  });
  assert.match(recoveredReason, /^5\/0: the server stopped while this stream was live/);
  assert.deepEqual(await store.callbacks.listOpenPushes(), []);
  assert.deepEqual(
    (await store.callbacks.listCallbackDeliveries(10)).map((d) => [d.eventType, d.sequence]),
    [
      [1, '42'],
      [0, '42'],
    ],
  );
  assert.equal(await second.callbacks.recoverOpenPushes(clock.now + 1), 0, 'a second start owes nothing');
});

test('a chunk size over 8192 set by the encoder is reported as push error type 5; 8192 is not', async () => {
  const { callbacks, start, bodies } = setup({});
  const s = callbacks.onPublish(start);
  s.onChunkSize?.(8192, t0);
  s.onChunkSize?.(16384, t0 + 1);
  s.onMedia(avcHeader, t0 + 2, video);
  s.onEnd({ breakCode: '1/0', reason: 'r', endedAt: t0 + 3000 });
  await callbacks.flush();
  const all = bodies();
  assert.deepEqual(
    all.map((b) => b.event_type),
    [1, 321, 0],
  );
  const [event] = all[1]!.abnormal_event as Array<{
    type: number;
    count: number;
    detail: Array<{ desc: string; occur_time: number }>;
  }>;
  assert.deepEqual([event!.type, event!.count, event!.detail[0]!.occur_time], [5, 1, t0 + 1]);
  assert.match(event!.detail[0]!.desc, /16384/);
});
