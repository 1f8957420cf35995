import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../../../test/fixtures/fixture.ts';
import { all, boxes, find } from '../../../test/support/mp4-reader.ts';
import { FakeClock } from '../../hub/hub-test-kit.ts';
import { FlvDemuxer } from '../../protocol/flv/flv-demuxer.ts';
import { MediaType, mediaMessage, type MediaMessage } from '../../protocol/media.ts';
import { Fmp4SegmentMuxer } from './fmp4-segment-muxer.ts';
import { resolveHlsOptions, type HlsOptions } from './hls-options.ts';
import { HlsStream } from './hls-stream.ts';
import { parsePlaylist } from './hls-test-kit.ts';

/** The fixture's real AVC and AAC sequence headers, then synthetic frames: 25 fps, 1 s GOPs, AAC every 23 ms. */
function messages(seconds: number): MediaMessage[] {
  const configs = new FlvDemuxer().push(fixture('flv/h264-aac-320x240.flv')).filter((m) => m.sequenceHeader);
  const out = [...configs];
  const frames: MediaMessage[] = [];
  for (let ms = 0, i = 0; ms < seconds * 1000; ms += 40, i++) {
    const key = i % 25 === 0;
    frames.push(
      mediaMessage(
        MediaType.Video,
        ms,
        Buffer.from([key ? 0x17 : 0x27, 1, 0, 0, 0, 0, 0, 0, 2, key ? 0x65 : 0x41, i & 0xff]),
      ),
    );
  }
  for (let ms = 0; ms < seconds * 1000; ms += 23)
    frames.push(mediaMessage(MediaType.Audio, ms, Buffer.from([0xaf, 1, 0x21, ms & 0xff])));
  return out.concat(frames.sort((a, b) => a.timestamp - b.timestamp));
}

function fmp4Stream(opts: HlsOptions = {}) {
  const clock = new FakeClock();
  const options = resolveHlsOptions({ now: clock.now, segmentFormat: 'fmp4', segmentTargetMs: 1000, ...opts });
  return new HlsStream({
    key: 'live/cam',
    name: 'cam',
    gen: 'g1',
    options,
    newMuxer: () => new Fmp4SegmentMuxer(),
    timers: clock,
  });
}

/** tfdt of each traf in a segment, by track id. */
function decodeTimes(bytes: Buffer): Map<number, number> {
  const out = new Map<number, number>();
  for (const moof of all(bytes, 'moof').slice(0, 1)) {
    for (const traf of all(bytes, 'traf', moof)) {
      const id = bytes.readUInt32BE(find(bytes, 'tfhd', traf)!.body + 4);
      out.set(id, Number(bytes.readBigUInt64BE(find(bytes, 'tfdt', traf)!.body + 4)));
    }
  }
  return out;
}

test('fMP4 HLS: version 6, EXT-X-MAP before the first segment, .m4s URIs, each segment a keyframe-led moof + mdat', () => {
  const stream = fmp4Stream();
  stream.publisherStarted();
  for (const m of messages(5)) stream.media(m);
  const p = parsePlaylist(stream.playlist(false, '?txTime=1'));
  assert.equal(p.version, 6);
  const text = stream.playlist(false, '?txTime=1');
  const maps = text.split('\n').filter((l) => l.startsWith('#EXT-X-MAP'));
  assert.equal(maps.length, 1, 'one init segment for one publisher');
  assert.match(maps[0]!, /^#EXT-X-MAP:URI="cam\/g1_init\d+\.mp4\?txTime=1"$/);
  assert.ok(text.indexOf('#EXT-X-MAP') < text.indexOf('#EXTINF'));
  assert.equal(p.segments.length, 4);
  for (const s of p.segments) assert.match(s.uri, /^cam\/g1_\d+\.m4s\?txTime=1$/);
  const id = Number(/init(\d+)/.exec(maps[0]!)![1]);
  const init = stream.init(id)!;
  assert.deepEqual(
    boxes(init.bytes).map((b) => b.type),
    ['ftyp', 'moov'],
  );
  let expected: Map<number, number> | undefined;
  for (const seg of stream.segments) {
    const bytes = seg.bytes!;
    assert.deepEqual([...new Set(boxes(bytes).map((b) => b.type))], ['moof', 'mdat']);
    const traf = all(bytes, 'traf', find(bytes, 'moof'))[0]!;
    const trun = find(bytes, 'trun', traf)!;
    assert.equal(bytes.readUInt32BE(trun.body + 12 + 8), 0x02000000, 'the first video sample is a sync sample');
    // Each segment's decode times start where the previous segment's samples ended.
    const times = decodeTimes(bytes);
    if (expected) assert.equal(times.get(1), expected.get(1));
    expected = new Map([[1, times.get(1)! + 90 * 1000]]);
  }
});

test('fMP4 LL-HLS: parts are fragments of their segment, the pending parts follow the init segment', () => {
  const stream = fmp4Stream({ lowLatencyDomains: ['*'], partTargetMs: 200 });
  stream.publisherStarted();
  for (const m of messages(3.1)) stream.media(m);
  for (const seg of stream.segments) {
    assert.ok(seg.parts.length >= 4);
    assert.deepEqual(Buffer.concat(seg.parts.map((x) => x.bytes)), seg.bytes);
    for (const part of seg.parts) assert.equal(boxes(part.bytes)[0]!.type, 'moof');
  }
  const text = stream.playlist(true, '');
  assert.match(text, /#EXT-X-PART:DURATION=[\d.]+,URI="cam\/g1_\d+_\d+\.m4s"/);
  assert.match(text, /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="cam\/g1_\d+_\d+\.m4s"/);
});

test('a new publisher gets a new init segment after EXT-X-DISCONTINUITY', () => {
  const stream = fmp4Stream();
  stream.publisherStarted();
  for (const m of messages(2.5)) stream.media(m);
  stream.publisherStarted();
  for (const m of messages(2.5)) stream.media(m);
  const lines = stream.playlist(false, '').split('\n');
  const maps = lines.filter((l) => l.startsWith('#EXT-X-MAP'));
  assert.equal(maps.length, 2);
  assert.notEqual(maps[0], maps[1]);
  assert.equal(lines[lines.indexOf(maps[1]!) - 1], '#EXT-X-DISCONTINUITY');
});

test('audio-only fMP4 HLS: segments cut on audio frames, one audio traf each, init with one trak', () => {
  const stream = fmp4Stream();
  stream.publisherStarted();
  for (const m of messages(4.5).filter((x) => x.type === MediaType.Audio)) stream.media(m);
  assert.ok(stream.segments.length >= 3);
  const init = stream.segments[0]!.map!.bytes;
  assert.equal(all(init, 'trak', find(init, 'moov')).length, 1);
  for (const seg of stream.segments) {
    const trafs = all(seg.bytes!, 'traf', find(seg.bytes!, 'moof'));
    assert.deepEqual(
      trafs.map((t) => seg.bytes!.readUInt32BE(find(seg.bytes!, 'tfhd', t)!.body + 4)),
      [2],
    );
    assert.ok(Math.abs(seg.duration - 1) < 0.05, `segment of ${seg.duration} s`);
  }
});
