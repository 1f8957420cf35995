import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, hex } from '../../../test/fixtures/fixture.ts';
import { parseAvcDecoderConfig } from '../codec/avc-config.ts';
import { aacCodecString, avcCodecString, hevcCodecString } from './codec-string.ts';

const avc = (name: string): string => avcCodecString(parseAvcDecoderConfig(fixture(`codec/${name}.avcC`)).sps[0]!);

test('avc1 strings are profile_idc, constraint flags and level_idc of x264 SPSs, in hex', () => {
  assert.equal(avc('avc-1920x1080-high'), 'avc1.640028'); // High, level 4.0
  assert.equal(avc('avc-1280x720-main'), 'avc1.4d401f'); // Main with constraint_set1, level 3.1
  assert.equal(avc('avc-426x240-baseline'), 'avc1.42c015'); // Constrained Baseline (set0 + set1), level 2.1
  assert.equal(avc('avc-640x360-high444-cqm'), 'avc1.f4001e'); // High 4:4:4 Predictive, level 3.0
});

test('hvc1 strings of x265 records: reversed compatibility flags, tier and level, constraint bytes', () => {
  // 01 | 01 (space 0, tier Main, profile 1) | 60000000 (Main + Main 10 compatible) | 900000000000 | 78 (level 4)
  assert.equal(hevcCodecString(fixture('codec/hevc-1920x1080-main.hvcC')), 'hvc1.1.6.L120.90');
  // profile 2 (Main 10), compatibility 0x20000000 -> 0x4, level 93 (3.1)
  assert.equal(hevcCodecString(fixture('codec/hevc-1280x720-main10-sublayers.hvcC')), 'hvc1.2.4.L93.90');
  // Rext (4), compatibility 0x08000000 -> 0x10, constraint bytes 9E 08 then zeros
  assert.equal(hevcCodecString(fixture('codec/hevc-642x362-main444.hvcC')), 'hvc1.4.10.L63.9E.8');
});

test('hvc1 strings spell profile space and the High tier, and drop all-zero constraints', () => {
  // profile_space 1 ('A'), tier High, profile 1; compatibility 0x40000000 -> 0x2; no constraint flags; level 150
  const record = hex('01 61 40000000 000000000000 96');
  assert.equal(hevcCodecString(record), 'hvc1.A1.2.H150');
});

test('mp4a strings carry the signalled Audio Object Type', () => {
  assert.equal(aacCodecString(2), 'mp4a.40.2');
  assert.equal(aacCodecString(5), 'mp4a.40.5');
  assert.equal(aacCodecString(29), 'mp4a.40.29');
});
