import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LiveError } from '../errors.ts';
import type { MediaMessage } from '../protocol/media.ts';
import {
  FakeSink,
  audioFrame,
  audioHeader,
  interframe,
  keyframe,
  labelOf,
  labels,
  metadataMessage,
  testHub,
  videoHeader,
} from './hub-test-kit.ts';
import type { MediaTap } from './media-tap.ts';
import type { Stream } from './stream.ts';

/** A tap that records what it was told, as labels. */
class RecordingTap implements MediaTap {
  readonly events: string[] = [];
  readonly messages: MediaMessage[] = [];
  throwOn: string | undefined;
  closedWith: LiveError | undefined | 'not closed' = 'not closed';

  publisherStarted(stream: Stream): void {
    this.events.push(`start:${stream.key}`);
  }

  media(msg: MediaMessage): void {
    const label = labelOf(Buffer.concat([Buffer.from('x:'), msg.payload]));
    if (label === this.throwOn) throw new Error(`tap broke on ${label}`);
    this.messages.push(msg);
    this.events.push(label);
  }

  publisherEnded(): void {
    this.events.push('end');
  }

  close(reason?: LiveError): void {
    this.closedWith = reason;
  }
}

const pub = { id: 'p1' };

test('a tap on a live stream gets publisherStarted, then metadata, headers and the GOP, then live messages', () => {
  const { hub } = testHub();
  const stream = hub.claim('live/a', pub);
  for (const m of [metadataMessage('', true), videoHeader(), audioHeader(), keyframe(0), interframe(40)])
    stream.publish(m);
  for (const m of [keyframe(80), audioFrame(90)]) stream.publish(m);
  const tap = new RecordingTap();
  hub.tap('live/a', tap);
  assert.deepEqual(tap.events, ['start:live/a', 'MD', 'VH', 'AH', 'K80', 'A90']);
  assert.ok(
    tap.messages[0]!.payload.subarray(0, 3).equals(Buffer.from([0x02, 0x00, 0x0a])),
    'metadata arrives as plain onMetaData, without the @setDataFrame wrapper',
  );
  stream.publish(interframe(120));
  assert.deepEqual(tap.events.slice(6), ['P120']);
});

test('the tap gets each message synchronously inside publish(), with no subscriber and no timer', () => {
  const { hub, clock } = testHub();
  const tap = new RecordingTap();
  hub.tap('live/a', tap);
  const stream = hub.claim('live/a', pub);
  stream.publish(keyframe(0));
  assert.deepEqual(tap.events, ['start:live/a', 'K0']);
  assert.equal(clock.pending, 0, 'nothing was scheduled for the tap');
});

test('a tap sees every publisher in turn: start, media, end, start again (a restart)', () => {
  const { hub } = testHub();
  const tap = new RecordingTap();
  hub.tap('live/a', tap);
  let stream = hub.claim('live/a', pub);
  stream.publish(keyframe(0));
  hub.release(stream, pub);
  stream = hub.claim('live/a', { id: 'p2' });
  stream.publish(keyframe(0, 'K0b'));
  assert.deepEqual(tap.events, ['start:live/a', 'K0', 'end', 'start:live/a', 'K0b']);
});

test('a tap keeps the stream entry while no publisher is live; closing the last tap lets it go', () => {
  const { hub } = testHub();
  const tap = new RecordingTap();
  const handle = hub.tap('live/a', tap);
  const stream = hub.claim('live/a', pub);
  hub.release(stream, pub);
  assert.equal(hub.get('live/a'), stream, 'the tap keeps the stream');
  handle.close();
  handle.close();
  assert.equal(hub.get('live/a'), undefined);
  assert.equal(tap.closedWith, 'not closed', 'the owner closed it: no close() callback');
});

test('a tap that throws is dropped and closed with the error; the publisher and players go on', () => {
  const { hub, clock, logger } = testHub();
  const stream = hub.claim('live/a', pub);
  const tap = new RecordingTap();
  tap.throwOn = 'P40';
  hub.tap('live/a', tap);
  const sink = new FakeSink('flv');
  hub.subscribe('live/a', sink);
  assert.equal(stream.publish(keyframe(0)), true);
  assert.equal(stream.publish(interframe(40)), true);
  assert.equal(stream.publish(interframe(80)), true);
  clock.advance(40);
  assert.deepEqual(tap.events, ['start:live/a', 'K0'], 'nothing after the throw');
  assert.equal((tap.closedWith as LiveError).code, 'INTERNAL');
  assert.deepEqual(labels(sink), ['K0', 'P40', 'P80'], 'the player missed nothing');
  assert.ok(logger.lines.some((l) => l.msg === 'media tap failed; dropped'));
});

test('onClaim listeners run inside claim() after taps started, and can attach a tap there', () => {
  const { hub } = testHub();
  const taps: RecordingTap[] = [];
  const off = hub.onClaim((stream) => {
    const tap = new RecordingTap();
    taps.push(tap);
    hub.tap(stream.key, tap);
  });
  const stream = hub.claim('live/a', pub);
  stream.publish(keyframe(0));
  assert.equal(taps.length, 1);
  assert.deepEqual(taps[0]!.events, ['start:live/a', 'K0']);
  off();
  hub.release(stream, pub);
  hub.claim('live/a', { id: 'p2' });
  assert.equal(taps.length, 1, 'no listener after unsubscribing');
});

test('closing the hub ends the publish for taps, then closes them without a reason', () => {
  const { hub } = testHub();
  const tap = new RecordingTap();
  hub.tap('live/a', tap);
  hub.claim('live/a', pub);
  hub.close();
  assert.deepEqual(tap.events, ['start:live/a', 'end']);
  assert.equal(tap.closedWith, undefined);
  assert.throws(() => hub.tap('live/b', new RecordingTap()), { code: 'STREAM_CLOSED' });
});
