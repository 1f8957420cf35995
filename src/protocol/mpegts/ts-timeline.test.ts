import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrackClock, TsTimeline } from './ts-timeline.ts';

const WRAP = 2 ** 33;

test('33-bit times unwrap across 2^33, either way round', () => {
  const tl = new TsTimeline();
  assert.equal(tl.unwrap(WRAP - 3000), WRAP - 3000);
  assert.equal(tl.unwrap(600), WRAP + 600);
  assert.equal(tl.unwrap(WRAP - 100), WRAP - 100, 'a PTS just before the wrap after a DTS just past it');
  assert.equal(tl.unwrap(4000), WRAP + 4000);
});

test('tracks share the start; audio a little behind video joins the same clock; a late track far away starts where the others are', () => {
  const stats = { timestampJumps: 0 };
  const tl = new TsTimeline();
  const video = new TrackClock(tl, 10_000, stats);
  const audio = new TrackClock(tl, 10_000, stats);
  assert.equal(video.next(90_000), 0);
  assert.equal(video.next(90_000 + 3600), 40);
  assert.equal(audio.next(90_000 + 1800), 20, 'interleaving, not a jump');
  assert.equal(audio.next(90_000 - 900), 20, 'a step back is held');
  const late = new TrackClock(tl, 10_000, stats);
  assert.equal(late.next(90_000 * 1000), 40);
  assert.equal(stats.timestampJumps, 0);
});

test('a jump of more than maxJumpMs (or back more than a second) is rebased and counted', () => {
  const stats = { timestampJumps: 0 };
  const tl = new TsTimeline();
  const c = new TrackClock(tl, 10_000, stats);
  assert.deepEqual(
    [0, 3600, 11 * 90_000, 11 * 90_000 + 3600, 90_000].map((t) => c.next(t)),
    [0, 40, 40, 80, 80],
  );
  assert.equal(stats.timestampJumps, 2);
  assert.equal(c.next(90_000 + 3600), 120);
});
