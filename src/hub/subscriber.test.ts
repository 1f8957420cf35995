import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveError } from '../errors.ts';
import {
  FakeSink,
  audioFrame,
  audioHeader,
  fakeEncoders,
  interframe,
  keyframe,
  labels,
  testHub,
  videoHeader,
} from './hub-test-kit.ts';

const pub = { id: 'p1' };
// Fake encodings are "flv:" + payload; a 1000-byte payload makes a 1004-byte buffer.
const frameBytes = 1004;

test('overflow drops the backlog, skips to the next keyframe, resends headers and counts the drops', () => {
  const { hub, clock, logger } = testHub({ subscriber: { maxQueueBytes: 5 * frameBytes } });
  const stream = hub.claim('live/a', pub);
  stream.publish(videoHeader());
  stream.publish(keyframe(0, 'K0', 1000));
  const sink = new FakeSink();
  const sub = hub.subscribe('live/a', sink);
  assert.deepEqual(labels(sink), ['VH', 'K0']);
  sink.bufferedBytes = 2 * frameBytes; // the socket still holds two frames

  // Three frames fit next to the two the socket holds; the fourth overflows.
  for (let i = 1; i <= 4; i++) stream.publish(interframe(i * 40, `P${i}`, 1000));
  assert.equal(sub.droppedMessages, 4, 'the three pending frames and the one that did not fit');
  stream.publish(audioFrame(170, 'A', 1000));
  stream.publish(interframe(200, 'P5', 1000));
  assert.equal(sub.droppedMessages, 6, 'everything up to the next keyframe is dropped');
  clock.advance(40);
  assert.deepEqual(labels(sink), ['VH', 'K0'], 'nothing was written while skipping');

  sink.bufferedBytes = 0; // the reader caught up
  stream.publish(keyframe(240, 'K1', 1000));
  stream.publish(interframe(280, 'P6', 1000));
  clock.advance(40);
  assert.deepEqual(labels(sink), ['VH', 'K0', 'K1', 'P6'], 'resumes at the keyframe');
  assert.equal(hub.stats().droppedMessages, 6);
  const warnings = logger.lines.filter((l) => l.level === 'warn');
  assert.equal(warnings.length, 1, 'one aggregate log line, not one per frame');
  assert.equal((warnings[0]!.obj as { dropped: number }).dropped, 6);
});

test('a keyframe that overflows replaces the backlog at once', () => {
  const { hub, clock } = testHub({ subscriber: { maxQueueBytes: 3 * frameBytes } });
  const stream = hub.claim('live/a', pub);
  const sink = new FakeSink();
  const sub = hub.subscribe('live/a', sink);
  stream.publish(keyframe(0, 'K0', 1000));
  stream.publish(interframe(40, 'P1', 1000));
  stream.publish(interframe(80, 'P2', 1000));
  stream.publish(keyframe(120, 'K1', 1000));
  clock.advance(40);
  assert.deepEqual(labels(sink), ['K1']);
  assert.equal(sub.droppedMessages, 3);
});

test('the duration limit counts the frames the sink has not flushed', () => {
  const { hub, clock } = testHub({ subscriber: { maxQueueMs: 1000 } });
  const stream = hub.claim('live/a', pub);
  const sink = new FakeSink();
  const sub = hub.subscribe('live/a', sink);
  stream.publish(keyframe(0));
  sink.stuck = true; // K0 and everything after stays in the socket
  clock.advance(40);
  for (let ts = 40; ts <= 1000; ts += 40) {
    stream.publish(interframe(ts));
    clock.advance(40);
  }
  assert.equal(sub.droppedMessages, 0, 'exactly 1000 ms behind is still within the limit');
  stream.publish(interframe(1040));
  assert.equal(sub.droppedMessages, 1, '1040 ms after the oldest unflushed frame overflows');
  sink.stuck = false;
  sink.bufferedBytes = 0;
  stream.publish(keyframe(1080));
  clock.advance(40);
  assert.equal(labels(sink).at(-1), 'K1080');
});

test('audio-only overflow drops the backlog and keeps going without waiting for a keyframe', () => {
  const { hub, clock } = testHub({ subscriber: { maxQueueBytes: 3 * frameBytes } });
  const stream = hub.claim('live/a', pub);
  stream.publish(audioHeader());
  const sink = new FakeSink();
  const sub = hub.subscribe('live/a', sink);
  sink.bufferedBytes = frameBytes;
  for (let i = 0; i < 3; i++) stream.publish(audioFrame(i * 20, `A${i}`, 1000));
  assert.equal(sub.droppedMessages, 2);
  sink.bufferedBytes = 0;
  stream.publish(audioFrame(60, 'A3', 1000));
  clock.advance(40);
  assert.deepEqual(labels(sink), ['AH', 'A2', 'A3'], 'audio resumes at once, after its header');
});

test('a stalled sink is closed with SUBSCRIBER_STALLED and its memory stays bounded', () => {
  const maxQueueBytes = 20 * frameBytes;
  const { hub, clock } = testHub({ subscriber: { maxQueueBytes, stallTimeoutMs: 30_000 } });
  const stream = hub.claim('live/a', pub);
  const sink = new FakeSink();
  sink.stuck = true;
  const sub = hub.subscribe('live/a', sink);
  let ts = 0;
  while (clock.time < 29_960) {
    stream.publish(ts % 2000 === 0 ? keyframe(ts, 'K', 1000) : interframe(ts, 'P', 1000));
    assert.ok(sink.bufferedBytes + sub.pendingBytes <= maxQueueBytes, `bounded at ${ts} ms`);
    clock.advance(40);
    ts += 40;
  }
  assert.equal(sub.closed, false);
  stream.publish(interframe(ts, 'P', 1000));
  clock.advance(40);
  stream.publish(interframe(ts + 40, 'P', 1000));
  assert.equal(sub.closed, true);
  const close = sink.events.at(-1);
  assert.ok(close?.type === 'close' && close.reason instanceof LiveError);
  assert.equal(close.reason.code, 'SUBSCRIBER_STALLED');
  assert.equal(hub.stats().stalledCloses, 1);
  assert.equal(stream.subscribers.length, 0);
});

test('a slow reader that keeps draining is not stalled', () => {
  const { hub, clock } = testHub({ subscriber: { stallTimeoutMs: 1000 } });
  const stream = hub.claim('live/a', pub);
  const sink = new FakeSink();
  const sub = hub.subscribe('live/a', sink);
  stream.publish(keyframe(0));
  for (let ts = 40; ts < 5000; ts += 40) {
    sink.bufferedBytes = 50_000 - ts; // never empty, but shrinking between writes
    stream.publish(interframe(ts));
    clock.advance(40);
  }
  assert.equal(sub.closed, false);
});

test('onDrain counts as progress', () => {
  const { hub, clock } = testHub({ subscriber: { stallTimeoutMs: 1000 } });
  const stream = hub.claim('live/a', pub);
  const sink = new FakeSink();
  const sub = hub.subscribe('live/a', sink);
  sink.bufferedBytes = 100;
  stream.publish(keyframe(0));
  clock.advance(900);
  sub.onDrain();
  clock.advance(900);
  stream.publish(interframe(40));
  assert.equal(sub.closed, false);
  clock.advance(200);
  stream.publish(interframe(80));
  assert.equal(sub.closed, true);
});

test('a sink whose write throws is closed with that error; other subscribers carry on', () => {
  const { hub, clock } = testHub();
  const stream = hub.claim('live/a', pub);
  const bad = new FakeSink();
  bad.write = () => {
    throw new Error('EPIPE');
  };
  const good = new FakeSink();
  const badSub = hub.subscribe('live/a', bad);
  hub.subscribe('live/a', good);
  stream.publish(keyframe(0));
  clock.advance(40);
  assert.equal(badSub.closed, true);
  const close = bad.events.at(-1);
  assert.ok(close?.type === 'close');
  assert.equal(close.reason?.code, 'INTERNAL');
  stream.publish(interframe(40));
  clock.advance(40);
  assert.deepEqual(labels(good), ['K0', 'P40']);
});

test('the glue closing a subscriber detaches it without calling the sink back; idempotent', () => {
  const { hub, clock } = testHub();
  const stream = hub.claim('live/a', pub);
  const sink = new FakeSink();
  const sub = hub.subscribe('live/a', sink);
  stream.publish(keyframe(0));
  sub.close();
  sub.close();
  clock.advance(40);
  assert.deepEqual(sink.events, [{ type: 'started' }], 'no close callback, and pending media is not written');
  assert.equal(sub.closed, true);
  assert.equal(hub.stats().subscribers, 0);
  assert.equal(stream.subscribers.length, 0);
});

test('a subscriber closed from its own publisherStarted gets no media', () => {
  const { hub } = testHub();
  const stream = hub.claim('live/a', pub);
  stream.publish(keyframe(0));
  const sink = new FakeSink();
  sink.onStarted = (s) => s.subscribers[0]!.close();
  hub.subscribe('live/a', sink);
  assert.deepEqual(
    sink.events.map((e) => e.type),
    ['started'],
  );
});

test('a header dropped by an overflow, or changed while skipping, is sent before the resuming keyframe', () => {
  const { hub, clock } = testHub({ subscriber: { maxQueueBytes: 3 * frameBytes } });
  const stream = hub.claim('live/a', pub);
  const sink = new FakeSink();
  sink.stuck = true;
  const sub = hub.subscribe('live/a', sink);
  stream.publish(videoHeader('VH1'));
  stream.publish(keyframe(0, 'K0', 1000));
  for (let i = 1; i <= 3; i++) stream.publish(interframe(i * 40, `P${i}`, 1000)); // VH1 is dropped here
  stream.publish(videoHeader('VH2')); // and the stream's header changes while skipping
  clock.advance(40);
  assert.ok(sub.droppedMessages > 0);
  sink.stuck = false;
  sink.bufferedBytes = 0;
  stream.publish(keyframe(200, 'K1', 1000));
  clock.advance(40);
  assert.deepEqual(labels(sink), ['VH2', 'K1']);
});

test('an encoder or sink callback that throws closes only that subscriber, never the publisher', () => {
  const encoders = fakeEncoders();
  const { hub, clock } = testHub({
    encoders: {
      flv: encoders.flv,
      rtmp: () => {
        throw new LiveError('RTMP_MESSAGE_TOO_LARGE', 'too large');
      },
    },
  });
  const flv = new FakeSink('flv');
  const rtmp = new FakeSink('rtmp');
  const grumpy = new FakeSink('flv');
  grumpy.publisherStarted = () => {
    throw new Error('boom');
  };
  hub.subscribe('live/a', flv);
  hub.subscribe('live/a', rtmp);
  hub.subscribe('live/a', grumpy);
  const stream = hub.claim('live/a', pub);
  assert.equal(stream.publish(keyframe(0)), true);
  clock.advance(40);
  assert.deepEqual(labels(flv), ['K0']);
  const closeOf = (sink: FakeSink) => sink.events.find((e) => e.type === 'close');
  assert.deepEqual(closeOf(rtmp), { type: 'close', reason: new LiveError('RTMP_MESSAGE_TOO_LARGE', 'too large') });
  assert.equal(closeOf(grumpy)?.type === 'close' && closeOf(grumpy)?.reason?.code, 'INTERNAL');
  assert.equal(stream.subscribers.length, 1);
});
