import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../errors.ts';
import { fixture, hex } from '../../../test/fixtures/fixture.ts';
import { decodeAmf0All } from '../amf0/amf0-decoder.ts';
import { MediaType, mediaMessage, type MediaMessage } from '../media.ts';
import { FlvDemuxer } from './flv-demuxer.ts';
import { encodeFlvHeader } from './flv-header.ts';
import { encodeFlvTag } from './flv-tag.ts';

const ffmpegFlv = fixture('flv/h264-aac-320x240.flv');
const smallFlv = fixture('flv/h264-mp3-176x144.flv');

/** Feeds `pieces` in order and returns every message, copied to plain objects for comparison. */
function demux(pieces: Buffer[], demuxer = new FlvDemuxer()): MediaMessage[] {
  return pieces.flatMap((piece) => demuxer.push(piece)).map((m) => ({ ...m }));
}

function assertFlvInvalid(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => err instanceof ProtocolError && err.code === 'FLV_INVALID');
}

describe('FlvDemuxer on ffmpeg output', () => {
  const messages = demux([ffmpegFlv]);

  it('reads the header flags and the onMetaData script tag first', () => {
    const demuxer = new FlvDemuxer();
    demuxer.push(ffmpegFlv);
    assert.deepEqual(demuxer.header, { audio: true, video: true });
    const first = messages[0]!;
    assert.equal(first.type, MediaType.Data);
    assert.equal(decodeAmf0All(first.payload)[0], 'onMetaData');
  });

  it('finds the sequence headers and the frames ffprobe counts (25 video, 45 audio, 1 keyframe)', () => {
    const video = messages.filter((m) => m.type === MediaType.Video);
    const audio = messages.filter((m) => m.type === MediaType.Audio);
    assert.equal(video.filter((m) => m.sequenceHeader).length, 1);
    assert.equal(audio.filter((m) => m.sequenceHeader).length, 1);
    assert.equal(video.filter((m) => m.payload[1] === 1).length, 25);
    assert.equal(audio.filter((m) => m.payload[1] === 1).length, 45);
    assert.deepEqual(
      video.filter((m) => m.keyframe && m.payload[1] === 1).map((m) => m.timestamp),
      [0],
    );
    // ffmpeg ends the stream with an AVC end-of-sequence tag (AVCPacketType 2, FrameType 1).
    assert.deepEqual([...video.at(-1)!.payload], [0x17, 0x02, 0, 0, 0]);
  });

  it('re-muxes to the very bytes ffmpeg wrote', () => {
    const remuxed = Buffer.concat([encodeFlvHeader({ audio: true, video: true }), ...messages.map(encodeFlvTag)]);
    assert.deepEqual(remuxed, ffmpegFlv);
  });

  it('hands out payloads as views of the pushed chunk, not copies', () => {
    const [meta] = new FlvDemuxer().push(ffmpegFlv);
    assert.equal(meta!.payload.buffer, ffmpegFlv.buffer);
  });
});

describe('FlvDemuxer accepts input split anywhere', () => {
  it('gives the same messages when fed one byte at a time', () => {
    const bytes = [...ffmpegFlv].map((b) => Buffer.from([b]));
    assert.deepEqual(demux(bytes), demux([ffmpegFlv]));
  });

  it('gives the same messages when split in two at every offset', () => {
    const whole = demux([smallFlv]);
    for (let cut = 0; cut <= smallFlv.length; cut++) {
      assert.deepEqual(demux([smallFlv.subarray(0, cut), smallFlv.subarray(cut)]), whole, `cut at ${cut}`);
    }
  });

  it('gives the same messages for any split into chunks', () => {
    const whole = demux([ffmpegFlv]);
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(ffmpegFlv.length), { maxLength: 40 }), (cuts) => {
        const sorted = [0, ...cuts.sort((a, b) => a - b), ffmpegFlv.length];
        const pieces = sorted.slice(1).map((end, i) => ffmpegFlv.subarray(sorted[i], end));
        assert.deepEqual(demux(pieces), whole);
      }),
      { numRuns: 200 },
    );
  });

  it('returns nothing until a tag is complete', () => {
    const demuxer = new FlvDemuxer();
    const tag = encodeFlvTag(mediaMessage(MediaType.Audio, 7, hex('af 01 21')));
    assert.deepEqual(demuxer.push(encodeFlvHeader({ audio: true, video: false })), []);
    assert.deepEqual(demuxer.push(tag.subarray(0, tag.length - 1)), []);
    const [msg] = demuxer.push(tag.subarray(tag.length - 1));
    assert.deepEqual(msg?.payload, hex('af 01 21'));
    assert.equal(msg?.timestamp, 7);
  });
});

describe('FlvDemuxer round trip', () => {
  const message = fc
    .record({
      type: fc.constantFrom(MediaType.Audio, MediaType.Video, MediaType.Data),
      timestamp: fc.nat({ max: 0xffffffff }),
      payload: fc.uint8Array({ maxLength: 300 }),
    })
    .map(({ type, timestamp, payload }) => mediaMessage(type, timestamp, Buffer.from(payload)));

  it('demux(header + encodeFlvTag(x)...) = x', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 20 }), fc.nat(64), (messages, split) => {
        const bytes = Buffer.concat([encodeFlvHeader({ audio: true, video: true }), ...messages.map(encodeFlvTag)]);
        const at = Math.min(split, bytes.length);
        assert.deepEqual(
          demux([bytes.subarray(0, at), bytes.subarray(at)]),
          messages.map((m) => ({ ...m })),
        );
      }),
    );
  });
});

describe('FlvDemuxer rejects invalid input', () => {
  const header = encodeFlvHeader({ audio: true, video: true });

  it('rejects a missing FLV signature', () => {
    assertFlvInvalid(() => new FlvDemuxer().push(hex('464c57 01 05 00000009 00000000')));
  });

  it('rejects an absurd DataOffset', () => {
    assertFlvInvalid(() => new FlvDemuxer().push(hex('464c56 01 05 00000008')));
    assertFlvInvalid(() => new FlvDemuxer().push(hex('464c56 01 05 7fffffff')));
  });

  it('skips a header extension the DataOffset announces', () => {
    const header12 = hex('464c56 01 05 0000000c aabbcc 00000000');
    const bytes = Buffer.concat([header12, encodeFlvTag(mediaMessage(MediaType.Audio, 1, hex('22')))]);
    assert.deepEqual(
      demux([bytes]).map((m) => m.payload),
      [hex('22')],
    );
  });

  it('rejects unknown and encrypted (Filter bit) tag types', () => {
    for (const type of ['07', '28', '29', '32', 'c8']) {
      assertFlvInvalid(() => new FlvDemuxer().push(Buffer.concat([header, hex(`${type} 000001 000000 00 000000`)])));
    }
  });

  it('rejects a tag larger than maxTagSize as soon as its header arrives', () => {
    const demuxer = new FlvDemuxer({ maxTagSize: 1000 });
    demuxer.push(header);
    assert.equal(demuxer.push(encodeFlvTag(mediaMessage(9, 0, Buffer.alloc(1000)))).length, 1);
    assertFlvInvalid(() => demuxer.push(hex('09 0003e9 000000 00 000000')));
  });

  it('keeps failing after an error instead of resynchronising on garbage', () => {
    const demuxer = new FlvDemuxer();
    assertFlvInvalid(() => demuxer.push(hex('000000000000000000')));
    assertFlvInvalid(() => demuxer.push(ffmpegFlv));
  });

  it('returns messages or throws ProtocolError for any bytes, with or without a valid header', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 200 }), fc.nat(200), (withHeader, bytes, split) => {
        const input = Buffer.concat([withHeader ? header : Buffer.alloc(0), Buffer.from(bytes)]);
        const demuxer = new FlvDemuxer({ maxTagSize: 100 });
        try {
          demux([input.subarray(0, split), input.subarray(split)], demuxer);
        } catch (err) {
          assert.ok(err instanceof ProtocolError, String(err));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
