import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LiveError, ProtocolError } from '../../errors.ts';
import { fixture, hex } from '../../../test/fixtures/fixture.ts';
import { FlvDemuxer } from '../flv/flv-demuxer.ts';
import { MediaType, mediaMessage } from '../media.ts';
import { av1CodecString, parseAv1Config } from './av1-config.ts';
import { FlvMp4Muxer } from './flv-mp4-muxer.ts';
import { Fmp4Muxer } from './fmp4-muxer.ts';
import { mp4AudioTrack } from './mp4-track.ts';

const video = (ts: number, bytes: Buffer) => mediaMessage(MediaType.Video, ts, bytes);
const audio = (ts: number, bytes: Buffer) => mediaMessage(MediaType.Audio, ts, bytes);
const exVideo = (packetType: number, frameType: number, fourCc: string, body: Buffer) =>
  Buffer.concat([Buffer.from([0x80 | (frameType << 4) | packetType]), Buffer.from(fourCc, 'latin1'), body]);
const exAudio = (packetType: number, fourCc: string, body: Buffer) =>
  Buffer.concat([Buffer.from([0x90 | packetType]), Buffer.from(fourCc, 'latin1'), body]);

/** An SVT-AV1 320x240 AV1CodecConfigurationRecord with its sequence header OBU (ffmpeg 5.1, MP4 av1C). */
const AV1C = hex('81000c00 0a0b 000000043cffbc02f80040');
/** OpusHead for 1 channel, pre-skip 312, 48 kHz input (RFC 7845 §5.1), as ffmpeg's libopus writes it. */
const OPUS_HEAD = Buffer.concat([Buffer.from('OpusHead'), hex('01 01 3801 80bb0000 0000 00')]);

const refused = (code: string) => (e: unknown) => e instanceof ProtocolError && e.code === code;

describe('FlvMp4Muxer', () => {
  it('tracks and samples from the H.264 + AAC fixture; durations are steps to the next sample', () => {
    const m = new FlvMp4Muxer();
    for (const msg of new FlvDemuxer().push(fixture('flv/h264-aac-320x240.flv'))) m.push(msg);
    assert.deepEqual(
      m.tracks.map((t) => [t.id, t.codec, t.codecString, t.width || t.sampleRate]),
      [
        [1, 'avc', 'avc1.64000d', 320],
        [2, 'aac', 'mp4a.40.2', 44100],
      ],
    );
    const runs = m.take(true);
    const v = runs[0]!.samples;
    assert.equal(v[0]!.keyframe, true);
    for (let i = 0; i + 1 < v.length; i++) assert.equal(v[i]!.dts + v[i]!.duration, v[i + 1]!.dts);
    assert.equal(v.at(-1)!.duration, v.at(-2)!.duration, 'the last sample lasts as long as the one before');
    assert.deepEqual(m.take(true), [], 'taken samples are gone');
  });

  it('keeps the newest sample of each track until the next one says how long it lasts', () => {
    const m = new FlvMp4Muxer();
    m.push(audio(0, Buffer.concat([hex('af00'), hex('1210')])));
    m.push(audio(0, Buffer.concat([hex('af01'), Buffer.from('a0')])));
    assert.deepEqual(m.take(), []);
    m.push(audio(23, Buffer.concat([hex('af01'), Buffer.from('a1')])));
    const [run] = m.take();
    assert.deepEqual(
      run!.samples.map((s) => [s.dts, s.duration, s.data.toString()]),
      [[0, 1014, 'a0']],
    );
  });

  it('a timestamp jump back (an encoder restart) shifts the timeline: decode times keep growing', () => {
    const m = new FlvMp4Muxer();
    m.push(audio(0, Buffer.concat([hex('af00'), hex('1210')])));
    for (const ts of [5000, 5023, 5046, 10, 33]) m.push(audio(ts, Buffer.concat([hex('af01'), Buffer.from('a')])));
    const dts = m.take(true)[0]!.samples.map((s) => s.dts);
    for (let i = 1; i < dts.length; i++) assert.ok(dts[i]! > dts[i - 1]!, `dts ${dts.join(',')}`);
    assert.equal(dts[4]! - dts[3]!, Math.round(0.023 * 44100));
  });

  it('Enhanced RTMP av01 and Opus: SequenceStart configures, CodedFrames carry no CompositionTime for av01', () => {
    const m = new FlvMp4Muxer();
    m.push(video(0, exVideo(0, 1, 'av01', AV1C)));
    m.push(audio(0, exAudio(0, 'Opus', OPUS_HEAD)));
    assert.deepEqual([m.video?.codecString, m.video?.width, m.video?.height], ['av01.0.00M.08', 320, 240]);
    assert.deepEqual([m.audio?.codec, m.audio?.timescale, m.audio?.channels], ['opus', 48000, 1]);
    const pushed = m.push(video(40, exVideo(1, 1, 'av01', Buffer.from([0x12, 0, 0x32, 0]))));
    assert.deepEqual([pushed?.keyframe, pushed?.ptsMs, pushed?.size], [true, 40, 4]);
    // dOps is the OpusHead big-endian: version 0, channels, pre-skip, input rate, gain, family.
    assert.ok(m.audio!.sampleEntry.includes(hex('644f7073 00 01 0138 0000bb80 0000 00')));
  });

  it('a repeated sequence header changes nothing; a different one is a new generation', () => {
    const m = new FlvMp4Muxer();
    const [config] = new FlvDemuxer()
      .push(fixture('flv/h264-aac-320x240.flv'))
      .filter((x) => x.type === MediaType.Video);
    m.push(config!);
    const g = m.generation;
    m.push(config!);
    assert.equal(m.generation, g);
    m.push(audio(0, Buffer.concat([hex('af00'), hex('1190')])));
    assert.equal(m.generation, g + 1);
  });

  it('garbage decoder configurations are refused with CODEC_CONFIG_INVALID, and the muxer goes on', () => {
    const m = new FlvMp4Muxer();
    const bad = [
      video(0, Buffer.concat([hex('1700000000'), hex('01 64 00')])), // AVC record cut short
      video(0, exVideo(0, 1, 'hvc1', hex('01 02 03'))),
      video(0, exVideo(0, 1, 'av01', hex('00 00 00 00'))), // marker bit 0
      video(0, exVideo(0, 1, 'av01', hex('81 00 0c 00 0a 7f 00'))), // OBU runs past the end
      audio(0, hex('af00')), // empty AudioSpecificConfig
      audio(0, exAudio(0, 'Opus', Buffer.from('OpusHeaX0123456789012'))),
      audio(0, exAudio(0, 'Opus', Buffer.concat([Buffer.from('OpusHead'), hex('01 00 0000 80bb0000 0000 00')]))), // 0 channels
    ];
    for (const msg of bad) assert.throws(() => m.push(msg), refused('CODEC_CONFIG_INVALID'));
    assert.deepEqual(m.tracks, []);
    assert.throws(() => m.push(video(0, hex('17 01'))), refused('MP4_MUX_INPUT'), 'a truncated legacy header');
  });

  it('random tag bodies never throw anything but ProtocolError CODEC_CONFIG_INVALID or MP4_MUX_INPUT', () => {
    const heads = [0x17, 0x27, 0x1c, 0x90, 0x91, 0x97, 0x95, 0x80, 0x81, 0x83, 0x87, 0x86, 0x90, 0xaf, 0x9f];
    const body = fc.tuple(
      fc.constantFrom(...heads),
      fc.constantFrom('', 'avc1', 'hvc1', 'av01', 'mp4a', 'Opus'),
      fc.uint8Array({ maxLength: 64 }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(100_000), body), { maxLength: 40 }), (msgs) => {
        const m = new FlvMp4Muxer();
        for (const [isVideo, ts, [head, fourCc, rest]] of msgs) {
          const payload = Buffer.concat([Buffer.from([head]), Buffer.from(fourCc, 'latin1'), Buffer.from(rest)]);
          try {
            m.push(isVideo ? video(ts, payload) : audio(ts, payload));
          } catch (e) {
            if (!(e instanceof LiveError) || (e.code !== 'CODEC_CONFIG_INVALID' && e.code !== 'MP4_MUX_INPUT')) throw e;
          }
        }
        const runs = m.take(true);
        if (runs.length > 0) new Fmp4Muxer(m.tracks).fragment(runs);
      }),
      { numRuns: 300 },
    );
  });
});

describe('sample entries', () => {
  it('mp4a: esds with ES, DecoderConfig (0x40 audio) and the AudioSpecificConfig (ISO/IEC 14496-1 §7.2.6)', () => {
    const t = mp4AudioTrack(2, 'aac', hex('1210'));
    const esds = hex('65736473 00000000 03 19 0000 00 04 11 40 15 000000 00000000 00000000 05 02 1210 06 01 02');
    assert.ok(t.sampleEntry.includes(esds));
    assert.equal(t.sampleEntry.readUInt16BE(8 + 16), 2, 'channelcount');
    assert.equal(t.sampleEntry.readUInt32BE(8 + 24), 44100 * 65536, 'samplerate 16.16');
  });

  it('AV1 codec string and size from the sequence header OBU', () => {
    const c = parseAv1Config(AV1C);
    assert.deepEqual([c.profile, c.level, c.bitDepth, c.width, c.height], [0, 0, 8, 320, 240]);
    assert.equal(av1CodecString({ ...c, level: 8, tier: 1, bitDepth: 10 }), 'av01.0.08H.10');
  });
});
