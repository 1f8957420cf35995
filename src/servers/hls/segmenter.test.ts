import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FakeClock } from '../../hub/hub-test-kit.ts';
import type { HlsSegment } from './hls-segment.ts';
import { FakeMuxer, feed, headers, packetLabels } from './hls-test-kit.ts';
import { Segmenter } from './segmenter.ts';

function testSegmenter(segmentTargetMs = 2000, partTargetMs: number | undefined = undefined) {
  const clock = new FakeClock();
  const done: HlsSegment[] = [];
  let changes = 0;
  const muxers: FakeMuxer[] = [];
  const segmenter = new Segmenter({
    segmentTargetMs,
    partTargetMs,
    newMuxer: () => {
      const m = new FakeMuxer();
      muxers.push(m);
      return m;
    },
    now: clock.now,
    listener: { changed: () => changes++, segmentComplete: (s) => done.push(s) },
  });
  return { segmenter, clock, done, muxers, changes: () => changes };
}

test('segments start on keyframes at the target: 1 s GOPs and a 2 s target make 2 s segments', () => {
  const { segmenter, clock, done } = testSegmenter();
  segmenter.publisherStarted();
  headers(segmenter);
  feed(segmenter, clock, 0, 10_000);
  assert.deepEqual(
    done.map((s) => s.msn),
    [0, 1, 2, 3],
  );
  assert.deepEqual(
    done.map((s) => s.duration),
    [2, 2, 2, 2],
  );
  for (const s of done) {
    const labels = packetLabels(s.bytes!);
    assert.equal(labels[0], 'TABLES', 'PAT and PMT open every segment');
    assert.equal(labels[1], `K${s.startDts / 90}`, 'the first frame is a keyframe');
  }
  assert.equal(segmenter.current?.msn, 4, 'the fifth segment is in progress');
});

test('a segment is never shorter than a GOP: 3 s GOPs with a 2 s target make 3 s segments', () => {
  const { segmenter, clock, done } = testSegmenter();
  segmenter.publisherStarted();
  headers(segmenter);
  feed(segmenter, clock, 0, 10_000, { gop: 75 });
  assert.deepEqual(
    done.map((s) => s.duration),
    [3, 3, 3],
  );
});

test('frames before the first keyframe are skipped; audio before it too', () => {
  const { segmenter, clock, done } = testSegmenter();
  segmenter.publisherStarted();
  headers(segmenter);
  feed(segmenter, clock, 600, 4100);
  const first = done[0]!;
  assert.equal(first.startDts, 1000 * 90);
  assert.deepEqual(packetLabels(first.bytes!).slice(0, 2), ['TABLES', 'K1000']);
});

test('audio-only streams cut on any audio frame at the target', () => {
  const { segmenter, clock, done } = testSegmenter();
  segmenter.publisherStarted();
  headers(segmenter, false, true);
  feed(segmenter, clock, 0, 7000, { video: false });
  assert.ok(done.length >= 3);
  for (const s of done) {
    assert.ok(s.duration >= 1.98 && s.duration < 2.03, `audio segment of ${s.duration} s`);
    assert.equal(s.parts.length, 1, 'no parts without LL-HLS');
    assert.equal(s.parts[0]!.independent, true);
  }
});

test('video-only streams work the same', () => {
  const { segmenter, clock, done } = testSegmenter();
  segmenter.publisherStarted();
  headers(segmenter, true, false);
  feed(segmenter, clock, 0, 5000, { audio: false });
  assert.deepEqual(
    done.map((s) => s.duration),
    [2, 2],
  );
});

test('parts: each at most PART-TARGET, summing to the segment; the first of a segment is independent', () => {
  const { segmenter, clock, done } = testSegmenter(2000, 333);
  segmenter.publisherStarted();
  headers(segmenter);
  feed(segmenter, clock, 0, 9000);
  for (const s of done) {
    const sum = s.parts.reduce((t, p) => t + p.duration, 0);
    assert.ok(Math.abs(sum - s.duration) < 1e-9, `parts sum to ${sum}, segment ${s.duration}`);
    for (const p of s.parts) assert.ok(p.duration <= 0.333, `part of ${p.duration} s`);
    assert.equal(s.parts[0]!.independent, true);
    assert.deepEqual(
      s.parts.map((p) => p.index),
      s.parts.map((_, i) => i),
    );
    // 8 frames of 40 ms fit in 333 ms; 2 s = 6 parts of 320 ms and one of 80 ms.
    assert.deepEqual(
      s.parts.map((p) => Math.round(p.duration * 1000)),
      [320, 320, 320, 320, 320, 320, 80],
    );
    const joined = Buffer.concat(s.parts.map((p) => p.bytes));
    assert.ok(joined.equals(s.bytes!), 'the segment is its parts, byte for byte');
    for (const p of s.parts) assert.equal(packetLabels(p.bytes)[0], 'TABLES', 'each part can be demuxed alone');
  }
  // Keyframes every second fall inside parts here; a part starting on one is marked independent.
  const independent = done.flatMap((s) => s.parts.filter((p) => p.independent).map((p) => p.index));
  assert.ok(independent.every((i) => i === 0));
});

test('property: with any frame rate and GOP, parts never exceed PART-TARGET and segments start on keyframes', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 16, max: 67 }),
      fc.integer({ min: 1, max: 120 }),
      fc.integer({ min: 150, max: 800 }),
      (frameMs, gop, partMs) => {
        const { segmenter, clock, done } = testSegmenter(2000, partMs);
        segmenter.publisherStarted();
        headers(segmenter, true, false);
        feed(segmenter, clock, 0, 12_000, { audio: false, frameMs, gop });
        for (const s of done) {
          assert.match(packetLabels(s.bytes!)[1]!, /^K/);
          assert.ok(s.duration * 1000 >= Math.min(1980, frameMs * gop) - 1e-6);
          for (const p of s.parts) assert.ok(p.duration * 1000 <= partMs + 1e-6, `part ${p.duration} > ${partMs} ms`);
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('publisher end finishes the open segment; a new publisher gets a new muxer and a discontinuity', () => {
  const { segmenter, clock, done, muxers } = testSegmenter();
  segmenter.publisherStarted();
  headers(segmenter);
  feed(segmenter, clock, 0, 3000);
  segmenter.publisherEnded();
  assert.equal(segmenter.live, false);
  assert.equal(segmenter.current, undefined);
  assert.deepEqual(
    done.map((s) => s.duration),
    [2, 1],
    'the last segment ends one frame after its last frame',
  );
  segmenter.publisherStarted();
  headers(segmenter);
  feed(segmenter, clock, 0, 2500);
  assert.equal(muxers.length, 2);
  const restarted = done[2]!;
  assert.equal(restarted.msn, 2, 'sequence numbers go on');
  assert.equal(restarted.discontinuity, true);
  assert.equal(restarted.discontinuitySequence, 1);
  assert.equal(done[0]!.discontinuity, false);
});

test('PROGRAM-DATE-TIME: the first segment is placed by the live edge, later ones follow without gaps', () => {
  const { segmenter, clock, done } = testSegmenter();
  clock.time = 1_000_000;
  segmenter.publisherStarted();
  headers(segmenter);
  // Media time 0 arrives at wall time 1_000_000: the encoder's clock runs 1_000_000 ms behind ours.
  feed({ media: (m) => ((clock.time = 1_000_000 + m.timestamp), segmenter.media(m)) }, undefined, 0, 6500);
  assert.equal(done[0]!.programDateTime, 1_000_000);
  assert.equal(done[1]!.programDateTime, 1_002_000);
  assert.equal(done[2]!.programDateTime, 1_004_000);
});

test('a timestamp jump inside one publish closes the segment and marks a discontinuity', () => {
  const { segmenter, clock, done } = testSegmenter();
  segmenter.publisherStarted();
  headers(segmenter);
  feed(segmenter, clock, 0, 3000);
  feed(segmenter, clock, 60_000, 63_000);
  assert.equal(done[1]!.duration, 1, 'the segment before the jump ends at its last frame');
  assert.equal(done[2]!.discontinuity, true);
  assert.equal(done[2]!.startDts, 60_000 * 90);
});

test('a muxer that throws on one message skips only that message', () => {
  const errors: unknown[] = [];
  const clock = new FakeClock();
  const muxer = new FakeMuxer();
  const push = muxer.push.bind(muxer);
  muxer.push = (m) => {
    if (m.timestamp === 80) throw new Error('bad frame');
    return push(m);
  };
  const done: HlsSegment[] = [];
  const segmenter = new Segmenter({
    segmentTargetMs: 2000,
    partTargetMs: undefined,
    newMuxer: () => muxer,
    now: clock.now,
    listener: { changed() {}, segmentComplete: (s) => done.push(s) },
    onError: (e) => errors.push(e),
  });
  segmenter.publisherStarted();
  headers(segmenter, true, false);
  feed(segmenter, clock, 0, 2100, { audio: false });
  assert.equal(errors.length, 1);
  assert.equal(packetLabels(done[0]!.bytes!).includes('P80'), false);
  assert.equal(packetLabels(done[0]!.bytes!).includes('P120'), true);
});

test('a segment in progress that outgrows maxSegmentBytes (no keyframe comes) is dropped, not kept growing', () => {
  const clock = new FakeClock();
  const done: HlsSegment[] = [];
  const errors: unknown[] = [];
  const segmenter = new Segmenter({
    segmentTargetMs: 2000,
    partTargetMs: undefined,
    newMuxer: () => new FakeMuxer(),
    now: clock.now,
    listener: { changed() {}, segmentComplete: (s) => done.push(s) },
    onError: (e) => errors.push(e),
    maxSegmentBytes: 188 * 100,
  });
  segmenter.publisherStarted();
  headers(segmenter, true, false);
  // One keyframe, then inter frames only: 100 packets are 4 s of 25 fps.
  feed(segmenter, clock, 0, 10_000, { audio: false, gop: 100_000 });
  assert.equal(done.length, 0);
  assert.equal(segmenter.current, undefined, 'the oversized segment was dropped');
  assert.equal(errors.length, 1);
  feed(segmenter, clock, 10_000, 12_100, { audio: false, gop: 25 });
  assert.equal(done[0]!.discontinuity, true, 'the next keyframe starts a discontinuous segment');
});
