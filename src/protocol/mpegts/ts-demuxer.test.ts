import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../../../test/fixtures/fixture.ts';
import * as media from '../../../test/fixtures/mpegts/flv-messages.ts';
import { pat, pes, pesPackets, pmt, psiPackets } from '../../../test/fixtures/mpegts/ts-builder.ts';
import { decodeAmf0All } from '../amf0/amf0-decoder.ts';
import { parseAacAudioSpecificConfig } from '../codec/aac-config.ts';
import { parseAvcDecoderConfig } from '../codec/avc-config.ts';
import { parseHevcDecoderConfig } from '../codec/hevc-config.ts';
import { describeMediaMessage } from '../codec/media-info.ts';
import { FlvDemuxer } from '../flv/flv-demuxer.ts';
import { MediaType, type MediaMessage } from '../media.ts';
import { TsDemuxer } from './ts-demuxer.ts';
import { TsMuxer } from './ts-muxer.ts';

const FFMPEG_TS = fixture('mpegts/h264-aac-160x120.m2t');
const avc = parseAvcDecoderConfig(media.AVC_RECORD);
const hevc = parseHevcDecoderConfig(media.HEVC_RECORD);

function demuxAll(bytes: Buffer, pieces: (b: Buffer) => Buffer[] = (b) => [b]): { out: MediaMessage[]; d: TsDemuxer } {
  const d = new TsDemuxer();
  const out: MediaMessage[] = [];
  for (const p of pieces(bytes)) d.push(p, out);
  d.end(out);
  return { out, d };
}

const summary = (out: readonly MediaMessage[]): string[] =>
  out.map((m) => `${m.type}@${m.timestamp}:${m.payload.toString('hex')}`);

test('ffmpeg TS fixture: 25 H.264 frames (1 keyframe) and 45 AAC frames, with configs and metadata first', () => {
  const { out, d } = demuxAll(FFMPEG_TS);
  assert.deepEqual(d.stats.errors, {});
  const video = out.filter((m) => m.type === MediaType.Video);
  const audio = out.filter((m) => m.type === MediaType.Audio);
  assert.equal(video[0]!.sequenceHeader, true);
  assert.equal(audio[0]!.sequenceHeader, true);
  assert.equal(video.filter((m) => !m.sequenceHeader).length, 25);
  assert.equal(video.filter((m) => m.keyframe).length, 1);
  assert.equal(audio.filter((m) => !m.sequenceHeader).length, 45);
  const record = parseAvcDecoderConfig(video[0]!.payload.subarray(5));
  assert.deepEqual([record.width, record.height, record.profileName, record.lengthSize], [160, 120, 'High', 4]);
  assert.deepEqual(parseAacAudioSpecificConfig(audio[0]!.payload.subarray(2)), {
    objectType: 2,
    profileName: 'LC',
    sampleRate: 44100,
    channels: 1,
  });
  const meta = out.filter((m) => m.type === MediaType.Data).map((m) => decodeAmf0All(m.payload));
  const last = meta.at(-1)!;
  assert.equal(last[0], 'onMetaData');
  const obj = last[1] as Map<string, unknown>;
  assert.deepEqual(
    [obj.get('width'), obj.get('height'), obj.get('videocodecid'), obj.get('audiocodecid'), obj.get('audiosamplerate')],
    [160, 120, 7, 10, 44100],
  );
  // The first frame is a keyframe at 0; 25 fps means 40 ms steps.
  const frames = video.filter((m) => !m.sequenceHeader);
  assert.deepEqual([frames[0]!.keyframe, frames[0]!.timestamp, frames[1]!.timestamp], [true, 0, 40]);
  // x264 writes B-frames: some frames carry a composition time.
  assert.ok(frames.some((m) => m.payload.readIntBE(2, 3) > 0));
  // No access unit delimiter or parameter set stays in the frames.
  for (const f of frames) {
    for (let p = 5; p < f.payload.length;) {
      const n = f.payload.readUInt32BE(p);
      const type = f.payload[p + 4]! & 0x1f;
      assert.ok(type !== 9 && type !== 7 && type !== 8, `NAL type ${type} in a frame`);
      p += 4 + n;
    }
  }
});

test('input cut at every byte boundary, or a byte at a time, gives the same messages', () => {
  const whole = summary(demuxAll(FFMPEG_TS).out);
  for (const size of [1, 7, 187, 188, 189, 1316, 5000]) {
    const pieces = (b: Buffer): Buffer[] => {
      const out: Buffer[] = [];
      for (let at = 0; at < b.length; at += size) out.push(b.subarray(at, at + size));
      return out;
    };
    assert.deepEqual(summary(demuxAll(FFMPEG_TS, pieces).out), whole, `pieces of ${size}`);
  }
  const prefix = FFMPEG_TS.subarray(0, 188 * 40);
  const expected = summary(demuxAll(prefix).out);
  for (let cut = 1; cut < prefix.length; cut += 13) {
    assert.deepEqual(
      summary(demuxAll(prefix, (b) => [b.subarray(0, cut), b.subarray(cut)]).out),
      expected,
      `cut at ${cut}`,
    );
  }
});

test('round trip: our muxer output demuxed back gives the FLV frames, times and configurations it was fed', () => {
  const input = new FlvDemuxer().push(fixture('flv/h264-aac-320x240.flv'));
  const muxer = new TsMuxer();
  const ts = Buffer.concat(input.map((m) => muxer.push(m, true)?.bytes).filter((b) => b !== undefined));
  const { out, d } = demuxAll(ts);
  assert.deepEqual(d.stats.errors, {});
  for (const type of [MediaType.Video, MediaType.Audio]) {
    // FLV ends with an AVC end of sequence, which TS does not carry.
    const sent = input.filter((m) => m.type === type && !m.sequenceHeader && m.payload[1] === 1);
    const got = out.filter((m) => m.type === type && !m.sequenceHeader);
    assert.deepEqual(
      got.map((m) => [m.timestamp, m.keyframe, m.payload.toString('hex')]),
      sent.map((m) => [m.timestamp, m.keyframe, m.payload.toString('hex')]),
      `type ${type}`,
    );
  }
  const sentAvc = parseAvcDecoderConfig(
    input.find((m) => m.type === MediaType.Video && m.sequenceHeader)!.payload.subarray(5),
  );
  const gotAvc = parseAvcDecoderConfig(
    out.find((m) => m.type === MediaType.Video && m.sequenceHeader)!.payload.subarray(5),
  );
  assert.deepEqual(
    [gotAvc.sps, gotAvc.pps, gotAvc.width, gotAvc.profile],
    [sentAvc.sps, sentAvc.pps, sentAvc.width, sentAvc.profile],
  );
  const sentAsc = parseAacAudioSpecificConfig(
    input.find((m) => m.type === MediaType.Audio && m.sequenceHeader)!.payload.subarray(2),
  );
  const gotAsc = parseAacAudioSpecificConfig(
    out.find((m) => m.type === MediaType.Audio && m.sequenceHeader)!.payload.subarray(2),
  );
  assert.deepEqual(gotAsc, sentAsc);
});

test('round trip of HEVC (Enhanced RTMP hvc1) and audio only', () => {
  const hnals = media.lengthPrefixed([media.hevcNal(19, 60), media.hevcNal(1, 20)]);
  const pnals = media.lengthPrefixed([media.hevcNal(1, 90, 3)]);
  const input = [
    media.exVideoConfig(media.HEVC_RECORD),
    media.exVideoFrame(0, 0, true, hnals),
    media.exVideoFrame(40, 80, false, pnals),
    media.exVideoFrame(80, 0, false, pnals),
  ];
  const muxer = new TsMuxer();
  const ts = Buffer.concat(input.map((m) => muxer.push(m, true)?.bytes).filter((b) => b !== undefined));
  const { out, d } = demuxAll(ts);
  assert.deepEqual(d.stats.errors, {});
  const video = out.filter((m) => m.type === MediaType.Video);
  assert.equal(video[0]!.payload.subarray(0, 5).toString('latin1'), '\x90hvc1');
  const record = parseHevcDecoderConfig(video[0]!.payload.subarray(5));
  assert.deepEqual(
    [record.vps, record.sps, record.pps, record.width, record.height],
    [hevc.vps, hevc.sps, hevc.pps, 426, 240],
  );
  // What the publish session tells the hub and the API about the stream.
  assert.deepEqual(describeMediaMessage(video[0]!), describeMediaMessage(input[0]!));
  assert.deepEqual(
    video.slice(1).map((m) => [m.timestamp, m.keyframe, m.payload.toString('hex')]),
    input.slice(1).map((m) => [m.timestamp, m.keyframe, m.payload.toString('hex')]),
  );

  const audioIn = [media.aacConfig(), ...[0, 23, 46, 70].map((t, i) => media.aacFrame(t, Buffer.alloc(30 + i, i + 1)))];
  const amux = new TsMuxer();
  const ats = Buffer.concat(audioIn.map((m) => amux.push(m, true)?.bytes).filter((b) => b !== undefined));
  const a = demuxAll(ats).out.filter((m) => m.type === MediaType.Audio);
  assert.deepEqual(
    a.map((m) => [m.timestamp, m.payload.toString('hex')]),
    audioIn.map((m) => [m.timestamp, m.payload.toString('hex')]),
  );
});

/** A stream built by hand: PAT, PMT (AVC on 0x100, AAC on 0x101), then the given PES packets. */
function handStream(
  parts: Array<{ pid: number; pes: Buffer }>,
  streams = [
    { type: 0x1b, pid: 0x100 },
    { type: 0x0f, pid: 0x101 },
  ],
): Buffer {
  const cc = new Map<number, number>();
  const out = [psiPackets(0, pat(0x1000)), psiPackets(0x1000, pmt(streams))];
  for (const p of parts) {
    const r = pesPackets(p.pid, p.pes, cc.get(p.pid) ?? 0);
    cc.set(p.pid, r.cc);
    out.push(r.bytes);
  }
  return Buffer.concat(out);
}

const idr = media.annexB([media.avcNal(9, 2), avc.sps[0]!, avc.pps[0]!, media.avcNal(6, 12), media.avcNal(5, 300)]);
const pFrame = (seed: number): Buffer =>
  media.annexB([media.avcNal(9, 2), media.avcNal(1, 100, seed), media.avcNal(12, 20)]);

test('hand-built H.264: the record comes from the in-band SPS/PPS; AUD and filler go; keyframes from IDR; CTS from PTS-DTS', () => {
  const ts = handStream([
    { pid: 0x100, pes: pes(0xe0, idr, 90_000 + 7200, 90_000, true) },
    { pid: 0x100, pes: pes(0xe0, pFrame(2), 90_000 + 3600 + 7200, 90_000 + 3600, true) },
    { pid: 0x100, pes: pes(0xe0, pFrame(3), 90_000 + 7200 + 3600, 90_000 + 7200, true) },
  ]);
  const { out, d } = demuxAll(ts);
  assert.deepEqual(d.stats.errors, {});
  const v = out.filter((m) => m.type === MediaType.Video);
  assert.equal(v.length, 4);
  const record = parseAvcDecoderConfig(v[0]!.payload.subarray(5));
  assert.deepEqual([record.sps, record.pps], [avc.sps, avc.pps]);
  assert.deepEqual(
    v.slice(1).map((m) => [m.timestamp, m.keyframe, m.payload.readIntBE(2, 3)]),
    [
      [0, true, 80],
      [40, false, 80],
      [80, false, 40],
    ],
  );
  assert.equal(
    v[1]!.payload.toString('hex'),
    Buffer.concat([
      Buffer.from([0x17, 1, 0, 0, 80]),
      media.lengthPrefixed([media.avcNal(6, 12), media.avcNal(5, 300)]),
    ]).toString('hex'),
  );
  assert.equal(
    v[2]!.payload.subarray(5).toString('hex'),
    media.lengthPrefixed([media.avcNal(1, 100, 2)]).toString('hex'),
  );
});

test('a frame cut into several bounded PES packets (only the first timed) is one frame', () => {
  const big = media.annexB([avc.sps[0]!, avc.pps[0]!, media.avcNal(5, 1500)]);
  const untimed = (data: Buffer): Buffer => {
    const h = Buffer.from([0, 0, 1, 0xe0, 0, 0, 0x80, 0x00, 0x00]);
    h.writeUInt16BE(3 + data.length, 4);
    return Buffer.concat([h, data]);
  };
  const ts = handStream([
    { pid: 0x100, pes: pes(0xe0, big.subarray(0, 500), 0) },
    { pid: 0x100, pes: untimed(big.subarray(500, 1000)) },
    { pid: 0x100, pes: untimed(big.subarray(1000)) },
    { pid: 0x100, pes: pes(0xe0, pFrame(4), 3600) },
  ]);
  const { out, d } = demuxAll(ts);
  assert.deepEqual(d.stats.errors, {});
  const frames = out.filter((m) => m.type === MediaType.Video && !m.sequenceHeader);
  assert.deepEqual(
    frames.map((m) => [m.timestamp, m.keyframe, m.payload.length]),
    [
      [0, true, 5 + 4 + 1500],
      [40, false, 5 + 4 + 100],
    ],
  );
});

test('intra refresh: a non-IDR frame with a recovery point SEI is a keyframe, one with another SEI is not', () => {
  const sei = (payloadType: number): Buffer => Buffer.from([0x06, 0x05, 2, 0xaa, 0xbb, payloadType, 1, 0x84, 0x80]);
  const au = (t: number): Buffer => media.annexB([sei(t), media.avcNal(1, 60)]);
  const ts = handStream([
    { pid: 0x100, pes: pes(0xe0, idr, 0) },
    { pid: 0x100, pes: pes(0xe0, au(6), 3600) },
    { pid: 0x100, pes: pes(0xe0, au(1), 7200) },
  ]);
  const frames = demuxAll(ts).out.filter((m) => m.type === MediaType.Video && !m.sequenceHeader);
  assert.deepEqual(
    frames.map((m) => m.keyframe),
    [true, true, false],
  );
});

test('a changed SPS sends a new sequence header before the frame that brings it; the same one again does not', () => {
  const sps2 = parseAvcDecoderConfig(fixture('codec/avc-1280x720-main.avcC'));
  const idr2 = media.annexB([sps2.sps[0]!, sps2.pps[0]!, media.avcNal(5, 50)]);
  const ts = handStream([
    { pid: 0x100, pes: pes(0xe0, idr, 0, undefined, true) },
    { pid: 0x100, pes: pes(0xe0, idr, 3600, undefined, true) },
    { pid: 0x100, pes: pes(0xe0, idr2, 7200, undefined, true) },
  ]);
  const { out, d } = demuxAll(ts);
  const v = out.filter((m) => m.type === MediaType.Video);
  assert.deepEqual(
    v.map((m) => m.sequenceHeader),
    [true, false, false, true, false],
  );
  assert.deepEqual(d.video, { codec: 'avc', width: 1280, height: 720 });
  assert.equal(out.filter((m) => m.type === MediaType.Data).length, 2, 'metadata again with the new size');
});

test('several ADTS frames in one PES each get their time; a frame cut by the PES end is finished from the next', () => {
  const adts = (raw: Buffer): Buffer => {
    const h = Buffer.from([0xff, 0xf1, 0x50, 0x80, 0, 0x1f, 0xfc]); // LC, 44.1 kHz, stereo
    const len = raw.length + 7;
    h[3] = 0x80 | (len >> 11);
    h[4] = (len >> 3) & 0xff;
    h[5] = ((len & 7) << 5) | 0x1f;
    return Buffer.concat([h, raw]);
  };
  const frames = [0, 1, 2, 3, 4].map((i) => adts(Buffer.alloc(40 + i, i + 1)));
  const all = Buffer.concat(frames);
  const cut = frames[0]!.length + frames[1]!.length + 10; // in the middle of the third frame
  const frameTicks = (1024 * 90000) / 44100;
  const ts = handStream([
    { pid: 0x101, pes: pes(0xc0, all.subarray(0, cut), 90_000) },
    { pid: 0x101, pes: pes(0xc0, all.subarray(cut), Math.round(90_000 + 3 * frameTicks)) },
  ]);
  const { out, d } = demuxAll(ts);
  assert.deepEqual(d.stats.errors, {});
  const a = out.filter((m) => m.type === MediaType.Audio);
  assert.equal(a[0]!.payload.toString('hex'), 'af001210');
  assert.deepEqual(
    a.slice(1).map((m) => m.timestamp),
    [0, 23, 46, 70, 93],
  );
  assert.deepEqual(
    a.slice(1).map((m) => m.payload.subarray(2).toString('hex')),
    frames.map((f) => f.subarray(7).toString('hex')),
  );
});

test('an ADTS frame cut by a PES end is forgotten when the next PES is lost', () => {
  const adts = (raw: Buffer): Buffer => {
    const len = raw.length + 7;
    return Buffer.concat([
      Buffer.from([0xff, 0xf1, 0x50, 0x80 | (len >> 11), (len >> 3) & 0xff, ((len & 7) << 5) | 0x1f, 0xfc]),
      raw,
    ]);
  };
  const frames = [0, 1, 2].map((i) => adts(Buffer.alloc(40, i + 1)));
  const first = pesPackets(0x101, pes(0xc0, Buffer.concat([frames[0]!, frames[1]!.subarray(0, 20)]), 0), 0);
  const lost = pesPackets(0x101, pes(0xc0, frames[1]!.subarray(20), 1000), first.cc);
  lost.bytes[1] = lost.bytes[1]! | 0x80; // transport_error_indicator
  const third = pesPackets(0x101, pes(0xc0, frames[2]!, 4180), lost.cc);
  const tables = Buffer.concat([
    psiPackets(0, pat(0x1000)),
    psiPackets(0x1000, pmt([{ type: 0x0f, pid: 0x101 }], 0, 0x101)),
  ]);
  const { out } = demuxAll(Buffer.concat([tables, first.bytes, lost.bytes, third.bytes]));
  const a = out.filter((m) => m.type === MediaType.Audio && !m.sequenceHeader);
  assert.deepEqual(
    a.map((m) => m.payload.subarray(2).toString('hex')),
    [frames[0]!, frames[2]!].map((f) => f.subarray(7).toString('hex')),
  );
});

test('a PMT version that moves video to HEVC on another PID replaces the track; the same PMT again changes nothing', () => {
  const hevcAu = media.annexB([hevc.vps[0]!, hevc.sps[0]!, hevc.pps[0]!, media.hevcNal(19, 80)]);
  const first = handStream([
    { pid: 0x100, pes: pes(0xe0, idr, 0, undefined, true) },
    { pid: 0x100, pes: pes(0xe0, pFrame(1), 3600, undefined, true) },
  ]);
  const again = psiPackets(
    0x1000,
    pmt([
      { type: 0x1b, pid: 0x100 },
      { type: 0x0f, pid: 0x101 },
    ]),
    1,
  );
  const moved = psiPackets(0x1000, pmt([{ type: 0x24, pid: 0x200 }], 1, 0x200), 2);
  const hevcPes = pesPackets(0x200, pes(0xe0, hevcAu, 7200, undefined, true)).bytes;
  const { out, d } = demuxAll(Buffer.concat([first, again, moved, hevcPes]));
  assert.deepEqual(d.stats.errors, {});
  const v = out.filter((m) => m.type === MediaType.Video);
  assert.deepEqual(
    v.map((m) => [m.timestamp, m.sequenceHeader, m.payload[0]]),
    [
      [0, true, 0x17],
      [0, false, 0x17],
      [40, false, 0x27],
      [80, true, 0x90],
      [80, false, 0x91],
    ],
  );
  assert.deepEqual(d.video, { codec: 'hevc', width: 426, height: 240 });
});

test('Opus in TS (registration descriptor, extension descriptor for channels): OpusHead, then one frame per access unit', () => {
  const au = (size: number, fill: number): Buffer =>
    Buffer.concat([Buffer.from([0x7f, 0xe0, size]), Buffer.from([0xfc]), Buffer.alloc(size - 1, fill)]);
  const descriptors = Buffer.from([0x05, 4, ...Buffer.from('Opus'), 0x7f, 2, 0x80, 1]);
  const ts = handStream(
    [{ pid: 0x101, pes: pes(0xbd, Buffer.concat([au(30, 1), au(20, 2)]), 1000) }],
    [{ type: 0x06, pid: 0x101, descriptors } as { type: number; pid: number }],
  );
  const { out, d } = demuxAll(ts);
  assert.deepEqual(d.stats.errors, {});
  assert.deepEqual(d.audio, { codec: 'opus', sampleRate: 48000, channels: 1 });
  const a = out.filter((m) => m.type === MediaType.Audio);
  assert.equal(a[0]!.payload.subarray(0, 13).toString('latin1'), '\x90OpusOpusHead');
  assert.equal(a[0]!.payload[14], 1, 'mono');
  assert.deepEqual(describeMediaMessage(a[0]!), { kind: 'audio', codec: 'Opus', sampleRate: 48000, channels: 1 });
  // TOC 0xfc: config 31 (CELT FB 20 ms), one frame.
  assert.deepEqual(
    a.slice(1).map((m) => [m.timestamp, m.payload.length, m.payload[0]]),
    [
      [0, 5 + 30, 0x91],
      [20, 5 + 20, 0x91],
    ],
  );
});
