import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MediaMessage } from '../protocol/media.ts';
import { GopCache } from './gop-cache.ts';
import { audioFrame, fakeEncoders, interframe, keyframe, labelOf } from './hub-test-kit.ts';
import { Packet } from './packet.ts';

const encoders = fakeEncoders();
const limits = { enabled: true, maxBytes: 1_000_000, maxMessages: 100, audioTailMs: 1000 };

function fill(cache: GopCache, messages: MediaMessage[]): string[] {
  for (const m of messages) cache.push(new Packet(m, encoders));
  return cache.packets.map((p) => labelOf(p.bytes('flv')));
}

test('holds everything since the last keyframe, audio included', () => {
  const cache = new GopCache(limits);
  const got = fill(cache, [interframe(0), keyframe(40), audioFrame(50), interframe(80)]);
  assert.deepEqual(got, ['K40', 'A50', 'P80']);
  fill(cache, [keyframe(120), audioFrame(130)]);
  assert.deepEqual(fill(cache, []), ['K120', 'A130']);
});

test('inter frames before the first keyframe are not cached', () => {
  const cache = new GopCache(limits);
  assert.deepEqual(fill(cache, [interframe(0), audioFrame(10), interframe(40)]), []);
  assert.deepEqual(fill(cache, [keyframe(80)]), ['K80']);
});

test('past the message cap the GOP is dropped until the next keyframe', () => {
  const cache = new GopCache({ ...limits, maxMessages: 3 });
  assert.deepEqual(fill(cache, [keyframe(0), interframe(40), interframe(80)]), ['K0', 'P40', 'P80']);
  assert.deepEqual(fill(cache, [interframe(120)]), [], 'a GOP without its start is useless');
  assert.deepEqual(fill(cache, [audioFrame(130), interframe(160)]), []);
  assert.deepEqual(fill(cache, [keyframe(200)]), ['K200']);
});

test('past the byte cap the GOP is dropped too', () => {
  const cache = new GopCache({ ...limits, maxBytes: 2500 });
  assert.deepEqual(fill(cache, [keyframe(0, 'K0', 1000), interframe(40, 'P', 1000)]), ['K0', 'P']);
  assert.equal(cache.bytes, 2000);
  assert.deepEqual(fill(cache, [interframe(80, 'P', 1000)]), []);
  assert.equal(cache.bytes, 0);
});

test('an audio-only stream keeps the last audioTailMs of audio', () => {
  const cache = new GopCache(limits);
  const frames = Array.from({ length: 100 }, (_, i) => audioFrame(i * 23));
  const got = fill(cache, frames);
  assert.equal(got[0], `A${23 * 56}`, 'the oldest kept frame is within 1000 ms of the newest (2277 ms)');
  assert.equal(got.at(-1), `A${23 * 99}`);
  assert.equal(got.length, 44);
});

test('video ends the audio tail', () => {
  const cache = new GopCache(limits);
  fill(cache, [audioFrame(0), audioFrame(20)]);
  assert.deepEqual(fill(cache, [interframe(40)]), []);
  assert.deepEqual(fill(cache, [audioFrame(60)]), [], 'audio waits for the keyframe once video is known');
  assert.deepEqual(fill(cache, [keyframe(80), audioFrame(90)]), ['K80', 'A90']);
});

test('disabled caches nothing; clear() forgets everything', () => {
  const off = new GopCache({ ...limits, enabled: false });
  assert.deepEqual(fill(off, [keyframe(0), audioFrame(10)]), []);
  const on = new GopCache(limits);
  fill(on, [keyframe(0), audioFrame(10)]);
  on.clear();
  assert.deepEqual(on.packets, []);
  assert.equal(on.bytes, 0);
});
