import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveError } from '../errors.ts';
import { Hub } from './hub.ts';
import { FakeSink, interframe, keyframe, labels, testHub, videoHeader } from './hub-test-kit.ts';

test('a second claim throws STREAM_ALREADY_PUBLISHING and the first publisher keeps going', () => {
  const { hub, clock } = testHub();
  const stream = hub.claim('live/a', { id: 'p1' });
  const sink = new FakeSink();
  hub.subscribe('live/a', sink);
  stream.publish(keyframe(0));
  assert.throws(
    () => hub.claim('live/a', { id: 'p2' }),
    (err) => err instanceof LiveError && err.code === 'STREAM_ALREADY_PUBLISHING',
  );
  hub.release(stream, 'p2'); // a release by the refused publisher must not end the first one
  assert.equal(stream.publisher?.id, 'p1');
  stream.publish(interframe(40));
  clock.advance(40);
  assert.deepEqual(labels(sink), ['K0', 'P40']);
  assert.equal(hub.stats().publishers, 1);
});

test('claims on different keys are independent; a released stream can be claimed again', () => {
  const { hub } = testHub();
  const a = hub.claim('live/a', { id: 'p1' });
  hub.claim('live/b', { id: 'p2' });
  hub.release(a, { id: 'p1' });
  assert.equal(hub.claim('live/a', { id: 'p3' }).publisher?.id, 'p3');
  assert.equal(hub.stats().publishers, 2);
});

test('a player waiting for the publisher starts when it claims, and gets its media', async () => {
  const { hub, clock } = testHub();
  const sink = new FakeSink('rtmp');
  const sub = hub.subscribe('live/a', sink);
  const waiting = sub.waitForPublisher(5000);
  clock.advance(1000);
  const stream = hub.claim('live/a', { id: 'p1' });
  assert.equal(await waiting, true);
  assert.equal(clock.pending, 0, 'the wait timer is cleared');
  stream.publish(videoHeader());
  stream.publish(keyframe(0));
  clock.advance(40);
  assert.deepEqual(
    sink.events.map((e) => e.type),
    ['started', 'write'],
  );
  assert.deepEqual(labels(sink), ['VH', 'K0']);
});

test('waitForPublisher resolves false on timeout, on abort and on close; true at once when live', async () => {
  const { hub, clock } = testHub();
  const sub = hub.subscribe('live/a', new FakeSink());
  const timedOut = sub.waitForPublisher(5000);
  clock.advance(4999);
  const aborter = new AbortController();
  const aborted = sub.waitForPublisher(5000, aborter.signal);
  const closed = sub.waitForPublisher(5000);
  clock.advance(1);
  assert.equal(await timedOut, false);
  aborter.abort();
  assert.equal(await aborted, false);
  sub.close();
  assert.equal(await closed, false);
  assert.equal(clock.pending, 0);

  hub.claim('live/b', { id: 'p1' });
  assert.equal(await hub.subscribe('live/b', new FakeSink()).waitForPublisher(10), true);
});

test('a stream with neither publisher nor subscribers leaves the hub', () => {
  const { hub } = testHub();
  const sub = hub.subscribe('live/a', new FakeSink());
  assert.ok(hub.get('live/a'), 'a player that comes first creates the entry');
  sub.close();
  assert.equal(hub.get('live/a'), undefined);

  const stream = hub.claim('live/b', { id: 'p1' });
  const player = hub.subscribe('live/b', new FakeSink());
  hub.release(stream, 'p1');
  assert.ok(hub.get('live/b'), 'an RTMP player that stays keeps the stream for the next publisher');
  player.close();
  assert.equal(hub.get('live/b'), undefined);
  assert.deepEqual([...hub.streams()], []);
  assert.equal(hub.stats().streams, 0);
});

test('stats total streams, publishers, subscribers, bytes in and out', () => {
  const { hub, clock } = testHub();
  const stream = hub.claim('live/a', { id: 'p1' });
  hub.subscribe('live/a', new FakeSink('flv'));
  hub.subscribe('live/a', new FakeSink('rtmp'));
  hub.subscribe('live/c', new FakeSink());
  stream.publish(keyframe(0, 'K', 100));
  clock.advance(40);
  assert.deepEqual(hub.stats(), {
    streams: 2,
    publishers: 1,
    subscribers: 3,
    relaySubscribers: 0,
    bytesIn: 100,
    messagesIn: 1,
    bytesOut: 104 + 105, // "flv:" and "rtmp:" prefixes of the fake encoders
    playerWrites: 2, // one write each for the two players of live/a
    droppedMessages: 0,
    stalledCloses: 0,
    reconnects: 0,
    graceExpiries: 0,
    codecsLeftOut: 0,
    reconnecting: 0,
  });
});

test('close() closes every subscriber once, stops timers, refuses new work, and is idempotent', () => {
  const { hub, clock } = testHub();
  const stream = hub.claim('live/a', { id: 'p1' });
  const live = new FakeSink();
  const waiting = new FakeSink();
  hub.subscribe('live/a', live);
  const waiter = hub.subscribe('live/b', waiting);
  void waiter.waitForPublisher(5000);
  stream.publish(keyframe(0));
  assert.ok(clock.pending > 0);
  hub.close();
  hub.close();
  assert.equal(clock.pending, 0);
  for (const sink of [live, waiting]) {
    assert.deepEqual(
      sink.events.filter((e) => e.type === 'close'),
      [{ type: 'close', reason: undefined }],
    );
  }
  assert.equal(stream.live, false);
  assert.deepEqual(hub.stats().subscribers, 0);
  assert.throws(
    () => hub.claim('live/a', { id: 'p2' }),
    (err) => (err as LiveError).code === 'STREAM_CLOSED',
  );
  assert.throws(
    () => hub.subscribe('live/a', new FakeSink()),
    (err) => (err as LiveError).code === 'STREAM_CLOSED',
  );
});

test('invalid options throw CONFIG_INVALID', () => {
  assert.throws(
    () => new Hub({ mergeWindowMs: -1 }),
    (err) => (err as LiveError).code === 'CONFIG_INVALID',
  );
  assert.throws(
    () => new Hub({ rtmpChunkSize: 64 }),
    (err) => (err as LiveError).code === 'CONFIG_INVALID',
  );
  assert.throws(
    () => new Hub({ subscriber: { maxQueueBytes: 0 } }),
    (err) => (err as LiveError).code === 'CONFIG_INVALID',
  );
});

test('the default encoders produce real RTMP chunks and FLV tags', () => {
  const hub = new Hub({ mergeWindowMs: 0 });
  const stream = hub.claim('live/a', { id: 'p1' });
  const flv = new FakeSink('flv');
  const rtmp = new FakeSink('rtmp');
  hub.subscribe('live/a', flv);
  hub.subscribe('live/a', rtmp);
  const frame = keyframe(1000, 'K', 5000);
  stream.publish(frame);
  const tag = flv.written[0]!;
  assert.equal(tag[0], 9, 'FLV TagType video');
  assert.equal(tag.readUIntBE(1, 3), 5000, 'FLV DataSize');
  assert.equal(tag.length, 11 + 5000 + 4, 'header, body and PreviousTagSize');
  const chunks = rtmp.written[0]!;
  // RTMP 1.0 §5.3.1: fmt 0 basic header, then timestamp, length and type id.
  assert.equal(chunks[0]! >> 6, 0);
  assert.equal(chunks.readUIntBE(1, 3), 1000);
  assert.equal(chunks.readUIntBE(4, 3), 5000);
  assert.equal(chunks[7], 9);
  // 5000 bytes in 4096-byte chunks: one fmt 3 continuation header.
  assert.equal(chunks.length, 12 + 5000 + 1);
  hub.close();
});
