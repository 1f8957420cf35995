import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mediaMessage, MediaType, type MediaMessage } from '../../protocol/media.ts';
import {
  maxDetailsPerType,
  PushErrorDetector,
  pushErrorTypes as T,
  type PushErrorCount,
} from './push-error-detector.ts';

const avcHeader = (ts = 0) => mediaMessage(MediaType.Video, ts, Buffer.from([0x17, 0x00, 0, 0, 0, 1, 0x64, 0, 0x1f]));
const avcKey = (ts: number) => mediaMessage(MediaType.Video, ts, Buffer.from([0x17, 0x01, 0, 0, 0, 0x65]));
const avcInter = (ts: number) => mediaMessage(MediaType.Video, ts, Buffer.from([0x27, 0x01, 0, 0, 0, 0x41]));
const hevcLegacyHeader = (ts: number) => mediaMessage(MediaType.Video, ts, Buffer.from([0x1c, 0x00, 0, 0, 0, 1]));
const exHeader = (ts: number) => mediaMessage(MediaType.Video, ts, Buffer.from([0x90, 0x68, 0x76, 0x63, 0x31, 1]));
const exKey = (ts: number) =>
  mediaMessage(MediaType.Video, ts, Buffer.from([0x91, 0x68, 0x76, 0x63, 0x31, 0, 0, 0, 0x26]));
const aacHeader = (ts = 0) => mediaMessage(MediaType.Audio, ts, Buffer.from([0xaf, 0x00, 0x12, 0x10]));
const aacFrame = (ts: number) => mediaMessage(MediaType.Audio, ts, Buffer.from([0xaf, 0x01, 0x21]));
const mp3Frame = (ts: number) => mediaMessage(MediaType.Audio, ts, Buffer.from([0x2f, 0xff, 0xfb]));

const t0 = 1_700_000_000_000;

/** Feeds [message, arrival offset from t0] pairs and returns the report. */
function run(
  messages: Array<[MediaMessage, number]>,
  chunkSizes: Array<[number, number]> = [],
): PushErrorCount[] | undefined {
  const d = new PushErrorDetector();
  for (const [size, at] of chunkSizes) d.onChunkSize(size, t0 + at);
  for (const [m, at] of messages) d.onMessage(m, t0 + at);
  return d.takeReport();
}

const types = (report: PushErrorCount[] | undefined) => (report ?? []).map((r) => [r.type, r.count]);

/** A clean A/V stream: headers, 25 fps video with a keyframe every second, AAC every 23 ms, arriving on time. */
function clean(seconds: number, from = 0): Array<[MediaMessage, number]> {
  const out: Array<[MediaMessage, number]> =
    from === 0
      ? [
          [avcHeader(), 0],
          [aacHeader(), 0],
        ]
      : [];
  const events: Array<[MediaMessage, number]> = [];
  for (let ts = from; ts < from + seconds * 1000; ts += 40)
    events.push([ts % 1000 === 0 ? avcKey(ts) : avcInter(ts), ts]);
  for (let ts = from; ts < from + seconds * 1000; ts += 23) events.push([aacFrame(ts), ts]);
  return out.concat(events.sort((a, b) => a[1] - b[1]));
}

test('a clean stream reports nothing; interleaved tracks do not count as going back', () => {
  assert.equal(run(clean(12)), undefined);
});

test('timestamps going back, per track (types 1 and 2)', () => {
  const report = run([...clean(1), [avcInter(900), 1000], [aacFrame(500), 1001], [aacFrame(510), 1002]]);
  assert.deepEqual(types(report), [
    [T.videoTimestampBack, 1],
    [T.audioTimestampBack, 1],
  ]);
  assert.equal(report?.[0]?.details[0]?.desc, 'video timestamp went back, last=960 current=900');
  assert.equal(report?.[0]?.details[0]?.occurTime, t0 + 1000);
});

test('timestamps jumping more than 1 s, per track (types 3 and 4); exactly 1 s is fine', () => {
  assert.equal(
    run([
      [avcHeader(), 0],
      [avcKey(0), 0],
      [avcInter(1000), 1000],
    ]),
    undefined,
  );
  const report = run([
    [avcHeader(), 0],
    [avcKey(0), 0],
    [avcInter(1001), 40],
    [aacHeader(), 40],
    [aacFrame(0), 40],
    [aacFrame(5000), 60],
  ]);
  assert.deepEqual(types(report), [
    [T.videoTimestampJump, 1],
    [T.audioTimestampJump, 1],
  ]);
  assert.match(report![0]!.details[0]!.desc, /diff=1001\(msec\)/);
});

test('a timestamp wrapping past 2^32 is neither a step back nor a jump', () => {
  const top = 0xffff_fff0;
  assert.equal(
    run([
      [avcHeader(top), 0],
      [avcKey(top), 0],
      [avcInter(0x10), 32],
    ]),
    undefined,
  );
});

test('frames arriving late: video over 3000 ms (type 6), audio over 1000 ms (type 7)', () => {
  const ok = run([
    [avcHeader(), 0],
    [avcKey(0), 0],
    [avcInter(40), 3000],
    [aacHeader(), 0],
    [aacFrame(0), 0],
    [aacFrame(23), 1000],
  ]);
  assert.equal(ok, undefined);
  const report = run([
    [avcHeader(), 0],
    [avcKey(0), 0],
    [avcInter(40), 3046],
    [aacHeader(), 0],
    [aacFrame(0), 0],
    [aacFrame(23), 1001],
  ]);
  assert.deepEqual(types(report), [
    [T.videoArrivalGap, 1],
    [T.audioArrivalGap, 1],
  ]);
  assert.equal(report![0]!.details[0]!.desc, 'video frame arrive interval too long, interval=3046(msec)');
});

test('a codec change on either track (types 8 and 9), including to an Enhanced RTMP FourCC', () => {
  const report = run([
    [avcHeader(), 0],
    [avcKey(0), 0],
    [hevcLegacyHeader(40), 40],
    [exHeader(80), 80],
    [exKey(80), 80],
    [aacHeader(), 0],
    [aacFrame(0), 0],
    [mp3Frame(23), 23],
  ]);
  assert.deepEqual(types(report), [
    [T.videoCodecChanged, 2],
    [T.audioCodecChanged, 1],
  ]);
  assert.deepEqual(
    report![0]!.details.map((d) => d.desc),
    ['video codec changed from H264 to H265', 'video codec changed from H265 to hvc1'],
  );
  assert.equal(report![1]!.details[0]!.desc, 'audio codec changed from AAC to MP3');
});

test('frames before their codec header (types 10 and 11); codecs without headers are fine', () => {
  const report = run([
    [avcKey(0), 0],
    [avcInter(40), 40],
    [avcHeader(80), 80],
    [avcKey(80), 80],
    [aacFrame(0), 0],
    [aacHeader(0), 1],
    [aacFrame(23), 23],
  ]);
  assert.deepEqual(types(report), [
    [T.videoBeforeHeader, 2],
    [T.audioBeforeHeader, 1],
  ]);
  assert.equal(report![0]!.details[0]!.desc, 'video frame before its codec header, codec=H264');
  // A new codec needs its own header: Enhanced HEVC frames after an AVC header count again.
  assert.deepEqual(
    types(
      run([
        [avcHeader(), 0],
        [avcKey(0), 0],
        [exKey(40), 40],
      ]),
    ),
    [
      [T.videoCodecChanged, 1],
      [T.videoBeforeHeader, 1],
    ],
  );
  assert.equal(
    run([
      [mp3Frame(0), 0],
      [mp3Frame(26), 26],
    ]),
    undefined,
  );
});

test('a GOP over 10 s is reported once, as soon as it passes, and a keyframe starts a new one', () => {
  const messages: Array<[MediaMessage, number]> = [
    [avcHeader(), 0],
    [avcKey(0), 0],
  ];
  for (let ts = 40; ts <= 12_000; ts += 40) messages.push([avcInter(ts), ts]);
  messages.push([avcKey(12_040), 12_040]);
  for (let ts = 12_080; ts <= 20_000; ts += 40) messages.push([avcInter(ts), ts]);
  const report = run(messages);
  assert.deepEqual(types(report), [[T.gopTooLong, 1]]);
  assert.equal(report![0]!.details[0]!.occurTime, t0 + 10_040);
});

test('a chunk size over 8192 is type 5; 8192 is fine', () => {
  assert.equal(run([], [[8192, 0]]), undefined);
  assert.deepEqual(types(run([], [[65536, 0]])), [[T.chunkSizeTooLarge, 1]]);
});

test('a report resets the counts; details are capped while the count goes on', () => {
  const d = new PushErrorDetector();
  for (let i = 0; i < 25; i++) d.onMessage(avcInter(i * 40), t0 + i * 40);
  assert.equal(d.hasErrors, true);
  const first = d.takeReport();
  assert.deepEqual(types(first), [[T.videoBeforeHeader, 25]]);
  assert.equal(first![0]!.details.length, maxDetailsPerType);
  assert.equal(d.hasErrors, false);
  assert.equal(d.takeReport(), undefined);
  d.onMessage(avcInter(1000), t0 + 1000);
  assert.deepEqual(types(d.takeReport()), [[T.videoBeforeHeader, 1]]);
});

test('property: a well-behaved stream (steps of at most 1 s, keyframes within 10 s) never reports', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ step: fc.integer({ min: 0, max: 1000 }), key: fc.boolean() }), { maxLength: 300 }),
      (steps) => {
        const d = new PushErrorDetector();
        d.onMessage(avcHeader(), t0);
        d.onMessage(aacHeader(), t0);
        let ts = 0;
        let lastKey = 0;
        for (const s of steps) {
          ts += s.step;
          const key = s.key || ts - lastKey > 9000;
          if (key) lastKey = ts;
          d.onMessage(key ? avcKey(ts) : avcInter(ts), t0 + ts);
          d.onMessage(aacFrame(ts), t0 + ts);
        }
        assert.equal(d.takeReport(), undefined);
      },
    ),
  );
});
