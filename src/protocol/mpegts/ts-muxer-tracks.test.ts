import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../errors.ts';
import * as m from '../../../test/fixtures/mpegts/flv-messages.ts';
import { readPackets, readPes, readPmtBody, readSection, type TsPacket } from '../../../test/support/ts-reader.ts';
import { parseHevcDecoderConfig } from '../codec/hevc-config.ts';
import { MediaType, mediaMessage } from '../media.ts';
import { TsMuxer } from './ts-muxer.ts';

const VIDEO = 0x100;
const AUDIO = 0x101;

function pmtOf(packets: readonly TsPacket[]): {
  version: number;
  pcrPid: number;
  streams: Array<{ streamType: number; pid: number }>;
} {
  const section = readSection(packets.find((p) => p.pid === 0x1000)!.payload);
  assert.ok(section.crcOk);
  return { version: section.version, ...readPmtBody(section.body) };
}

const isInput = (e: unknown): boolean => e instanceof ProtocolError && e.code === 'TS_MUX_INPUT';

test('audio-only: the PMT lists AAC alone with the PCR on the audio PID; every frame is a start point', () => {
  const muxer = new TsMuxer();
  assert.equal(muxer.push(m.aacConfig()), undefined);
  assert.equal(muxer.hasAudio, true);
  assert.equal(muxer.hasVideo, false);
  assert.deepEqual(muxer.codecs(), ['mp4a.40.2']);
  assert.equal(muxer.resolution, undefined);
  assert.deepEqual(pmtOf(readPackets(muxer.tables())), {
    version: 0,
    pcrPid: AUDIO,
    streams: [{ streamType: 0x0f, pid: AUDIO }],
  });
  const chunks = [0, 23, 46, 46, 69].map((ts, i) => muxer.push(m.aacFrame(ts, Buffer.alloc(150 + i, i)))!);
  const packets = readPackets(Buffer.concat(chunks.map((c) => c.bytes)));
  assert.ok(
    packets.every((p) => p.pid === AUDIO),
    'no tables unless asked for',
  );
  const pes = readPes(packets, AUDIO);
  assert.deepEqual(
    pes.map((p) => p.packets[0]!.adaptation?.pcr),
    [0, 23 * 90, 46 * 90, 46 * 90, 69 * 90],
  );
  assert.ok(pes.every((p) => p.packets[0]!.adaptation!.randomAccess));
  assert.ok(chunks.every((c) => c.keyframe && c.track === 'audio' && c.pts === c.dts));
});

test('video-only: the PMT lists H.264 alone; resolution and codec come from the SPS', () => {
  const muxer = new TsMuxer();
  muxer.push(m.legacyVideoConfig(m.AVC_RECORD));
  assert.deepEqual(muxer.codecs(), ['avc1.42c015']);
  assert.deepEqual(muxer.resolution, { width: 426, height: 240 });
  const chunk = muxer.push(m.legacyVideoFrame(0, 0, true, m.lengthPrefixed([m.avcNal(5, 500)])))!;
  assert.deepEqual(pmtOf(readPackets(chunk.bytes)), {
    version: 0,
    pcrPid: VIDEO,
    streams: [{ streamType: 0x1b, pid: VIDEO }],
  });
});

test('custom PIDs are used everywhere: PAT, PMT, PES packets and PCR_PID', () => {
  const muxer = new TsMuxer({ videoPid: 0x44, audioPid: 0x45, pmtPid: 0x42 });
  muxer.push(m.legacyVideoConfig(m.AVC_RECORD));
  muxer.push(m.aacConfig());
  const video = readPackets(muxer.push(m.legacyVideoFrame(0, 0, true, m.lengthPrefixed([m.avcNal(5, 50)])))!.bytes);
  const audio = readPackets(muxer.push(m.aacFrame(0, Buffer.alloc(20)))!.bytes);
  assert.deepEqual(
    video.map((p) => p.pid),
    [0, 0x42, 0x44],
  );
  assert.deepEqual([...readSection(video[0]!.payload).body], [0x00, 0x01, 0xe0, 0x42]);
  const pmt = readPmtBody(readSection(video[1]!.payload).body);
  assert.deepEqual(pmt, {
    pcrPid: 0x44,
    streams: [
      { streamType: 0x1b, pid: 0x44 },
      { streamType: 0x0f, pid: 0x45 },
    ],
  });
  assert.deepEqual(
    audio.map((p) => p.pid),
    [0x45],
  );
});

/** VPS, SPS and PPS of the HEVC fixture record, in order. */
const hevcParams = ((c) => [...c.vps, ...c.sps, ...c.pps])(parseHevcDecoderConfig(m.HEVC_RECORD));
const HEVC_AUD = Buffer.from([0x46, 0x01, 0x50]);

test('HEVC over Enhanced RTMP (hvc1): stream type 0x24, AUD first, VPS/SPS/PPS before keyframes', () => {
  const muxer = new TsMuxer();
  assert.equal(muxer.push(m.exVideoConfig(m.HEVC_RECORD)), undefined);
  assert.deepEqual(muxer.codecs(), ['hvc1.1.6.L60.90']);
  assert.deepEqual(muxer.resolution, { width: 426, height: 240 });
  const idr = [m.hevcNal(39, 30), m.hevcNal(19, 400)]; // prefix SEI, IDR_W_RADL
  const trail = [m.hevcNal(1, 250)]; // TRAIL_R
  const chunks = [
    muxer.push(m.exVideoFrame(0, 80, true, m.lengthPrefixed(idr)))!,
    muxer.push(m.exVideoFrame(40, undefined, false, m.lengthPrefixed(trail)))!, // CodedFramesX: CTS 0
  ];
  const packets = readPackets(Buffer.concat(chunks.map((c) => c.bytes)));
  assert.deepEqual(pmtOf(packets).streams, [{ streamType: 0x24, pid: VIDEO }]);
  const pes = readPes(packets, VIDEO);
  assert.deepEqual(pes[0]!.data, m.annexB([HEVC_AUD, ...hevcParams, ...idr]));
  assert.deepEqual(pes[1]!.data, m.annexB([HEVC_AUD, ...trail]));
  assert.deepEqual([pes[0]!.pts!.value, pes[0]!.dts!.value], [80 * 90, 0]);
  assert.deepEqual([pes[1]!.pts!.value, pes[1]!.dts], [40 * 90, undefined]);
  assert.equal(pes[0]!.packets[0]!.adaptation!.randomAccess, true);
  assert.equal(chunks[0]!.keyframe, true);
  assert.equal(chunks[1]!.keyframe, false);
});

test('HEVC as legacy CodecID 12 muxes to the same bytes as Enhanced RTMP', () => {
  const frames = (legacy: boolean): Buffer[] => {
    const muxer = new TsMuxer();
    muxer.push(legacy ? m.legacyVideoConfig(m.HEVC_RECORD, 12) : m.exVideoConfig(m.HEVC_RECORD));
    const body = m.lengthPrefixed([m.hevcNal(19, 1000)]);
    const key = legacy ? m.legacyVideoFrame(0, 40, true, body, 12) : m.exVideoFrame(0, 40, true, body);
    return [muxer.push(key)!.bytes];
  };
  assert.deepEqual(frames(true), frames(false));
});

test('H.264 over Enhanced RTMP (avc1) is muxed like legacy AVC', () => {
  const muxer = new TsMuxer();
  muxer.push(m.exVideoConfig(m.AVC_RECORD, 'avc1'));
  const chunk = muxer.push(m.exVideoFrame(0, 40, true, m.lengthPrefixed([m.avcNal(5, 100)]), 'avc1'))!;
  const legacy = new TsMuxer();
  legacy.push(m.legacyVideoConfig(m.AVC_RECORD));
  assert.deepEqual(
    chunk.bytes,
    legacy.push(m.legacyVideoFrame(0, 40, true, m.lengthPrefixed([m.avcNal(5, 100)])))!.bytes,
  );
});

test("an encoder's own AUDs are dropped and in-band parameter sets are not repeated", () => {
  const muxer = new TsMuxer();
  muxer.push(m.legacyVideoConfig(m.AVC_RECORD));
  const sps = m.avcNal(7, 20, 9); // a new SPS in-band, as encoders that change settings mid-stream send
  const pps = m.avcNal(8, 6, 9);
  const idr = m.avcNal(5, 300);
  const frame = m.legacyVideoFrame(0, 0, true, m.lengthPrefixed([m.avcNal(9, 2), sps, pps, idr]));
  const [pes] = readPes(readPackets(muxer.push(frame)!.bytes), VIDEO);
  assert.deepEqual(pes!.data, m.annexB([Buffer.from([0x09, 0xf0]), sps, pps, idr]));
});

test('1- and 2-byte NAL length prefixes from the configuration record', () => {
  for (const lengthSize of [1, 2]) {
    const record = Buffer.from(m.AVC_RECORD);
    record[4] = 0xfc | (lengthSize - 1);
    const muxer = new TsMuxer();
    muxer.push(m.legacyVideoConfig(record));
    const nals = [m.avcNal(1, 100), m.avcNal(1, 17)];
    const [pes] = readPes(
      readPackets(muxer.push(m.legacyVideoFrame(0, 0, false, m.lengthPrefixed(nals, lengthSize)))!.bytes),
      VIDEO,
    );
    assert.deepEqual(pes!.data, m.annexB([Buffer.from([0x09, 0xf0]), ...nals]));
  }
});

test('nothing to mux: data, frames before their header, end of sequence, codecs TS does not carry here', () => {
  const muxer = new TsMuxer();
  assert.equal(muxer.push(mediaMessage(MediaType.Data, 0, Buffer.from([2, 0, 10]))), undefined);
  assert.equal(muxer.push(m.legacyVideoFrame(0, 0, true, m.lengthPrefixed([m.avcNal(5, 10)]))), undefined);
  assert.equal(muxer.push(m.aacFrame(0, Buffer.alloc(10))), undefined);
  assert.equal(muxer.push(mediaMessage(MediaType.Audio, 0, Buffer.from([0x2f, 0xff, 0xfb]))), undefined, 'MP3');
  assert.equal(muxer.push(m.exVideoConfig(Buffer.from([0x81, 0, 0, 0]), 'av01')), undefined, 'AV1');
  muxer.push(m.legacyVideoConfig(m.AVC_RECORD));
  assert.equal(
    muxer.push(mediaMessage(MediaType.Video, 0, Buffer.from([0x17, 2, 0, 0, 0]))),
    undefined,
    'end of sequence',
  );
  assert.equal(muxer.push(m.legacyVideoFrame(0, 0, false, Buffer.alloc(0))), undefined, 'no NAL units');
  assert.equal(
    muxer.push(m.exVideoFrame(0, 0, true, m.lengthPrefixed([m.hevcNal(19, 10)]))),
    undefined,
    'HEVC frame, AVC configured',
  );
  assert.equal(muxer.hasAudio, false);
  assert.deepEqual(muxer.codecs(), ['avc1.42c015']);
});

test('malformed frames throw TS_MUX_INPUT and leave the muxer and its counters as they were', () => {
  const muxer = new TsMuxer();
  muxer.push(m.legacyVideoConfig(m.AVC_RECORD));
  const first = readPackets(muxer.push(m.legacyVideoFrame(0, 0, true, m.lengthPrefixed([m.avcNal(5, 10)])))!.bytes);
  const tooLong = Buffer.concat([Buffer.from([0, 0, 0, 50]), m.avcNal(1, 10)]);
  assert.throws(() => muxer.push(m.legacyVideoFrame(40, 0, false, tooLong)), isInput);
  assert.throws(() => muxer.push(m.legacyVideoFrame(40, 0, false, Buffer.from([0, 0, 1]))), isInput);
  assert.throws(() => muxer.push(mediaMessage(MediaType.Video, 40, Buffer.from([0x27, 1, 0]))), isInput);
  const next = readPackets(muxer.push(m.legacyVideoFrame(80, 0, false, m.lengthPrefixed([m.avcNal(1, 10)])))!.bytes);
  assert.equal(next[0]!.cc, (first.at(-1)!.cc + 1) % 16);
  // A bad sequence header keeps the configuration that was working.
  assert.throws(
    () => muxer.push(m.legacyVideoConfig(Buffer.from([1, 2, 3]))),
    (e: unknown) => e instanceof ProtocolError && e.code === 'CODEC_CONFIG_INVALID',
  );
  assert.deepEqual(muxer.codecs(), ['avc1.42c015']);
});

test('a stream list that changes after tables went out gets a new PMT version; same-type headers do not', () => {
  const muxer = new TsMuxer();
  muxer.push(m.legacyVideoConfig(m.AVC_RECORD));
  assert.equal(pmtOf(readPackets(muxer.tables())).version, 0);
  muxer.push(m.aacConfig());
  const v1 = pmtOf(readPackets(muxer.tables()));
  assert.equal(v1.version, 1);
  assert.equal(v1.streams.length, 2);
  muxer.push(m.aacConfig(Buffer.from([0x11, 0x90])));
  muxer.push(m.legacyVideoConfig(m.AVC_RECORD));
  assert.equal(pmtOf(readPackets(muxer.tables())).version, 1, 'new configurations of the same codecs');
  muxer.push(m.exVideoConfig(m.HEVC_RECORD));
  const v2 = pmtOf(readPackets(muxer.tables()));
  assert.equal(v2.version, 2);
  assert.deepEqual(v2.streams[0], { streamType: 0x24, pid: VIDEO });
  assert.deepEqual(muxer.codecs(), ['hvc1.1.6.L60.90', 'mp4a.40.2']);
});

test('tables() counts PAT and PMT continuity on their own PIDs', () => {
  const muxer = new TsMuxer();
  muxer.push(m.aacConfig());
  const ccs = Array.from({ length: 18 }, () => readPackets(muxer.tables()).map((p) => [p.pid, p.cc]));
  ccs.forEach((pair, i) =>
    assert.deepEqual(pair, [
      [0, i % 16],
      [0x1000, i % 16],
    ]),
  );
});

test('a keyframe behind an Enhanced RTMP ModEx prefix is still a keyframe: tables, random access, parameter sets', () => {
  const muxer = new TsMuxer();
  muxer.push(m.exVideoConfig(m.HEVC_RECORD));
  const idr = m.hevcNal(19, 100);
  // FrameType 1 | PacketType 7 (ModEx), 1 byte of modifier data, modExType 0 | CodedFramesX, FourCC.
  const payload = Buffer.concat([Buffer.from([0x97, 0x00, 0x00, 0x03]), Buffer.from('hvc1'), m.lengthPrefixed([idr])]);
  const chunk = muxer.push(mediaMessage(MediaType.Video, 0, payload))!;
  assert.equal(chunk.keyframe, true);
  const packets = readPackets(chunk.bytes);
  assert.deepEqual(
    packets.slice(0, 2).map((p) => p.pid),
    [0, 0x1000],
  );
  const [pes] = readPes(packets, VIDEO);
  assert.equal(pes!.packets[0]!.adaptation!.randomAccess, true);
  assert.deepEqual(pes!.data, m.annexB([HEVC_AUD, ...hevcParams, idr]));
});
