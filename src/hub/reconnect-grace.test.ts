import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MediaType, type MediaMessage } from '../protocol/media.ts';
import { MemoryBudget } from './memory-budget.ts';
import type { MediaTap } from './media-tap.ts';
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

const graceMs = 5000;

/** A tap that records every call and the raw messages (with their rebased timestamps). */
function recordingTap(pausable: boolean): MediaTap & { events: string[]; messages: MediaMessage[] } {
  const events: string[] = [];
  const messages: MediaMessage[] = [];
  const tap: MediaTap & { events: string[]; messages: MediaMessage[] } = {
    events,
    messages,
    publisherStarted: () => events.push('started'),
    media: (m) => messages.push(m),
    publisherEnded: () => events.push('ended'),
  };
  if (pausable) tap.publisherPaused = () => events.push('paused');
  return tap;
}

function publishGop(stream: { publish(m: MediaMessage): boolean }, suffix: string, start = 0): void {
  for (const m of [
    metadataMessage(suffix),
    videoHeader(`VH${suffix}`),
    audioHeader(`AH${suffix}`),
    keyframe(start, `K${suffix}`),
    audioFrame(start + 23, `A${suffix}`),
    interframe(start + 40, `P${suffix}`),
    audioFrame(start + 46, `B${suffix}`),
  ]) {
    stream.publish(m);
  }
}

test('a publisher back within the grace takes the same Stream: players stay, get its headers, no end and no new start', () => {
  const { hub, clock } = testHub({ reconnectGraceMs: graceMs });
  const flv = new FakeSink('flv');
  const rtmp = new FakeSink('rtmp');
  hub.subscribe('live/a', flv);
  hub.subscribe('live/a', rtmp);
  const first = hub.claim('live/a', { id: 'p1' });
  publishGop(first, '1');
  hub.release(first, 'p1');
  assert.deepEqual(
    flv.events.map((e) => e.type),
    ['started', 'write'],
    'what p1 sent is written; no publisherEnded',
  );
  assert.equal(first.reconnecting, true);
  assert.equal(first.live, false);
  assert.equal(first.gopPackets.length, 0, 'the GOP cache is cleared');
  assert.equal(first.videoHeader, undefined);
  assert.equal(hub.stats().reconnecting, 1);

  clock.advance(graceMs - 1);
  const second = hub.claim('live/a', { id: 'p2' });
  assert.equal(second, first, 'the same Stream object');
  assert.equal(second.reconnecting, false);
  publishGop(second, '2');
  clock.advance(40);
  for (const sink of [flv, rtmp]) {
    assert.deepEqual(
      sink.events.map((e) => e.type).filter((t) => t !== 'write'),
      ['started'],
      'one start, no end',
    );
    assert.deepEqual(labels(sink), [
      'MD1',
      'VH1',
      'AH1',
      'K1',
      'A1',
      'P1',
      'B1',
      'MD2',
      'VH2',
      'AH2',
      'K2',
      'A2',
      'P2',
      'B2',
    ]);
  }
  clock.advance(graceMs * 2);
  assert.ok(!flv.events.some((e) => e.type === 'ended'), 'the cancelled grace timer never fires');
  assert.equal(hub.stats().reconnects, 1);
  assert.equal(hub.stats().publishers, 1);
});

test('the grace expires without a publisher: players end as without a grace, and the next publish starts anew', () => {
  const { hub, clock } = testHub({ reconnectGraceMs: graceMs });
  const sink = new FakeSink('rtmp');
  hub.subscribe('live/a', sink);
  const tap = recordingTap(true);
  hub.tap('live/a', tap);
  const stream = hub.claim('live/a', { id: 'p1' });
  publishGop(stream, '1', 1000);
  hub.release(stream, 'p1');
  clock.advance(graceMs - 1);
  assert.equal(sink.events.at(-1)?.type, 'write');
  assert.deepEqual(tap.events, ['started', 'paused']);
  clock.advance(1);
  assert.equal(sink.events.at(-1)?.type, 'ended', 'publisherEnded when the grace runs out');
  assert.deepEqual(tap.events, ['started', 'paused', 'ended']);
  assert.equal(stream.reconnecting, false);
  assert.deepEqual(
    { expiries: hub.stats().graceExpiries, reconnects: hub.stats().reconnects, reconnecting: hub.stats().reconnecting },
    { expiries: 1, reconnects: 0, reconnecting: 0 },
  );

  hub.claim('live/a', { id: 'p2' }).publish(keyframe(0, 'Knew'));
  assert.equal(sink.events.filter((e) => e.type === 'started').length, 2, 'a new start, as before the grace existed');
  assert.equal(tap.messages.at(-1)?.timestamp, 0, 'a fresh timeline: no rebase after an expired grace');
});

test('timestamps continue after the last one sent: one offset per stream, one frame interval on', () => {
  const { hub } = testHub({ reconnectGraceMs: graceMs });
  const tap = recordingTap(false);
  hub.tap('live/a', tap);
  const stream = hub.claim('live/a', { id: 'p1' });
  publishGop(stream, '1', 10_000); // last video 10040, last audio 10046; intervals 40 (video), 23 (audio)
  hub.release(stream, 'p1');
  hub.claim('live/a', { id: 'p2' });
  publishGop(stream, '2', 0);
  const second = tap.messages.slice(7).map((m) => m.timestamp);
  assert.deepEqual(
    second,
    [0, 10_086, 10_086, 10_086, 10_109, 10_126, 10_132],
    'last sent 10046 + 40, same offset for all but onMetaData',
  );
  // onMetaData stays at 0: ffmpeg reads a script tag at another time as a `text` stream (seen on a node
  // whose player joined after an encoder moved to it).
  assert.equal(stream.metadata?.timestamp, 0);
  assert.deepEqual(
    tap.events,
    ['started', 'ended', 'started'],
    'a tap without publisherPaused sees an end and a start',
  );

  // A second reconnect continues from the rebased timeline, not from the encoder's.
  hub.release(stream, 'p2');
  hub.claim('live/a', { id: 'p3' });
  stream.publish(keyframe(500, 'K3'));
  assert.equal(tap.messages.at(-1)?.timestamp, 10_132 + 40);
  assert.equal(stream.gopPackets[0]?.timestamp, 10_172, 'the cache holds the rebased packets that players get');
});

test('property: across a reconnect every track stays strictly increasing, whatever both encoders send', () => {
  const track = fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 20 });
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 31 }),
      track,
      track,
      fc.integer({ min: 0, max: 2 ** 31 }),
      track,
      track,
      (s1, v1, a1, s2, v2, a2) => {
        const { hub } = testHub({ reconnectGraceMs: graceMs });
        const tap = recordingTap(false);
        hub.tap('live/a', tap);
        const stream = hub.claim('live/a', { id: 'p1' });
        const feed = (start: number, video: number[], audio: number[]) => {
          const vs = steps(start, video).map((ts, i) => (i === 0 ? keyframe(ts) : interframe(ts)));
          const as = steps(start, audio).map((ts) => audioFrame(ts));
          for (const m of [...vs, ...as].sort((x, y) => x.timestamp - y.timestamp)) stream.publish(m);
        };
        feed(s1, v1, a1);
        const before = tap.messages.length;
        hub.release(stream, 'p1');
        hub.claim('live/a', { id: 'p2' });
        feed(s2, v2, a2);
        const lastOld = Math.max(...tap.messages.slice(0, before).map((m) => m.timestamp));
        for (const type of [MediaType.Video, MediaType.Audio]) {
          const ts = tap.messages.filter((m) => m.type === type).map((m) => m.timestamp);
          for (let i = 1; i < ts.length; i++)
            assert.ok(ts[i]! > ts[i - 1]!, `track ${type}: ${ts[i - 1]} then ${ts[i]}`);
        }
        assert.ok(
          tap.messages.slice(before).every((m) => m.timestamp > lastOld),
          'every new message after the last old one',
        );
      },
    ),
    { numRuns: 200 },
  );
});

function steps(start: number, deltas: number[]): number[] {
  const out: number[] = [];
  let t = start;
  for (const d of deltas) out.push((t += d));
  return out;
}

test('a returning publisher that starts mid-GOP: its inter frames wait for a keyframe, new headers go first', () => {
  const { hub, clock } = testHub({ reconnectGraceMs: graceMs });
  const sink = new FakeSink('flv');
  hub.subscribe('live/a', sink);
  const stream = hub.claim('live/a', { id: 'p1' });
  publishGop(stream, '1');
  hub.release(stream, 'p1');
  hub.claim('live/a', { id: 'p2' });
  // A relay joins mid-GOP: inter frames, audio, then (a codec change) new headers only after a frame.
  stream.publish(interframe(0, 'Pearly'));
  stream.publish(audioFrame(10, 'Aearly'));
  stream.publish(videoHeader('VH640'));
  stream.publish(interframe(40, 'Pearly2'));
  stream.publish(keyframe(80, 'K640'));
  clock.advance(40);
  assert.deepEqual(
    labels(sink).slice(7),
    ['Aearly', 'VH640', 'K640'],
    'no undecodable frame; the header before the keyframe',
  );
  assert.equal(
    stream.videoHeader?.message.payload.includes('VH640'),
    true,
    'the new header is the cached one for joiners',
  );
});

test('after the return, players that stayed and players that join get the new header before the first keyframe', () => {
  const { hub, clock } = testHub({ reconnectGraceMs: graceMs });
  const early = new FakeSink('flv');
  hub.subscribe('live/a', early);
  const stream = hub.claim('live/a', { id: 'p1' });
  publishGop(stream, '1');
  hub.release(stream, 'p1');
  hub.claim('live/a', { id: 'p2' });
  stream.publish(videoHeader('VH2'));
  // A player that joins during the new publish's first moments, after its header went by: the join burst has it.
  const late = new FakeSink('flv');
  hub.subscribe('live/a', late);
  stream.publish(keyframe(0, 'K2'));
  clock.advance(40);
  assert.deepEqual(labels(early).slice(7), ['VH2', 'K2']);
  assert.deepEqual(labels(late), ['VH2', 'K2']);
});

test('a player that joins during the grace waits, then starts normally with the returning publisher', async () => {
  const { hub, clock } = testHub({ reconnectGraceMs: graceMs });
  hub.subscribe('live/a', new FakeSink());
  const stream = hub.claim('live/a', { id: 'p1' });
  publishGop(stream, '1');
  hub.release(stream, 'p1');
  const joiner = new FakeSink('rtmp');
  const sub = hub.subscribe('live/a', joiner);
  assert.equal(joiner.events.length, 0, 'nothing to play yet');
  const live = sub.waitForPublisher(10_000);
  clock.advance(1000);
  hub.claim('live/a', { id: 'p2' });
  publishGop(stream, '2');
  clock.advance(40);
  assert.deepEqual(joiner.events.map((e) => e.type).slice(0, 1), ['started']);
  assert.deepEqual(labels(joiner), ['MD2', 'VH2', 'AH2', 'K2', 'A2', 'P2', 'B2']);
  assert.equal(await live, true);
});

test('release with grace false (drop, forbid) ends the players at once; so does Hub.close() during a grace', () => {
  const { hub, clock } = testHub({ reconnectGraceMs: graceMs });
  const a = new FakeSink();
  hub.subscribe('live/a', a);
  const sa = hub.claim('live/a', { id: 'p1' });
  hub.release(sa, 'p1', { grace: false });
  assert.equal(a.events.at(-1)?.type, 'ended');
  assert.equal(sa.reconnecting, false);

  const b = new FakeSink();
  hub.subscribe('live/b', b);
  const sb = hub.claim('live/b', { id: 'p2' });
  hub.release(sb, 'p2');
  assert.equal(sb.reconnecting, true);
  hub.close();
  const last = b.events.at(-1);
  assert.ok(last?.type === 'close' && last.reason === undefined, 'closed cleanly with the hub');
  assert.equal(clock.pending, 0, 'no grace timer left behind');
});

test('no grace without players; the last player leaving ends the grace and frees the stream', () => {
  const { hub, clock } = testHub({ reconnectGraceMs: graceMs });
  const alone = hub.claim('live/a', { id: 'p1' });
  hub.release(alone, 'p1');
  assert.equal(alone.reconnecting, false);
  assert.equal(hub.get('live/a'), undefined, 'nobody to keep it for');

  const sub = hub.subscribe('live/b', new FakeSink());
  const stream = hub.claim('live/b', { id: 'p2' });
  hub.release(stream, 'p2');
  assert.equal(stream.reconnecting, true);
  sub.close();
  assert.equal(hub.get('live/b'), undefined);
  assert.equal(stream.reconnecting, false);
  assert.equal(clock.pending, 0);
  assert.notEqual(hub.claim('live/b', { id: 'p3' }), stream, 'a later publish is a new stream');
});

test('with reconnectGraceMs 0 the players end at once, as before', () => {
  const { hub } = testHub({ reconnectGraceMs: 0 });
  const sink = new FakeSink();
  hub.subscribe('live/a', sink);
  const stream = hub.claim('live/a', { id: 'p1' });
  hub.release(stream, 'p1');
  assert.equal(sink.events.at(-1)?.type, 'ended');
  assert.throws(() => testHub({ reconnectGraceMs: -1 }), { code: 'CONFIG_INVALID' });
});

test('memory during a grace: the GOP is freed, the budget counts only what players hold, a stalled player is still closed', () => {
  const budget = new MemoryBudget(1024 * 1024);
  const { hub, clock } = testHub({
    reconnectGraceMs: 60_000,
    memoryBudget: budget,
    subscriber: { stallTimeoutMs: 1000 },
  });
  const stuck = new FakeSink();
  stuck.stuck = true;
  const reading = new FakeSink();
  hub.subscribe('live/a', stuck);
  hub.subscribe('live/a', reading);
  const stream = hub.claim('live/a', { id: 'p1' });
  stream.publish(keyframe(0, 'K', 200_000));
  stream.publish(interframe(40, 'P', 100_000));
  clock.advance(40);
  assert.ok(budget.stats().sources.get('gopCaches')! >= 300_000);
  hub.release(stream, 'p1');
  assert.equal(budget.stats().sources.get('gopCaches'), 0, 'the GOP cache is cleared at once');
  assert.ok(budget.stats().sources.get('subscriberQueues')! >= 300_000, 'the stuck player holds its unsent bytes');
  clock.advance(2000);
  const last = stuck.events.at(-1);
  assert.ok(last?.type === 'close' && last.reason?.code === 'SUBSCRIBER_STALLED', 'closed within the grace');
  assert.equal(budget.stats().sources.get('subscriberQueues'), 0);
  assert.ok(!reading.events.some((e) => e.type === 'close' || e.type === 'ended'), 'the reading player still waits');
  assert.equal(stream.reconnecting, true);
});
