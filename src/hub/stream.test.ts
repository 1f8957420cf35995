import { test } from 'node:test';
import { Buffer } from 'node:buffer';
import { MediaType, mediaMessage } from '../protocol/media.ts';
import assert from 'node:assert/strict';
import {
  FakeSink,
  audioFrame,
  audioHeader,
  interframe,
  keyframe,
  labels,
  metadataMessage,
  testHub,
  videoHeader,
} from './hub-test-kit.ts';

const pub = { id: 'p1' };

test('a late joiner gets metadata, video header, audio header, then the GOP from its keyframe', () => {
  const { hub, clock } = testHub();
  const stream = hub.claim('live/a', pub);
  for (const m of [metadataMessage(), videoHeader(), audioHeader(), keyframe(0), audioFrame(10), interframe(40)]) {
    stream.publish(m);
  }
  // A second GOP begins: the cache must restart at this keyframe.
  for (const m of [keyframe(80), audioFrame(90), interframe(120)]) stream.publish(m);

  const sink = new FakeSink('flv');
  hub.subscribe('live/a', sink);
  assert.deepEqual(
    sink.events.map((e) => e.type),
    ['started', 'write'],
    'publisherStarted comes before any media, and the join burst is one write',
  );
  assert.deepEqual(labels(sink), ['MD', 'VH', 'AH', 'K80', 'A90', 'P120']);

  stream.publish(interframe(160));
  stream.publish(audioFrame(170));
  clock.advance(40);
  assert.deepEqual(labels(sink).slice(6), ['P160', 'A170']);
});

test('two subscribers of one format get the same Buffer; a format nobody reads is never built', () => {
  const { hub, clock, encoders } = testHub();
  const stream = hub.claim('live/a', pub);
  const a = new FakeSink('flv');
  const b = new FakeSink('flv');
  hub.subscribe('live/a', a);
  hub.subscribe('live/a', b);
  stream.publish(videoHeader());
  stream.publish(keyframe(0));
  clock.advance(40);
  assert.equal(a.written.length, 2);
  for (let i = 0; i < 2; i++) assert.equal(a.written[i], b.written[i], `buffer ${i} is the same instance`);
  assert.equal(encoders.calls.flv, 2, 'one FLV encoding per message');
  assert.equal(encoders.calls.rtmp, 0, 'no RTMP reader, no RTMP encoding');

  const r = new FakeSink('rtmp');
  hub.subscribe('live/a', r);
  stream.publish(interframe(40));
  clock.advance(40);
  assert.equal(encoders.calls.rtmp, 3, 'the joining RTMP reader builds header, keyframe and the new frame once');
  assert.deepEqual(labels(r), ['VH', 'K0', 'P40']);
  assert.ok(r.written.every((buf) => buf.toString('latin1').startsWith('rtmp:')));
});

test('a publisher with no subscribers builds no encoding at all', () => {
  const { hub, encoders } = testHub();
  const stream = hub.claim('live/a', pub);
  for (let i = 0; i < 10; i++) stream.publish(i % 5 === 0 ? keyframe(i * 40) : interframe(i * 40));
  assert.deepEqual(encoders.calls, { rtmp: 0, flv: 0 });
  assert.equal(stream.stats().messagesIn, 10);
});

test('the publisher leaves and returns: pending data, publisherEnded, then publisherStarted and new headers', () => {
  const { hub, clock } = testHub();
  const sink = new FakeSink('rtmp');
  hub.subscribe('live/a', sink);
  let stream = hub.claim('live/a', pub);
  stream.publish(videoHeader('VH1'));
  stream.publish(keyframe(0));
  hub.release(stream, 'p1');
  assert.deepEqual(
    sink.events.map((e) => e.type),
    ['started', 'write', 'ended'],
    'what the publisher sent is written before publisherEnded',
  );
  assert.equal(stream.live, false);
  assert.equal(stream.videoHeader, undefined, 'headers are cleared');
  assert.equal(stream.gopPackets.length, 0, 'the GOP is cleared');

  stream = hub.claim('live/a', { id: 'p2' });
  assert.equal(sink.events.at(-1)?.type, 'started');
  stream.publish(videoHeader('VH2'));
  stream.publish(keyframe(0, 'K0b'));
  clock.advance(40);
  assert.deepEqual(labels(sink), ['VH1', 'K0', 'VH2', 'K0b'], 'nothing of the old publisher is replayed');

  const late = new FakeSink('rtmp');
  hub.subscribe('live/a', late);
  assert.deepEqual(labels(late), ['VH2', 'K0b']);
});

test('a new sequence header mid-stream reaches live subscribers and replaces the cached one', () => {
  const { hub, clock } = testHub();
  const stream = hub.claim('live/a', pub);
  const sink = new FakeSink();
  hub.subscribe('live/a', sink);
  stream.publish(videoHeader('VH1'));
  stream.publish(keyframe(0));
  stream.publish(videoHeader('VH2'));
  stream.publish(keyframe(40));
  clock.advance(40);
  assert.deepEqual(labels(sink), ['VH1', 'K0', 'VH2', 'K40']);
  assert.deepEqual(labels(joined(hub)), ['VH2', 'K40']);
});

test('@setDataFrame metadata is cached and sent as plain onMetaData; other script data is not cached', () => {
  const { hub, clock } = testHub();
  const stream = hub.claim('live/a', pub);
  const sink = new FakeSink();
  hub.subscribe('live/a', sink);
  stream.publish(metadataMessage('1', true));
  stream.publish(keyframe(0));
  stream.publish(mediaMessage(MediaType.Data, 10, Buffer.from('\x02\x00\x0aonCuePointCUE', 'latin1')));
  clock.advance(40);
  assert.equal(sink.written.length, 3, 'cue points reach live subscribers');
  const first = sink.written[0]!.subarray('flv:'.length);
  assert.equal(first.subarray(3, 13).toString(), 'onMetaData', 'the @setDataFrame wrapper is cut off');
  assert.equal(stream.metadata?.message.payload.subarray(3, 13).toString(), 'onMetaData');
  assert.deepEqual(labels(joined(hub)), ['MD1', 'K0']);
});

test('publish without a publisher is refused and counts nothing', () => {
  const { hub } = testHub();
  const stream = hub.claim('live/a', pub);
  hub.subscribe('live/a', new FakeSink());
  hub.release(stream, pub);
  assert.equal(stream.publish(keyframe(0)), false);
  assert.equal(hub.stats().messagesIn, 0);
});

test('stats count bytes and messages in, codec info per track, publisher and subscribers', () => {
  const { hub, clock } = testHub();
  clock.time = 5000;
  const stream = hub.claim('live/a', { id: 'p1', clientIp: '10.0.0.1' });
  hub.subscribe('live/a', new FakeSink());
  stream.setCodecInfo({ kind: 'video', codec: 'avc1', width: 1280 });
  stream.setCodecInfo({ codec: 'mp4a' }, 'audio');
  stream.publish(keyframe(0, 'K', 100));
  stream.publish(audioFrame(0, 'A', 20));
  const s = stream.stats();
  assert.equal(s.bytesIn, 120);
  assert.equal(s.messagesIn, 2);
  assert.equal(s.subscribers, 1);
  assert.equal(s.publishedAt, 5000);
  assert.equal(s.publisher?.clientIp, '10.0.0.1');
  assert.deepEqual(s.codecInfo, { video: { kind: 'video', codec: 'avc1', width: 1280 }, audio: { codec: 'mp4a' } });
  assert.equal(stream.hasVideo && stream.hasAudio, true);
});

function joined(hub: ReturnType<typeof testHub>['hub']): FakeSink {
  const sink = new FakeSink();
  hub.subscribe('live/a', sink);
  return sink;
}

test('with the GOP cache off for one stream, a joiner gets the headers and waits for the next keyframe', () => {
  const { hub, clock } = testHub();
  const stream = hub.claim('live/a', pub);
  stream.gopCacheEnabled = false;
  const other = hub.claim('live/b', { id: 'p2' });
  for (const s of [stream, other]) {
    s.publish(videoHeader());
    s.publish(keyframe(0));
    s.publish(interframe(40));
  }
  const sink = new FakeSink();
  const sub = hub.subscribe('live/a', sink);
  assert.deepEqual(labels(sink), ['VH']);
  stream.publish(interframe(80));
  stream.publish(audioFrame(90));
  stream.publish(keyframe(120));
  stream.publish(audioFrame(130));
  clock.advance(40);
  assert.deepEqual(labels(sink), ['VH', 'K120', 'A130']);
  assert.equal(sub.droppedMessages, 0, 'waiting for a first keyframe is not a drop');
  assert.deepEqual(labels(joinedTo(hub, 'live/b')), ['VH', 'K0', 'P40'], 'other streams keep their GOP');
});

function joinedTo(hub: ReturnType<typeof testHub>['hub'], key: string): FakeSink {
  const sink = new FakeSink();
  hub.subscribe(key, sink);
  return sink;
}

test('a player stuck with unsent bytes when the publisher leaves is closed after the stall timeout, without media', () => {
  const { hub, clock } = testHub({ subscriber: { stallTimeoutMs: 1000 } });
  const stream = hub.claim('live/a', { id: 'p1' });
  const stuck = new FakeSink();
  stuck.stuck = true;
  const reading = new FakeSink();
  hub.subscribe('live/a', stuck);
  hub.subscribe('live/a', reading);
  stream.publish(keyframe(0));
  clock.advance(100);
  assert.ok(stuck.bufferedBytes > 0);
  hub.release(stream, 'p1');
  clock.advance(999);
  assert.equal(stuck.events.at(-1)?.type, 'ended', 'not yet');
  clock.advance(1000);
  const last = stuck.events.at(-1);
  assert.ok(last?.type === 'close' && last.reason?.code === 'SUBSCRIBER_STALLED');
  assert.equal(hub.stats().subscribers, 1, 'the reading player still waits for the next publisher');
  assert.equal(clock.pending, 0, 'no check runs while nobody is stuck');
  assert.ok(!reading.events.some((e) => e.type === 'close'));
});

test('the stall check stops when the publisher returns', () => {
  const { hub, clock } = testHub({ subscriber: { stallTimeoutMs: 1000 } });
  const stream = hub.claim('live/a', { id: 'p1' });
  const stuck = new FakeSink();
  stuck.stuck = true;
  hub.subscribe('live/a', stuck);
  stream.publish(keyframe(0));
  clock.advance(100);
  hub.release(stream, 'p1');
  assert.equal(clock.pending, 1);
  hub.claim('live/a', { id: 'p2' });
  assert.equal(clock.pending, 0);
});
