import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../errors.ts';
import { fixture, hex } from '../../../test/fixtures/fixture.ts';
import { ascCases } from '../../../test/fixtures/codec/synthetic-asc.ts';
import { FlvDemuxer } from '../flv/flv-demuxer.ts';
import { parseAacAudioSpecificConfig } from './aac-config.ts';

const invalid = (err: unknown): boolean => err instanceof ProtocolError && err.code === 'CODEC_CONFIG_INVALID';

/** The AudioSpecificConfig of the first AAC sequence header in an FLV fixture. */
function ascOf(file: string): Buffer {
  const header = new FlvDemuxer().push(fixture(file)).find((m) => m.type === 8 && m.sequenceHeader);
  return header!.payload.subarray(2);
}

describe('parseAacAudioSpecificConfig on ffmpeg output', () => {
  it('reads LC 44.1 kHz mono, ignoring the "no SBR" sync extension ffmpeg appends', () => {
    const asc = ascOf('flv/h264-aac-320x240.flv');
    assert.deepEqual(asc, hex('1208 56e500'));
    assert.deepEqual(parseAacAudioSpecificConfig(asc), {
      objectType: 2,
      profileName: 'LC',
      sampleRate: 44100,
      channels: 1,
    });
  });

  it('reads LC 48 kHz stereo', () => {
    assert.deepEqual(parseAacAudioSpecificConfig(ascOf('flv/aac-48000-stereo.flv')), {
      objectType: 2,
      profileName: 'LC',
      sampleRate: 48000,
      channels: 2,
    });
  });

  it('reads the bare two-byte configs encoders commonly send', () => {
    const table: [string, number, number][] = [
      ['1210', 44100, 2],
      ['1190', 48000, 2],
      ['1388', 22050, 1],
      ['11b0', 48000, 6],
      ['11b8', 48000, 8], // channelConfiguration 7 is 7.1
    ];
    for (const [bytes, sampleRate, channels] of table) {
      const c = parseAacAudioSpecificConfig(hex(bytes));
      assert.deepEqual([c.profileName, c.sampleRate, c.channels], ['LC', sampleRate, channels], bytes);
    }
  });
});

describe('parseAacAudioSpecificConfig on signalling FFmpeg does not write', () => {
  for (const c of ascCases) {
    it(c.name, () => {
      const { asc, name: _name, ...expected } = c;
      assert.deepEqual(parseAacAudioSpecificConfig(asc), expected);
    });
  }
});

describe('parseAacAudioSpecificConfig rejects malformed configs', () => {
  it('rejects object type 0, reserved rate indexes and channel configurations, and a zero explicit rate', () => {
    for (const bytes of ['0010', '16a0', '1720', '1240', '17800000 0010']) {
      assert.throws(() => parseAacAudioSpecificConfig(hex(bytes)), invalid, bytes);
    }
  });

  it('rejects every truncation of the required fields', () => {
    for (const c of ascCases) {
      // Cut inside the explicit rate, the escape, the PCE: everything but a trailing sync extension is required.
      for (let cut = 0; cut < 2; cut++) {
        assert.throws(() => parseAacAudioSpecificConfig(c.asc.subarray(0, cut)), invalid, `${c.name} cut ${cut}`);
      }
    }
    const pce = ascCases.find((c) => c.name.includes('program config'))!.asc;
    for (let cut = 0; cut < 12; cut++) {
      assert.throws(() => parseAacAudioSpecificConfig(pce.subarray(0, cut)), invalid, `PCE cut ${cut}`);
    }
    // Without its optional SBR sync extension the same config is plain LC at the core rate.
    const core = parseAacAudioSpecificConfig(pce.subarray(0, 12));
    assert.deepEqual([core.profileName, core.sampleRate, core.channels], ['LC', 24000, 6]);
  });

  it('returns a config or throws CODEC_CONFIG_INVALID for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
        try {
          const c = parseAacAudioSpecificConfig(Buffer.from(bytes));
          assert.ok(c.sampleRate > 0 && c.channels >= 0 && c.objectType > 0);
        } catch (err) {
          assert.ok(invalid(err), String(err));
        }
      }),
      { numRuns: 5000 },
    );
  });
});
