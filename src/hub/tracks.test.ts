import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { ingestMediaMessage } from '../protocol/flv/default-track.ts';
import { multitrackBody } from '../protocol/flv/ex-fixtures.ts';
import { MediaType } from '../protocol/media.ts';
import { FakeSink, testHub } from './hub-test-kit.ts';

const frame = Buffer.of(0, 0, 0, 0, 0, 0, 1, 0x65);
const body = (ids: number[]) =>
  multitrackBody(
    true,
    1,
    1,
    ids.map((trackId) => ({ trackId, fourCc: 'avc1', body: frame })),
  );

test('Multitrack players get every track; legacy RTMP and FLV players get track 0 alone, and nothing of a message without it', () => {
  const { hub, clock } = testHub();
  const stream = hub.claim('live/mt', { id: 'p' });
  const multi = new FakeSink('rtmp-multitrack');
  const rtmp = new FakeSink('rtmp');
  const flv = new FakeSink('flv');
  for (const s of [multi, rtmp, flv]) hub.subscribe('live/mt', s);
  const both = body([0, 1]);
  stream.publish(ingestMediaMessage(MediaType.Video, 0, both));
  stream.publish(ingestMediaMessage(MediaType.Video, 40, body([1])));
  clock.advance(100);
  assert.deepEqual(
    multi.written.map((b) => b.subarray(5)),
    [both, body([1])],
    'the bytes as the publisher sent them',
  );
  const legacy = Buffer.concat([Buffer.of(0x17, 1), frame]);
  assert.deepEqual(
    rtmp.written.map((b) => b.subarray(5)),
    [legacy],
  );
  assert.deepEqual(
    flv.written.map((b) => b.subarray(4)),
    [legacy],
  );
  assert.ok(multi.written[0]!.toString('latin1').startsWith('rtmp:'), 'Multitrack players share the RTMP encoder');
});

test('a codec a muxed output cannot carry is counted once per change and noted in the log', () => {
  const { hub, logger } = testHub();
  const stream = hub.claim('live/flac', { id: 'p' });
  stream.setCodecInfo({ kind: 'audio', codec: 'FLAC', sampleRate: 48000 });
  stream.setCodecInfo({ kind: 'audio', codec: 'FLAC', sampleRate: 48000 });
  assert.equal(hub.stats().codecsLeftOut, 3, 'TS HLS, fMP4 HLS and MP4 recording leave FLAC out');
  stream.setCodecInfo({ kind: 'audio', codec: 'Opus', sampleRate: 48000 });
  assert.equal(hub.stats().codecsLeftOut, 4, 'Opus is left out of TS HLS only');
  stream.setCodecInfo({ kind: 'video', codec: 'H264' });
  assert.equal(hub.stats().codecsLeftOut, 4);
  assert.ok(logger.lines.some((l) => (l.obj as { codec?: string }).codec === 'FLAC'));
});
