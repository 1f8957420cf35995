import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OpusRtpClock, RESYNC_SAMPLES, TranscodeTimeline } from './transcode-timeline.ts';

const AAC_MS = (1024 / 44100) * 1000;

test('output time maps to the source frame that held it, across a source gap', () => {
  const tl = new TranscodeTimeline(100);
  // Three frames at 1000 ms, then a 5 s gap in the source (the transcoder sees none).
  tl.input(1000, AAC_MS);
  tl.input(1023, AAC_MS);
  tl.input(6000, AAC_MS);
  assert.equal(tl.sourceTime(0), 1000);
  assert.ok(Math.abs(tl.sourceTime(AAC_MS + 5)! - 1028) < 1e-9);
  assert.ok(Math.abs(tl.sourceTime(2 * AAC_MS + 1)! - 6001) < 1e-9);
  assert.equal(tl.size, 1, 'frames wholly before the asked time are forgotten');
});

test('the timeline holds at most maxFrames, forgetting the oldest', () => {
  const tl = new TranscodeTimeline(4);
  for (let i = 0; i < 10; i++) tl.input(i * 20, 20);
  assert.equal(tl.size, 4);
  assert.equal(tl.forgotten, 6);
  assert.equal(tl.sourceTime(170), 170);
});

test('RTP steps are sample-exact while the source time jitters, and jump on a gap (fast-check)', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 5, maxLength: 200 }), (jitter) => {
      const c = new OpusRtpClock();
      const first = c.next(1000, 960);
      jitter.forEach((j, i) => assert.equal(c.next(1000 + (i + 1) * 20 + j, 960), (first + (i + 1) * 960) >>> 0));
      assert.equal(c.resyncs, 0);
      const after = c.next(1000 + (jitter.length + 1) * 20 + 500, 960);
      assert.equal(after, Math.round((1000 + (jitter.length + 1) * 20 + 500) * 48) >>> 0);
      assert.equal(c.resyncs, 1);
    }),
  );
  assert.equal(RESYNC_SAMPLES, 1920);
});

test('a drifting source clock is followed within the resync bound', () => {
  const c = new OpusRtpClock();
  // The publisher's timestamps run 1 % fast against its samples: 20 ms of audio every 20.2 ms.
  let worst = 0;
  for (let i = 0; i < 3000; i++) {
    const src = i * 20.2;
    const ts = c.next(src, 960);
    worst = Math.max(worst, Math.abs(ts - Math.round(src * 48)));
  }
  assert.ok(worst <= RESYNC_SAMPLES, `stays within ${RESYNC_SAMPLES} samples (worst ${worst})`);
  assert.ok(c.resyncs > 0);
});
