import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../errors.ts';
import { fixture } from '../../../test/fixtures/fixture.ts';
import { hevcSpsWithSubLayers } from '../../../test/fixtures/codec/synthetic-sps.ts';
import { parseHevcDecoderConfig, parseHevcSps } from './hevc-config.ts';

const invalid = (err: unknown): boolean => err instanceof ProtocolError && err.code === 'CODEC_CONFIG_INVALID';

/** Wraps NAL units in an HEVCDecoderConfigurationRecord with 4-byte NAL lengths, one array per unit. */
function record(...nals: Buffer[]): Buffer {
  const head = Buffer.alloc(23);
  head[0] = 1;
  head[21] = 0x0f; // lengthSizeMinusOne = 3
  head[22] = nals.length;
  const arrays = nals.map((nal) => {
    const a = Buffer.alloc(5);
    a[0] = 0x80 | ((nal[0]! >> 1) & 0x3f);
    a.writeUInt16BE(1, 1);
    a.writeUInt16BE(nal.length, 3);
    return Buffer.concat([a, nal]);
  });
  return Buffer.concat([head, ...arrays]);
}

describe('parseHevcDecoderConfig on x265 output', () => {
  // Expectations are what ffprobe 5.1 and x265 report for the MP4 files the records came from.
  const table: [string, number, string, number, number, number, number, number][] = [
    // file, profile, profile name, level, width, height, chroma format, bit depth
    ['hevc-1920x1080-main.hvcC', 1, 'Main', 4, 1920, 1080, 1, 8],
    ['hevc-426x240-main.hvcC', 1, 'Main', 2, 426, 240, 1, 8], // coded 432 wide, window right 3 x 2
    ['hevc-1280x720-main10-sublayers.hvcC', 2, 'Main 10', 3.1, 1280, 720, 1, 10], // sps_max_sub_layers_minus1 1
    ['hevc-642x362-main444.hvcC', 4, 'Rext', 2.1, 642, 362, 3, 8], // coded 648x368, window 6 x 1
  ];
  for (const [file, profile, profileName, level, width, height, chromaFormat, bitDepth] of table) {
    it(`${file}: ${profileName} ${width}x${height}`, () => {
      const c = parseHevcDecoderConfig(fixture(`codec/${file}`));
      assert.deepEqual(
        [c.profile, c.profileName, c.level, c.width, c.height, c.chromaFormat, c.bitDepth, c.lengthSize],
        [profile, profileName, level, width, height, chromaFormat, bitDepth, 4],
      );
      // x265 also stores its SEI in the record; only the parameter sets are kept.
      assert.deepEqual([c.vps.length, c.sps.length, c.pps.length], [1, 1, 1]);
      assert.deepEqual([c.vps[0]![0]! >> 1, c.sps[0]![0]! >> 1, c.pps[0]![0]! >> 1], [32, 33, 34]);
    });
  }
});

describe('parseHevcSps syntax x265 does not emit', () => {
  it('skips sub-layer profiles and levels to reach the conformance window', () => {
    const c = parseHevcDecoderConfig(record(hevcSpsWithSubLayers()));
    assert.deepEqual([c.profileName, c.level, c.width, c.height], ['Main', 4.1, 1920, 1080]);
  });

  it('takes the profile from the compatibility flags when general_profile_idc is 0', () => {
    const sps = Buffer.from(parseHevcDecoderConfig(fixture('codec/hevc-1920x1080-main.hvcC')).sps[0]!);
    sps[3] = sps[3]! & 0xe0; // general_profile_idc = 0; compatibility flags 1 and 2 stay set
    assert.equal(parseHevcSps(sps).profile, 1);
  });
});

describe('parseHevcDecoderConfig rejects malformed records', () => {
  const good = fixture('codec/hevc-1920x1080-main.hvcC');

  it('rejects a wrong version, NAL length size 3 and a record without an SPS', () => {
    const mutate = (at: number, value: number): Buffer => {
      const b = Buffer.from(good);
      b[at] = value;
      return b;
    };
    assert.throws(() => parseHevcDecoderConfig(mutate(0, 2)), invalid);
    assert.throws(() => parseHevcDecoderConfig(mutate(21, 0xfe)), invalid);
    const vps = parseHevcDecoderConfig(good).vps[0]!;
    assert.throws(() => parseHevcDecoderConfig(record(vps)), invalid);
    assert.throws(() => parseHevcSps(vps), invalid);
  });

  it('rejects every truncation', () => {
    for (let cut = 0; cut < good.length; cut++) {
      assert.throws(() => parseHevcDecoderConfig(good.subarray(0, cut)), invalid, `cut ${cut}`);
    }
  });

  it('returns a config or throws CODEC_CONFIG_INVALID for any bytes and any mutation of an SPS', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          parseHevcDecoderConfig(Buffer.from(bytes));
        } catch (err) {
          assert.ok(invalid(err), String(err));
        }
      }),
      { numRuns: 3000 },
    );
    const sps = parseHevcDecoderConfig(good).sps[0]!;
    fc.assert(
      fc.property(fc.nat(sps.length - 1), fc.nat(255), (at, byte) => {
        const b = Buffer.from(sps);
        b[at] = byte;
        try {
          const c = parseHevcSps(b);
          assert.ok(c.width > 0 && c.height > 0 && c.width <= 16888 && c.height <= 16888);
        } catch (err) {
          assert.ok(invalid(err), String(err));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
