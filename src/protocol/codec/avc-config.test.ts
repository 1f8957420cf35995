import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../errors.ts';
import { fixture, hex } from '../../../test/fixtures/fixture.ts';
import { avcSpsWithScalingLists } from '../../../test/fixtures/codec/synthetic-sps.ts';
import { FlvDemuxer } from '../flv/flv-demuxer.ts';
import { parseAvcDecoderConfig, parseAvcSps } from './avc-config.ts';

const invalid = (err: unknown): boolean => err instanceof ProtocolError && err.code === 'CODEC_CONFIG_INVALID';

/** Wraps one SPS and one PPS in an AVCDecoderConfigurationRecord with 4-byte NAL lengths. */
function record(sps: Buffer, pps = hex('68 eb e3 cb 22 c0')): Buffer {
  const head = Buffer.from([1, sps[1]!, sps[2]!, sps[3]!, 0xff, 0xe1, sps.length >> 8, sps.length & 0xff]);
  return Buffer.concat([head, sps, Buffer.from([1, pps.length >> 8, pps.length & 0xff]), pps]);
}

describe('parseAvcDecoderConfig on x264 output', () => {
  // Expectations are what ffprobe 5.1 reports for the MP4 files the records came from.
  const table: [string, string, number, number, number, number, number][] = [
    // file, profile name, level, width, height, chroma format, bit depth
    ['avc-1920x1080-high.avcC', 'High', 4, 1920, 1080, 1, 8], // 1088 coded rows, 8 cropped
    ['avc-1280x720-main.avcC', 'Main', 3.1, 1280, 720, 1, 8],
    ['avc-426x240-baseline.avcC', 'Constrained Baseline', 2.1, 426, 240, 1, 8], // 432 coded columns
    ['avc-1920x1080-interlaced.avcC', 'High', 4, 1920, 1080, 1, 8], // 34 field-pair map units
    ['avc-640x360-high444-cqm.avcC', 'High 4:4:4 Predictive', 3, 640, 360, 3, 8], // crop unit 1 row
    ['avc-640x360-high422-10bit.avcC', 'High 4:2:2', 3, 640, 360, 2, 10],
  ];
  for (const [file, profileName, level, width, height, chromaFormat, bitDepth] of table) {
    it(`${file}: ${profileName} ${width}x${height}`, () => {
      const config = parseAvcDecoderConfig(fixture(`codec/${file}`));
      const c = config;
      assert.deepEqual(
        [c.profileName, c.level, c.width, c.height, c.chromaFormat, c.bitDepth, c.lengthSize].concat([
          c.sps.length,
          c.pps.length,
        ]),
        [profileName, level, width, height, chromaFormat, bitDepth, 4, 1, 1],
      );
      assert.equal(config.sps[0]![0]! & 0x1f, 7);
      assert.equal(config.pps[0]![0]! & 0x1f, 8);
    });
  }

  it('reads the sequence header ffmpeg put in an FLV file: High, 320x240', () => {
    const video = new FlvDemuxer().push(fixture('flv/h264-aac-320x240.flv')).find((m) => m.type === 9);
    const config = parseAvcDecoderConfig(video!.payload.subarray(5));
    assert.equal(config.profile, 100);
    assert.equal(config.profileName, 'High');
    assert.equal(config.level, 1.3);
    assert.equal(config.width, 320);
    assert.equal(config.height, 240);
  });
});

describe('parseAvcSps syntax x264 does not emit', () => {
  it('walks sequence scaling lists and pic_order_cnt_type 1 to the cropped 1920x1080', () => {
    const config = parseAvcDecoderConfig(record(avcSpsWithScalingLists()));
    assert.equal(config.profileName, 'High');
    assert.equal(config.level, 4);
    assert.equal(config.width, 1920);
    assert.equal(config.height, 1080);
  });

  it('names profiles by their constraint flags', () => {
    const sps = Buffer.from(fixture('codec/avc-426x240-baseline.avcC').subarray(8, 8 + 25));
    assert.equal(parseAvcSps(sps).profileName, 'Constrained Baseline');
    sps[2] = 0x00; // clear constraint_set0/1
    assert.equal(parseAvcSps(sps).profileName, 'Baseline');
  });
});

describe('parseAvcDecoderConfig rejects malformed records', () => {
  const good = fixture('codec/avc-1920x1080-high.avcC');

  it('rejects a wrong version, NAL length size 3, no SPS, or a non-SPS NAL unit', () => {
    const mutate = (at: number, value: number): Buffer => {
      const b = Buffer.from(good);
      b[at] = value;
      return b;
    };
    assert.throws(() => parseAvcDecoderConfig(mutate(0, 0)), invalid);
    assert.throws(() => parseAvcDecoderConfig(mutate(4, 0xfe)), invalid);
    assert.throws(() => parseAvcDecoderConfig(mutate(5, 0xe0)), invalid);
    assert.throws(() => parseAvcDecoderConfig(mutate(8, 0x68)), invalid);
    // Annex B instead of a record, as some broken encoders send.
    assert.throws(() => parseAvcDecoderConfig(hex('00000001 6764001f acd9 4050')), invalid);
  });

  it('rejects every truncation inside the parameter sets; the optional High-profile trailer may go', () => {
    const parameterSetsEnd = 6 + 2 + good.readUInt16BE(6) + 1 + 2 + good.readUInt16BE(6 + 2 + good.readUInt16BE(6) + 1);
    const whole = parseAvcDecoderConfig(good);
    for (let cut = 0; cut < good.length; cut++) {
      const prefix = good.subarray(0, cut);
      if (cut < parameterSetsEnd) assert.throws(() => parseAvcDecoderConfig(prefix), invalid, `cut ${cut}`);
      else assert.equal(parseAvcDecoderConfig(prefix).height, whole.height);
    }
  });

  it('rejects an SPS cut before the end of its frame cropping fields, and needs nothing after them', () => {
    // ffmpeg's trace_headers puts the end of frame_crop_bottom_offset at bit 88 of this SPS.
    const sps = parseAvcDecoderConfig(good).sps[0]!;
    for (let cut = 0; cut < 11; cut++) assert.throws(() => parseAvcSps(sps.subarray(0, cut)), invalid, `cut ${cut}`);
    assert.equal(parseAvcSps(sps.subarray(0, 11)).height, 1080);
  });

  it('returns a config or throws CODEC_CONFIG_INVALID for any bytes and any mutation', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          parseAvcDecoderConfig(Buffer.from(bytes));
        } catch (err) {
          assert.ok(invalid(err), String(err));
        }
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.nat(255), (at, byte) => {
        const b = Buffer.from(good);
        b[at] = byte;
        try {
          const c = parseAvcDecoderConfig(b);
          assert.ok(c.width > 0 && c.height > 0 && c.width <= 32768 && c.height <= 65536);
        } catch (err) {
          assert.ok(invalid(err), String(err));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
