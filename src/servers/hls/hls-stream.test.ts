import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../hub/hub-test-kit.ts';
import { resolveHlsOptions, type HlsOptions } from './hls-options.ts';
import { HlsStream } from './hls-stream.ts';
import { FakeMuxer, feed, headers, parsePlaylist, type ParsedPlaylist } from './hls-test-kit.ts';

function testStream(opts: HlsOptions = {}) {
  const clock = new FakeClock();
  const options = resolveHlsOptions({ now: clock.now, ...opts });
  const stream = new HlsStream({
    key: 'live/cam',
    name: 'cam',
    gen: 'g1',
    options,
    newMuxer: () => new FakeMuxer(),
    timers: clock,
  });
  return { stream, clock };
}

/** The RFC 8216 rules every playlist this server writes must keep. */
function assertRfc8216(p: ParsedPlaylist): void {
  assert.ok(p.targetDuration !== undefined, 'EXT-X-TARGETDURATION is required (§4.3.3.1)');
  for (const s of p.segments) {
    assert.ok(
      Math.round(s.duration) <= p.targetDuration,
      `EXTINF ${s.duration} rounds above the target ${p.targetDuration} (§4.3.3.1)`,
    );
    assert.ok(s.programDateTime !== undefined, 'each segment carries EXT-X-PROGRAM-DATE-TIME');
  }
  for (let i = 1; i < p.segments.length; i++) {
    const [a, b] = [p.segments[i - 1]!, p.segments[i]!];
    if (!b.discontinuity) {
      assert.equal(b.programDateTime, a.programDateTime! + Math.round(a.duration * 1000), 'dates advance with EXTINF');
    }
  }
  const uris = p.segments.map((s) => s.uri);
  assert.equal(new Set(uris).size, uris.length, 'segment URIs are unique');
}

test('a live playlist: version, target, sequence, dates and relative segment URIs carrying the query', () => {
  const { stream, clock } = testStream();
  stream.publisherStarted();
  headers(stream);
  feed(stream, clock, 0, 9000);
  const text = stream.playlist(false, '?txSecret=abc&txTime=6a000000');
  const p = parsePlaylist(text);
  assertRfc8216(p);
  assert.equal(p.version, 3);
  assert.equal(p.targetDuration, 2);
  assert.equal(p.mediaSequence, 0);
  assert.deepEqual(
    p.segments.map((s) => s.uri),
    [0, 1, 2, 3].map((n) => `cam/g1_${n}.ts?txSecret=abc&txTime=6a000000`),
  );
  assert.deepEqual(
    p.segments.map((s) => s.duration),
    [2, 2, 2, 2],
  );
  assert.equal(p.endList, false);
  assert.equal(p.serverControl, undefined, 'no LL-HLS tags in a plain playlist');
  assert.ok(!text.includes('#EXT-X-PART'));
  assert.ok(text.endsWith('\n'));
});

test('MEDIA-SEQUENCE advances by one for each segment that leaves the window', () => {
  const { stream, clock } = testStream({ windowSegments: 3, retainSegments: 2 });
  stream.publisherStarted();
  headers(stream);
  feed(stream, clock, 0, 500);
  let seen = -1;
  for (let end = 2500; end <= 20_500; end += 2000) {
    feed(stream, clock, end - 2000, end);
    const p = parsePlaylist(stream.playlist(false, ''));
    assertRfc8216(p);
    assert.ok(p.segments.length <= 3);
    const first = Number(/_(\d+)\.ts$/.exec(p.segments[0]!.uri)![1]);
    assert.equal(p.mediaSequence, first, 'MEDIA-SEQUENCE is the first listed segment');
    if (seen >= 0) assert.ok(p.mediaSequence === seen || p.mediaSequence === seen + 1);
    seen = p.mediaSequence;
  }
  assert.equal(seen, 7);
  assert.equal(stream.segments.length, 5, 'window plus the retained segments are kept');
  assert.equal(stream.segment(5)?.bytes !== undefined, true, 'segments that left the playlist are still served');
  assert.equal(stream.segment(4), undefined, 'older ones are gone');
});

test('TARGETDURATION covers a long GOP and never goes down again', () => {
  const { stream, clock } = testStream();
  stream.publisherStarted();
  headers(stream);
  feed(stream, clock, 0, 4100);
  assert.equal(parsePlaylist(stream.playlist(false, '')).targetDuration, 2);
  // The encoder switches to 5 s GOPs (keyframes at 5 s and 10 s): the segment from 4 s lasts 6 s.
  feed(stream, clock, 4100, 14_100, { gop: 125 });
  const p = parsePlaylist(stream.playlist(false, ''));
  assertRfc8216(p);
  assert.deepEqual(
    p.segments.map((s) => s.duration),
    [2, 2, 6],
  );
  assert.equal(p.targetDuration, 6);
  feed(stream, clock, 14_100, 40_100);
  const later = parsePlaylist(stream.playlist(false, ''));
  assert.ok(
    later.segments.every((s) => s.duration === 2),
    'the long segment left the window',
  );
  assert.equal(later.targetDuration, 6, 'the target must not change back (RFC 8216 §6.2.1)');
});

test('a publisher restart adds EXT-X-DISCONTINUITY, and EXT-X-DISCONTINUITY-SEQUENCE once it leaves', () => {
  const { stream, clock } = testStream({ windowSegments: 3 });
  stream.publisherStarted();
  headers(stream);
  feed(stream, clock, 0, 4100);
  stream.publisherEnded();
  stream.publisherStarted();
  headers(stream);
  feed(stream, clock, 0, 4100);
  let p = parsePlaylist(stream.playlist(false, ''));
  assertRfc8216(p);
  assert.deepEqual(
    p.segments.map((s) => s.discontinuity),
    [false, true, false],
  );
  assert.equal(p.discontinuitySequence, 0);
  feed(stream, clock, 4100, 6100);
  p = parsePlaylist(stream.playlist(false, ''));
  assert.deepEqual(
    p.segments.map((s) => s.discontinuity),
    [false, false, false],
    'the first segment carries no tag',
  );
  assert.equal(p.discontinuitySequence, 1, 'its discontinuity is counted instead (RFC 8216 §4.3.3.3)');
  assert.equal(p.endList, false, 'no ENDLIST unless the operator asks');
});

test('EXT-X-ENDLIST only with hls.endList, once the publisher left; a new publisher starts a fresh playlist', () => {
  const { stream, clock } = testStream({ endList: true });
  stream.publisherStarted();
  headers(stream);
  feed(stream, clock, 0, 4100);
  assert.equal(parsePlaylist(stream.playlist(false, '')).endList, false, 'not while live');
  stream.publisherEnded();
  const ended = parsePlaylist(stream.playlist(false, ''));
  assert.equal(ended.endList, true);
  assert.equal(ended.lines.at(-2), '#EXT-X-ENDLIST');
  stream.publisherStarted();
  headers(stream);
  feed(stream, clock, 0, 2100);
  const fresh = parsePlaylist(stream.playlist(false, ''));
  assert.equal(fresh.endList, false);
  assert.equal(fresh.segments.length, 1);
  assert.ok(!ended.segments.some((s) => s.uri === fresh.segments[0]!.uri), 'fresh URIs never collide with cached ones');
});

test('LL-HLS: SERVER-CONTROL, PART-INF, parts of the newest segments, pending parts and a preload hint', () => {
  const { stream, clock } = testStream({ lowLatencyDomains: ['*'], partTargetMs: 333 });
  stream.publisherStarted();
  headers(stream);
  feed(stream, clock, 0, 12_700);
  const p = parsePlaylist(stream.playlist(true, '?t=1'));
  assertRfc8216(p);
  assert.equal(p.version, 6);
  assert.deepEqual(p.serverControl, { 'CAN-BLOCK-RELOAD': 'YES', 'PART-HOLD-BACK': '0.999' });
  assert.ok(Number(p.serverControl!['PART-HOLD-BACK']) >= 2 * p.partTarget!, 'PART-HOLD-BACK ≥ 2 × PART-TARGET');
  assert.equal(p.partTarget, 0.333);
  const withParts = p.segments.filter((s) => s.parts.length > 0);
  assert.ok(withParts.length >= 2 && withParts.length < p.segments.length, 'only the newest segments list parts');
  const listedSpan = withParts.reduce((t, s) => t + s.duration, 0);
  assert.ok(listedSpan <= 3 * p.targetDuration! + 2, 'parts cover about three target durations');
  for (const s of withParts) {
    assert.equal(s.parts[0]!.independent, true, 'a segment begins with an independent part');
    assert.ok(Math.abs(s.parts.reduce((t, x) => t + x.duration, 0) - s.duration) < 0.001);
    const msn = /_(\d+)\.ts/.exec(s.uri)![1];
    s.parts.forEach((part, i) => assert.equal(part.uri, `cam/g1_${msn}_${i}.ts?t=1`));
  }
  for (const part of [...withParts.flatMap((s) => s.parts), ...p.pendingParts])
    assert.ok(part.duration <= p.partTarget!);
  // 12.7 s: segment 6 started at 12.0 s and has closed two parts (12.00, 12.32).
  assert.deepEqual(
    p.pendingParts.map((x) => x.uri),
    ['cam/g1_6_0.ts?t=1', 'cam/g1_6_1.ts?t=1'],
  );
  assert.equal(p.preloadHint, 'cam/g1_6_2.ts?t=1');
  assert.equal(p.lines.at(-2), '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="cam/g1_6_2.ts?t=1"');
});

test('LL-HLS: a keyframe part mid-segment is INDEPENDENT=YES, others are not', () => {
  const { stream, clock } = testStream({ lowLatencyDomains: ['*'], partTargetMs: 400, segmentTargetMs: 4000 });
  stream.publisherStarted();
  headers(stream, true, false);
  // 0.4 s GOPs with 40 ms frames: a keyframe starts every part except where a cut misses one.
  feed(stream, clock, 0, 8500, { audio: false, gop: 10 });
  const p = parsePlaylist(stream.playlist(true, ''));
  const parts = p.segments.flatMap((s) => s.parts);
  assert.ok(parts.length > 10);
  for (const part of parts) {
    const [, msn, i] = /_(\d+)_(\d+)\.ts/.exec(part.uri)!;
    const startMs = stream.segment(Number(msn))!.startDts / 90 + Number(i) * 400;
    assert.equal(part.independent, startMs % 400 === 0 && Number.isInteger(startMs / 400), `part at ${startMs} ms`);
  }
});

test('a domain without LL-HLS gets the plain playlist from the same segmenter', () => {
  const { stream, clock } = testStream({ lowLatencyDomains: ['ll.example.com'] });
  stream.publisherStarted();
  headers(stream);
  feed(stream, clock, 0, 6100);
  const plain = stream.playlist(false, '');
  assert.ok(!plain.includes('#EXT-X-PART') && !plain.includes('PRELOAD-HINT') && !plain.includes('SERVER-CONTROL'));
  assert.equal(parsePlaylist(plain).segments.length, 3);
});

test('the playlist text is rendered once per change and shared; a new part renders anew', () => {
  const { stream, clock } = testStream({ lowLatencyDomains: ['*'] });
  stream.publisherStarted();
  headers(stream);
  feed(stream, clock, 0, 4100);
  const a = stream.playlist(true, '');
  assert.equal(stream.playlist(true, ''), a);
  feed(stream, clock, 4100, 4500);
  assert.notEqual(stream.playlist(true, ''), a);
});

test('memory stays bounded: maxStreamBytes drops the oldest segments first', () => {
  const { stream, clock } = testStream({ maxStreamBytes: 1024 * 1024, windowSegments: 100, retainSegments: 0 });
  stream.publisherStarted();
  headers(stream);
  const big = { media: (m: Parameters<HlsStream['media']>[0]) => stream.media(m) };
  // Each fake packet is 188 bytes; 51 frames per second make ~10 KiB/s: 300 s is ~3 MiB.
  feed(big, clock, 0, 300_000);
  assert.ok(stream.bytes <= 1024 * 1024, `held ${stream.bytes} bytes`);
  assert.ok(stream.segments.length < 100);
  assert.equal(stream.segments.at(-1)!.msn, 148, 'the newest are kept');
});

test('reconnect grace: the running segment closes at the pause, no ENDLIST while waiting, the return is a discontinuity', () => {
  const { stream, clock } = testStream({ endList: true, windowSegments: 6 });
  stream.publisherStarted();
  headers(stream);
  feed(stream, clock, 0, 5100);
  assert.equal(parsePlaylist(stream.playlist(false, '')).segments.length, 2, 'the third segment is in progress');
  stream.publisherPaused();
  const waiting = parsePlaylist(stream.playlist(false, ''));
  assert.equal(waiting.segments.length, 3, 'the segment in progress is completed at once');
  assert.equal(waiting.segments[2]!.duration, 1.12, 'from 4000 to the last frame (5080), plus one frame interval');
  assert.equal(waiting.endList, false, 'a paused stream is still live: players keep polling');
  assert.equal(stream.live, true);
  clock.time += 1000;
  // The hub rebases the returning encoder's timestamps to continue the timeline (stream-timeline.ts).
  stream.publisherStarted();
  headers(stream);
  feed(stream, clock, 6000, 10_100);
  const p = parsePlaylist(stream.playlist(false, ''));
  assertRfc8216(p);
  assert.equal(p.mediaSequence, 0);
  assert.deepEqual(
    p.segments.map((s) => s.uri),
    [0, 1, 2, 3, 4].map((n) => `cam/g1_${n}.ts`),
    'the sequence continues',
  );
  assert.deepEqual(
    p.segments.map((s) => s.discontinuity),
    [false, false, false, true, false],
  );
  assert.ok(
    p.segments.every((s) => s.uri.startsWith('cam/g1_')),
    'the same playlist: no restart, no new generation',
  );
  assert.equal(p.endList, false);
  // No publisher by the end of the grace: the playlist ends as it does without one.
  stream.publisherPaused();
  stream.publisherEnded();
  assert.equal(parsePlaylist(stream.playlist(false, '')).endList, true);
});

test('reconnect grace in LL-HLS: a hint stays out while paused, the new parts follow EXT-X-DISCONTINUITY', () => {
  const { stream, clock } = testStream({ lowLatencyDomains: ['*'], partTargetMs: 333, windowSegments: 6 });
  stream.publisherStarted();
  headers(stream);
  feed(stream, clock, 0, 4100);
  stream.publisherPaused();
  const paused = parsePlaylist(stream.playlist(true, ''));
  assert.ok(
    paused.lines.some((l) => l.startsWith('#EXT-X-PRELOAD-HINT')),
    'players may block on the next part',
  );
  stream.publisherStarted();
  headers(stream);
  feed(stream, clock, 5000, 5500);
  const p = parsePlaylist(stream.playlist(true, ''));
  const tag = p.lines.lastIndexOf('#EXT-X-DISCONTINUITY');
  const lastExtinf = p.lines.findLastIndex((l) => l.startsWith('#EXTINF'));
  assert.ok(tag > lastExtinf, 'the tag stands before the parts of the segment in progress');
  assert.ok(p.lines.slice(tag + 1).some((l) => l.startsWith('#EXT-X-PART:') && l.includes('INDEPENDENT=YES')));
  assert.equal(stream.current?.discontinuity, true);
  assert.equal(stream.current?.discontinuitySequence, 1);
});
