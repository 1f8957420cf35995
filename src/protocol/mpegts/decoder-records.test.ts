import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../../../test/fixtures/fixture.ts';
import { parseAvcDecoderConfig } from '../codec/avc-config.ts';
import { parseHevcDecoderConfig } from '../codec/hevc-config.ts';
import { buildAvcRecord, buildHevcRecord } from './decoder-records.ts';

for (const name of [
  'avc-1920x1080-high',
  'avc-1280x720-main',
  'avc-426x240-baseline',
  'avc-1920x1080-interlaced',
  'avc-640x360-high444-cqm',
  'avc-640x360-high422-10bit',
]) {
  test(`${name}: the record built from its SPS and PPS is the one x264 wrote into MP4, byte for byte`, () => {
    const record = fixture(`codec/${name}.avcC`);
    const c = parseAvcDecoderConfig(record);
    const built = buildAvcRecord(c.sps[0]!, c.pps);
    // Including the chroma and bit-depth trailer of every High profile (4:4:4 Predictive too, as FFmpeg writes it).
    assert.equal(built.toString('hex'), record.toString('hex'));
  });
}

for (const name of [
  'hevc-1920x1080-main',
  'hevc-426x240-main',
  'hevc-1280x720-main10-sublayers',
  'hevc-642x362-main444',
]) {
  test(`${name}: the record built from VPS/SPS/PPS says what x265's does`, () => {
    const record = fixture(`codec/${name}.hvcC`);
    const c = parseHevcDecoderConfig(record);
    const built = buildHevcRecord(c.vps[0]!, c.sps[0]!, c.pps);
    const b = parseHevcDecoderConfig(built);
    assert.deepEqual(
      [b.profile, b.level, b.width, b.height, b.chromaFormat, b.bitDepth, b.vps, b.sps, b.pps],
      [c.profile, c.level, c.width, c.height, c.chromaFormat, c.bitDepth, c.vps, c.sps, c.pps],
    );
    // profile_tier_level, chroma format, bit depths and the sub-layer fields as x265 writes them.
    assert.equal(built.subarray(1, 13).toString('hex'), record.subarray(1, 13).toString('hex'));
    assert.deepEqual(
      [built[16], built[17], built[18], built[21]! & 0x3f],
      [record[16], record[17], record[18], record[21]! & 0x3f],
    );
  });
}

test('an SPS the parser refuses is CODEC_CONFIG_INVALID, and so is a record without a PPS', () => {
  const c = parseAvcDecoderConfig(fixture('codec/avc-426x240-baseline.avcC'));
  assert.throws(() => buildAvcRecord(Buffer.from([0x67, 0x42]), c.pps), { code: 'CODEC_CONFIG_INVALID' });
  assert.throws(() => buildAvcRecord(c.sps[0]!, []), { code: 'CODEC_CONFIG_INVALID' });
});
