import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mediaMessage, MediaType } from './media.ts';

const flags = (type: 8 | 9 | 18, hex: string) => {
  const m = mediaMessage(type, 0, Buffer.from(hex, 'hex'));
  return { keyframe: m.keyframe, sequenceHeader: m.sequenceHeader };
};

test('legacy AVC: sequence header, keyframe, inter frame, end of sequence', () => {
  assert.deepEqual(flags(MediaType.Video, '1700000000'), { keyframe: false, sequenceHeader: true });
  assert.deepEqual(flags(MediaType.Video, '1701000000'), { keyframe: true, sequenceHeader: false });
  assert.deepEqual(flags(MediaType.Video, '2701000000'), { keyframe: false, sequenceHeader: false });
  assert.deepEqual(flags(MediaType.Video, '1702000000'), { keyframe: false, sequenceHeader: false });
});

test('Enhanced RTMP video: SequenceStart, CodedFrames keyframe, CodedFramesX, SequenceEnd', () => {
  // 0x90 = ExHeader | FrameType 1 | PacketType 0, then FourCC hvc1.
  assert.deepEqual(flags(MediaType.Video, '9068766331'), { keyframe: false, sequenceHeader: true });
  assert.deepEqual(flags(MediaType.Video, '9168766331'), { keyframe: true, sequenceHeader: false });
  assert.deepEqual(flags(MediaType.Video, '9368766331'), { keyframe: true, sequenceHeader: false });
  assert.deepEqual(flags(MediaType.Video, 'a368766331'), { keyframe: false, sequenceHeader: false });
  assert.deepEqual(flags(MediaType.Video, '9268766331'), { keyframe: false, sequenceHeader: false });
});

test('audio: AAC config vs raw, Enhanced RTMP audio SequenceStart, MP3 never a header', () => {
  assert.deepEqual(flags(MediaType.Audio, 'af001210'), { keyframe: false, sequenceHeader: true });
  assert.deepEqual(flags(MediaType.Audio, 'af01aabb'), { keyframe: false, sequenceHeader: false });
  assert.deepEqual(flags(MediaType.Audio, '904f707573'), { keyframe: false, sequenceHeader: true });
  assert.deepEqual(flags(MediaType.Audio, '2f00ff'), { keyframe: false, sequenceHeader: false });
});

test('empty payloads and data messages carry no flags; timestamps are unsigned 32-bit', () => {
  assert.deepEqual(flags(MediaType.Video, ''), { keyframe: false, sequenceHeader: false });
  assert.deepEqual(flags(MediaType.Data, '02000a6f6e4d65746144617461'), { keyframe: false, sequenceHeader: false });
  assert.equal(mediaMessage(MediaType.Audio, -1, Buffer.alloc(0)).timestamp, 0xffffffff);
});
