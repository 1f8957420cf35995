import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../errors.ts';
import { fixture, hex } from '../../../test/fixtures/fixture.ts';
import { FlvDemuxer } from '../flv/flv-demuxer.ts';
import { MediaType, mediaMessage, type MediaMessage } from '../media.ts';
import { describeMediaMessage } from './media-info.ts';

const invalid = (err: unknown): boolean => err instanceof ProtocolError && err.code === 'CODEC_CONFIG_INVALID';
/** Concatenates bytes and FourCC strings into a payload. */
const bytes = (parts: (Buffer | string)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
const video = (...parts: (Buffer | string)[]): MediaMessage => mediaMessage(MediaType.Video, 0, bytes(parts));
const audio = (...parts: (Buffer | string)[]): MediaMessage => mediaMessage(MediaType.Audio, 0, bytes(parts));

const avcC = fixture('codec/avc-1920x1080-high.avcC');
const hvcC = fixture('codec/hevc-1920x1080-main.hvcC');
const h264_1080 = { kind: 'video', codec: 'H264', profile: 'High', level: 4, width: 1920, height: 1080 };
const h265_1080 = { kind: 'video', codec: 'H265', profile: 'Main', level: 4, width: 1920, height: 1080 };

describe('describeMediaMessage on ffmpeg FLV output', () => {
  /** Every distinct description in an FLV fixture, with whether it came from a sequence header. */
  function describeAll(file: string): [boolean, unknown][] {
    const seen = new Map<string, [boolean, unknown]>();
    for (const msg of new FlvDemuxer().push(fixture(file))) {
      const info = describeMediaMessage(msg);
      if (info && !seen.has(JSON.stringify(info))) seen.set(JSON.stringify(info), [msg.sequenceHeader, info]);
    }
    return [...seen.values()];
  }

  it('describes H.264 High 320x240 and AAC-LC 44.1 kHz mono from their sequence headers only', () => {
    assert.deepEqual(describeAll('flv/h264-aac-320x240.flv'), [
      [true, { kind: 'video', codec: 'H264', profile: 'High', level: 1.3, width: 320, height: 240 }],
      [true, { kind: 'audio', codec: 'AAC', profile: 'LC', sampleRate: 44100, channels: 1 }],
    ]);
  });

  it('describes MP3 audio, which has no sequence header, from its frames: 22.05 kHz stereo', () => {
    assert.deepEqual(describeAll('flv/h264-mp3-176x144.flv'), [
      [true, { kind: 'video', codec: 'H264', profile: 'Constrained Baseline', level: 1.1, width: 176, height: 144 }],
      [false, { kind: 'audio', codec: 'MP3', sampleRate: 22050, channels: 2 }],
    ]);
  });

  it('describes AAC-LC 48 kHz stereo', () => {
    assert.deepEqual(describeAll('flv/aac-48000-stereo.flv'), [
      [true, { kind: 'audio', codec: 'AAC', profile: 'LC', sampleRate: 48000, channels: 2 }],
    ]);
  });
});

describe('describeMediaMessage video', () => {
  it('reads legacy AVC and HEVC (CodecID 12, as Chinese encoders send it) sequence headers', () => {
    assert.deepEqual(describeMediaMessage(video(hex('17 00 000000'), avcC)), h264_1080);
    assert.deepEqual(describeMediaMessage(video(hex('1c 00 000000'), hvcC)), h265_1080);
  });

  it('reads Enhanced RTMP SequenceStart for avc1, hvc1, av01 and vp09', () => {
    assert.deepEqual(describeMediaMessage(video(hex('90'), 'avc1', avcC)), h264_1080);
    assert.deepEqual(describeMediaMessage(video(hex('90'), 'hvc1', hvcC)), h265_1080);
    assert.deepEqual(describeMediaMessage(video(hex('90'), 'av01', fixture('codec/av1-640x360.av1C'))), {
      kind: 'video',
      codec: 'AV1',
      profile: 'Main',
      level: 2.1,
    });
    const vp9 = { kind: 'video', codec: 'VP9', profile: 'Profile 0', level: 2.1 };
    const vpcC = fixture('codec/vp9-640x360.vpcC'); // MP4 box body: version 1 and flags first
    assert.deepEqual(describeMediaMessage(video(hex('90'), 'vp09', vpcC)), vp9);
    assert.deepEqual(describeMediaMessage(video(hex('90'), 'vp09', vpcC.subarray(4))), vp9);
  });

  it('names the codec of an MPEG2TSSequenceStart and of legacy codecs without configuration records', () => {
    assert.deepEqual(describeMediaMessage(video(hex('95'), 'av01', hex('00'))), { kind: 'video', codec: 'AV1' });
    assert.deepEqual(describeMediaMessage(video(hex('14 00'))), { kind: 'video', codec: 'VP6' });
    assert.deepEqual(describeMediaMessage(video(hex('22 00'))), { kind: 'video', codec: 'H263' });
  });

  it('says nothing about coded frames, commands, multitrack, unknown codecs or data', () => {
    const silent = [
      video(hex('17 01 000000 00000001 65')), // AVC NALU
      video(hex('17 02 000000')), // AVC end of sequence
      video(hex('91'), 'hvc1', hex('000000 00000001 26')), // CodedFrames
      video(hex('93'), 'hvc1', hex('00000001 26')), // CodedFramesX
      video(hex('d0 00')), // VideoFrameType 5 command
      video(hex('96 00'), 'hvc1'), // Multitrack
      video(hex('90'), 'xyz1', hex('01')), // unknown FourCC
      video(hex('1f 00')), // unknown legacy CodecID
      mediaMessage(MediaType.Data, 0, hex('02 000a 6f6e4d65746144617461')),
      video(Buffer.alloc(0)),
    ];
    for (const msg of silent) assert.equal(describeMediaMessage(msg), undefined, msg.payload.toString('hex'));
  });

  it('throws CODEC_CONFIG_INVALID for truncated configurations', () => {
    assert.throws(() => describeMediaMessage(video(hex('17 00 000000'), avcC.subarray(0, 20))), invalid);
    assert.throws(() => describeMediaMessage(video(hex('17 00'))), invalid);
    assert.throws(() => describeMediaMessage(video(hex('90'), 'hv')), invalid);
    assert.throws(() => describeMediaMessage(video(hex('90'), 'hvc1', hvcC.subarray(0, 30))), invalid);
  });
});

describe('describeMediaMessage audio', () => {
  it('takes legacy rate and channels from the SoundRate/SoundType bits, or the format where it fixes them', () => {
    const table: [string, string, number, number][] = [
      ['3f', 'PCM', 44100, 2], // little-endian PCM, 44 kHz, 16-bit, stereo
      ['06', 'PCM', 11025, 1],
      ['1b', 'ADPCM', 22050, 2],
      ['52', 'Nellymoser', 8000, 1],
      ['42', 'Nellymoser', 16000, 1],
      ['6b', 'Nellymoser', 22050, 2],
      ['72', 'G711A', 8000, 1], // ffmpeg writes SoundRate 0 for 8 kHz G.711
      ['83', 'G711U', 8000, 2],
      ['b2', 'Speex', 16000, 1],
      ['2f', 'MP3', 44100, 2], // no MPEG header follows: the bits are all there is
      ['e2', 'MP3', 8000, 1],
    ];
    for (const [b0, codec, sampleRate, channels] of table) {
      const info = describeMediaMessage(audio(hex(`${b0} 00 00`)));
      assert.deepEqual(info, { kind: 'audio', codec, sampleRate, channels }, b0);
    }
  });

  it('prefers the MPEG audio frame header for MP3, which FLV rate bits cannot express (48 kHz)', () => {
    const mp3 = (sampleRate: number, channels: number) => ({ kind: 'audio', codec: 'MP3', sampleRate, channels });
    // MPEG-1 Layer III, 128 kbit/s, 48 kHz, mono
    assert.deepEqual(describeMediaMessage(audio(hex('2e fffb94c4'))), mp3(48000, 1));
    // MPEG-2.5 Layer III, 8 kHz (index 2), joint stereo
    assert.deepEqual(describeMediaMessage(audio(hex('2e ffe3 1840'))), mp3(8000, 2));
  });

  it('reads Enhanced RTMP audio SequenceStart for mp4a, Opus and fLaC', () => {
    assert.deepEqual(describeMediaMessage(audio(hex('90'), 'mp4a', hex('1190'))), {
      kind: 'audio',
      codec: 'AAC',
      profile: 'LC',
      sampleRate: 48000,
      channels: 2,
    });
    // OpusHead (RFC 7845 §5.1): version 1, 6 channels, pre-skip 312, input rate 44100, gain 0, mapping 1
    const opusHead = Buffer.concat([Buffer.from('OpusHead'), hex('01 06 3801 44ac0000 0000 01 04 02 000401050203')]);
    assert.deepEqual(describeMediaMessage(audio(hex('90'), 'Opus', opusHead)), {
      kind: 'audio',
      codec: 'Opus',
      sampleRate: 48000,
      channels: 6,
    });
    const flac = fixture('codec/flac-48000-stereo.streaminfo');
    const expected = { kind: 'audio', codec: 'FLAC', sampleRate: 48000, channels: 2 };
    assert.deepEqual(describeMediaMessage(audio(hex('90'), 'fLaC', flac)), expected); // as a file starts
    assert.deepEqual(describeMediaMessage(audio(hex('90'), 'fLaC', flac.subarray(4))), expected); // block header
    assert.deepEqual(describeMediaMessage(audio(hex('90'), 'fLaC', flac.subarray(8))), expected); // bare STREAMINFO
  });

  it('names ac-3, ec-3 and .mp3 from any frame, since they have no sequence header', () => {
    assert.deepEqual(describeMediaMessage(audio(hex('91'), 'ac-3', hex('0b77'))), { kind: 'audio', codec: 'AC3' });
    assert.deepEqual(describeMediaMessage(audio(hex('90'), 'ec-3')), { kind: 'audio', codec: 'EAC3' });
    assert.deepEqual(describeMediaMessage(audio(hex('91'), '.mp3', hex('fffb94c4'))), {
      kind: 'audio',
      codec: 'MP3',
      sampleRate: 48000,
      channels: 1,
    });
  });

  it('says nothing about coded AAC/Opus/FLAC frames, multitrack, unknown formats and empty payloads', () => {
    const silent = [
      audio(hex('af 01 21')),
      audio(hex('91'), 'mp4a', hex('21')),
      audio(hex('91'), 'Opus', hex('fc')),
      audio(hex('95 00'), 'Opus'),
      audio(hex('90'), 'abcd'),
      audio(hex('d2 00')), // SoundFormat 13: not in FLV 10.1
      audio(hex('f2 00')), // device-specific
      audio(Buffer.alloc(0)),
    ];
    for (const msg of silent) assert.equal(describeMediaMessage(msg), undefined, msg.payload.toString('hex'));
  });

  it('throws CODEC_CONFIG_INVALID for broken audio configurations', () => {
    assert.throws(() => describeMediaMessage(audio(hex('af 00'))), invalid);
    assert.throws(() => describeMediaMessage(audio(hex('90'), 'Opus', Buffer.alloc(19))), invalid);
    assert.throws(() => describeMediaMessage(audio(hex('90'), 'fLaC', hex('00'))), invalid);
    assert.throws(() => describeMediaMessage(audio(hex('90 6d70'))), invalid);
  });
});

describe('describeMediaMessage on arbitrary payloads', () => {
  // Headers that lead into each parser: legacy AVC/HEVC, hvc1, avc1, legacy AAC, mp4a, Opus.
  const prefixes = ['', '17 00 000000', '1c 00 000000', '90 68766331', '90 61766331', 'af 00', '90 6d703461'];
  prefixes.push('90 4f707573');
  const type = fc.constantFrom(MediaType.Audio, MediaType.Video);
  it('returns a description or undefined, or throws CODEC_CONFIG_INVALID, for any payload', () => {
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), type, fc.uint8Array({ maxLength: 60 }), (prefix, type, rest) => {
        const msg = mediaMessage(type, 0, Buffer.concat([hex(prefix), Buffer.from(rest)]));
        try {
          const info = describeMediaMessage(msg);
          if (info) assert.equal(info.kind, type === MediaType.Video ? 'video' : 'audio');
        } catch (err) {
          assert.ok(invalid(err), String(err));
        }
      }),
      { numRuns: 5000 },
    );
  });
});
