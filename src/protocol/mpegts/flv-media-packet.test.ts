import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../errors.ts';
import { hex } from '../../../test/fixtures/fixture.ts';
import { readFlvAudio, readFlvVideo } from './flv-media-packet.ts';

test('legacy AVC and CodecID 12 HEVC: sequence header, NALUs with a signed composition time', () => {
  assert.deepEqual(readFlvVideo(hex('17 00 000000 01')), {
    codec: 'avc',
    config: true,
    keyframe: true,
    cts: 0,
    offset: 5,
  });
  assert.deepEqual(readFlvVideo(hex('27 01 000050 00000001 41')), {
    codec: 'avc',
    config: false,
    keyframe: false,
    cts: 80,
    offset: 5,
  });
  assert.deepEqual(readFlvVideo(hex('1c 01 ffffd8 00')), {
    codec: 'hevc',
    config: false,
    keyframe: true,
    cts: -40,
    offset: 5,
  });
  assert.equal(readFlvVideo(hex('17 02 000000')), undefined, 'end of sequence holds no picture');
  assert.equal(readFlvVideo(hex('12 00 0000')), undefined, 'Sorenson H.263 is not carried');
  assert.equal(readFlvVideo(hex('57 01 000000')), undefined, 'a command frame holds no picture');
  assert.equal(readFlvVideo(Buffer.alloc(0)), undefined);
});

test('Enhanced RTMP video: SequenceStart, CodedFrames with SI24 time, CodedFramesX without', () => {
  assert.deepEqual(readFlvVideo(hex('90 68766331 01')), {
    codec: 'hevc',
    config: true,
    keyframe: true,
    cts: 0,
    offset: 5,
  });
  assert.deepEqual(readFlvVideo(hex('91 68766331 ffff9c 00')), {
    codec: 'hevc',
    config: false,
    keyframe: true,
    cts: -100,
    offset: 8,
  });
  assert.deepEqual(readFlvVideo(hex('a3 61766331 00')), {
    codec: 'avc',
    config: false,
    keyframe: false,
    cts: 0,
    offset: 5,
  });
  assert.equal(readFlvVideo(hex('91 61763031 000000')), undefined, 'AV1 is not carried');
  assert.equal(readFlvVideo(hex('92 68766331')), undefined, 'SequenceEnd');
  assert.equal(readFlvVideo(hex('94 68766331 02')), undefined, 'Metadata');
  assert.equal(readFlvVideo(hex('96 00 68766331')), undefined, 'Multitrack is not carried');
});

test('Enhanced RTMP ModEx prefixes are skipped, short and long sizes', () => {
  // ModEx: size-1 = 3 (4 bytes of data), then modExType 0 | CodedFrames.
  assert.deepEqual(readFlvVideo(hex('97 03 00000001 01 68766331 000028 00')), {
    codec: 'hevc',
    config: false,
    keyframe: true,
    cts: 40,
    offset: 14,
  });
  // Size-1 = 255 escapes to UI16 + 1: 0x0001 + 1 = 2 bytes; then another ModEx of 1 byte, then CodedFramesX.
  assert.deepEqual(readFlvVideo(hex('97 ff 0001 aaaa 07 00 bb 03 68766331 00')), {
    codec: 'hevc',
    config: false,
    keyframe: true,
    cts: 0,
    offset: 14,
  });
  // FrameType sits in the first byte, before any ModEx (MediaMessage.keyframe only sees PacketType 7 there).
  assert.equal(readFlvVideo(hex('a7 00 ee 01 68766331 000000 00'))?.keyframe, false);
});

test('AAC audio: legacy and Enhanced mp4a, other codecs ignored', () => {
  assert.deepEqual(readFlvAudio(hex('af 00 1210')), { config: true, offset: 2 });
  assert.deepEqual(readFlvAudio(hex('ae 01 21')), { config: false, offset: 2 });
  assert.deepEqual(readFlvAudio(hex('90 6d703461 1210')), { config: true, offset: 5 });
  assert.deepEqual(readFlvAudio(hex('91 6d703461 21')), { config: false, offset: 5 });
  assert.deepEqual(readFlvAudio(hex('97 00 ee 01 6d703461 21')), { config: false, offset: 8 });
  assert.equal(readFlvAudio(hex('2f ff')), undefined, 'MP3 is not carried');
  assert.equal(readFlvAudio(hex('91 4f707573 00')), undefined, 'Opus is not carried');
  assert.equal(readFlvAudio(hex('95 00 6d703461')), undefined, 'Multitrack is not carried');
});

test('headers cut short are TS_MUX_INPUT errors', () => {
  const isInput = (e: unknown): boolean => e instanceof ProtocolError && e.code === 'TS_MUX_INPUT';
  for (const p of [hex('17 01 0000'), hex('91 687663'), hex('91 68766331 0000'), hex('97 03 0000'), hex('97 ff 00')]) {
    assert.throws(() => readFlvVideo(p), isInput, p.toString('hex'));
  }
  for (const p of [hex('af'), hex('91 6d70'), hex('97 00')]) {
    assert.throws(() => readFlvAudio(p), isInput, p.toString('hex'));
  }
});
