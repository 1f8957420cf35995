import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../errors.ts';
import { ascCases } from '../../../test/fixtures/codec/synthetic-asc.ts';
import { AudioTrack } from './audio-track.ts';

/** The ADTS fixed and variable header fields (ISO/IEC 13818-7 §6.2.1), read bit by bit. */
function adtsFields(h: Buffer): Record<string, number> {
  const bits = [...h].map((b) => b.toString(2).padStart(8, '0')).join('');
  const at = (from: number, n: number): number => parseInt(bits.slice(from, from + n), 2);
  return {
    syncword: at(0, 12),
    id: at(12, 1),
    layer: at(13, 2),
    protectionAbsent: at(15, 1),
    profile: at(16, 2),
    frequencyIndex: at(18, 4),
    privateBit: at(22, 1),
    channelConfig: at(23, 3),
    originalCopy: at(26, 1),
    home: at(27, 1),
    copyrightBits: at(28, 2),
    frameLength: at(30, 13),
    bufferFullness: at(43, 11),
    rawBlocks: at(54, 2),
  };
}

const header = (track: AudioTrack, raw: number): Buffer => {
  const h = Buffer.alloc(9, 0xaa);
  track.writeAdtsHeader(h, 1, raw);
  assert.equal(h[0], 0xaa);
  assert.equal(h[8], 0xaa);
  return h.subarray(1, 8);
};

test('AAC-LC 44.1 kHz stereo: the ADTS header FFmpeg writes for a 100-byte frame', () => {
  const track = new AudioTrack(Buffer.from([0x12, 0x10]));
  assert.deepEqual([...header(track, 100)], [0xff, 0xf1, 0x50, 0x80, 0x0d, 0x7f, 0xfc]);
  assert.equal(track.codecString, 'mp4a.40.2');
  assert.equal(track.sampleRate, 44100);
  assert.equal(track.channels, 2);
  assert.equal(track.streamType, 0x0f);
});

test('ADTS fields: MPEG-4, no CRC, profile = object type - 1, length counts the header, VBR fullness', () => {
  const track = new AudioTrack(Buffer.from([0x11, 0x88])); // 00010 0011 0001 000: LC, 48 kHz (index 3), mono
  assert.deepEqual(adtsFields(header(track, 8184)), {
    syncword: 0xfff,
    id: 0,
    layer: 0,
    protectionAbsent: 1,
    profile: 1,
    frequencyIndex: 3,
    privateBit: 0,
    channelConfig: 1,
    originalCopy: 0,
    home: 0,
    copyrightBits: 0,
    frameLength: 8191,
    bufferFullness: 0x7ff,
    rawBlocks: 0,
  });
  assert.throws(
    () => header(track, 8185),
    (e: unknown) => e instanceof ProtocolError && e.code === 'TS_MUX_INPUT',
  );
});

test('HE-AAC and HE-AACv2 keep their core LC layer in ADTS; the codec string names the signalled type', () => {
  const he = new AudioTrack(ascCases.find((c) => c.name.startsWith('HE-AAC signalled explicitly'))!.asc);
  const fields = adtsFields(header(he, 10));
  assert.deepEqual([fields.profile, fields.frequencyIndex, fields.channelConfig], [1, 6, 2], 'LC, 24 kHz core, stereo');
  assert.equal(he.codecString, 'mp4a.40.5');
  assert.equal(he.sampleRate, 48000);
  const v2 = new AudioTrack(ascCases.find((c) => c.name.startsWith('HE-AACv2 signalled explicitly'))!.asc);
  assert.equal(adtsFields(header(v2, 10)).channelConfig, 1, 'mono core; PS makes stereo');
  assert.equal(v2.codecString, 'mp4a.40.29');
  const implicit = new AudioTrack(ascCases.find((c) => c.name.startsWith('HE-AACv2 signalled implicitly'))!.asc);
  const implicitFields = adtsFields(header(implicit, 10));
  assert.deepEqual([implicitFields.profile, implicitFields.frequencyIndex], [1, 6]);
  assert.equal(implicit.codecString, 'mp4a.40.29');
});

test('configurations ADTS cannot describe are TS_MUX_INPUT: explicit rate, ELD, a PCE layout', () => {
  for (const prefix of ['LC with an explicit', 'ELD through', '5.1 laid out by a program config element']) {
    const asc = ascCases.find((c) => c.name.startsWith(prefix))!.asc;
    assert.throws(
      () => new AudioTrack(asc),
      (e: unknown) => e instanceof ProtocolError && e.code === 'TS_MUX_INPUT',
      prefix,
    );
  }
});

test('a malformed AudioSpecificConfig is CODEC_CONFIG_INVALID from the shared parser', () => {
  assert.throws(
    () => new AudioTrack(Buffer.from([0x12])),
    (e: unknown) => e instanceof ProtocolError && e.code === 'CODEC_CONFIG_INVALID',
  );
});
