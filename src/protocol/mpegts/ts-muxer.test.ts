import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../../../test/fixtures/fixture.ts';
import * as m from '../../../test/fixtures/mpegts/flv-messages.ts';
import { readPackets, readPes, readPmtBody, readSection, type TsPacket } from '../../../test/support/ts-reader.ts';
import { FlvDemuxer } from '../flv/flv-demuxer.ts';
import { MediaType, type MediaMessage } from '../media.ts';
import { TsMuxer, type TsChunk } from './ts-muxer.ts';

const VIDEO = 0x100;
const AUDIO = 0x101;
const PMT = 0x1000;

/** Muxes `messages`, asking for tables with the first frame, as a segmenter starting a segment would. */
function mux(messages: readonly MediaMessage[], muxer = new TsMuxer()): { chunks: TsChunk[]; packets: TsPacket[] } {
  const chunks: TsChunk[] = [];
  for (const msg of messages) {
    const chunk = muxer.push(msg, chunks.length === 0);
    if (chunk) chunks.push(chunk);
  }
  return { chunks, packets: readPackets(Buffer.concat(chunks.map((c) => c.bytes))) };
}

/** Asserts that each PID's continuity counters go up by one (mod 16) from packet to packet. */
function assertContinuity(packets: readonly TsPacket[]): void {
  const last = new Map<number, number>();
  for (const p of packets) {
    const prev = last.get(p.pid);
    if (prev !== undefined)
      assert.equal(p.cc, (prev + 1) % 16, `PID 0x${p.pid.toString(16)} packet ${p.index}: CC ${p.cc} after ${prev}`);
    last.set(p.pid, p.cc);
  }
}

/** The NAL units of a length-prefixed (4-byte) FLV AVC frame body. */
function nalsOf(body: Buffer): Buffer[] {
  const nals: Buffer[] = [];
  for (let pos = 0; pos < body.length; pos += 4 + body.readUInt32BE(pos))
    nals.push(body.subarray(pos + 4, pos + 4 + body.readUInt32BE(pos)));
  return nals;
}

const flv = new FlvDemuxer().push(fixture('flv/h264-aac-320x240.flv'));
const isFrame = (msg: MediaMessage, type: number): boolean =>
  msg.type === type && !msg.sequenceHeader && msg.payload[1] === 1;
const videoFrames = flv.filter((msg) => isFrame(msg, MediaType.Video));
const audioFrames = flv.filter((msg) => isFrame(msg, MediaType.Audio));

test('the ffmpeg FLV fixture: whole packets, known PIDs only, continuity counters without gaps', () => {
  const { chunks, packets } = mux(flv);
  assert.equal(chunks.length, videoFrames.length + audioFrames.length);
  for (const c of chunks) assert.equal(c.bytes.length % 188, 0);
  assert.deepEqual(new Set(packets.map((p) => p.pid)), new Set([0, PMT, VIDEO, AUDIO]));
  for (const p of packets) {
    assert.equal(p.transportError, false);
    assert.equal(p.scrambling, 0);
    assert.notEqual(p.adaptationControl, 0);
  }
  assertContinuity(packets);
});

test('the fixture: PAT points at the PMT, PMT lists H.264 and AAC with the PCR on video, CRCs hold', () => {
  const { packets } = mux(flv);
  const pats = packets.filter((p) => p.pid === 0);
  const pmts = packets.filter((p) => p.pid === PMT);
  const keyframes = videoFrames.filter((f) => f.keyframe).length;
  assert.ok(videoFrames[0]!.keyframe && keyframes >= 1);
  assert.equal(pats.length, keyframes, 'one pair with the first frame (a keyframe), then one per keyframe');
  assert.equal(pmts.length, keyframes);
  for (const p of pats) {
    const s = readSection(p.payload);
    assert.ok(s.crcOk);
    assert.equal(s.tableId, 0);
    assert.deepEqual([...s.body], [0x00, 0x01, 0xf0, 0x00]); // program 1 on PID 0x1000
  }
  for (const p of pmts) {
    const s = readSection(p.payload);
    assert.ok(s.crcOk);
    assert.equal(s.version, 0);
    assert.deepEqual(readPmtBody(s.body), {
      pcrPid: VIDEO,
      streams: [
        { streamType: 0x1b, pid: VIDEO },
        { streamType: 0x0f, pid: AUDIO },
      ],
    });
  }
});

test('the fixture: video PES times from the FLV timestamp and composition time, PCR and random access', () => {
  const { chunks, packets } = mux(flv);
  const pes = readPes(packets, VIDEO);
  assert.equal(pes.length, videoFrames.length);
  let lastPcr = -1;
  pes.forEach((p, i) => {
    const msg = videoFrames[i]!;
    const cts = msg.payload.readIntBE(2, 3);
    assert.equal(p.streamId, 0xe0);
    assert.equal(p.pts!.value, (msg.timestamp + cts) * 90);
    assert.ok(p.pts!.markersOk);
    if (cts !== 0) {
      assert.equal(p.dts!.value, msg.timestamp * 90);
      assert.ok(p.dts!.markersOk);
    } else assert.equal(p.dts, undefined);
    const af = p.packets[0]!.adaptation;
    assert.equal(af?.pcr, msg.timestamp * 90, 'PCR = DTS in the first packet of each video PES');
    assert.ok(af!.pcr! >= lastPcr);
    lastPcr = af!.pcr!;
    assert.equal(af!.randomAccess, msg.keyframe);
    for (const q of p.packets.slice(1)) assert.equal(q.adaptation?.pcr, undefined);
  });
  assert.ok(
    videoFrames.some((f) => f.payload.readIntBE(2, 3) !== 0),
    'the fixture has B-frames',
  );
  const videoChunks = chunks.filter((c) => c.track === 'video');
  assert.deepEqual(
    videoChunks.map((c) => [c.dts, c.keyframe]),
    videoFrames.map((f) => [f.timestamp * 90, f.keyframe]),
  );
});

test('the fixture: H.264 as Annex-B with an AUD first and SPS/PPS before each keyframe', () => {
  const config = flv.find((msg) => msg.type === MediaType.Video && msg.sequenceHeader)!.payload.subarray(5);
  const sps = config.subarray(8, 8 + config.readUInt16BE(6));
  const ppsAt = 8 + sps.length + 1;
  const pps = config.subarray(ppsAt + 2, ppsAt + 2 + config.readUInt16BE(ppsAt));
  const aud = Buffer.from([0x09, 0xf0]);
  const pes = readPes(mux(flv).packets, VIDEO);
  pes.forEach((p, i) => {
    const msg = videoFrames[i]!;
    const nals = nalsOf(msg.payload.subarray(5));
    assert.deepEqual(p.data, m.annexB(msg.keyframe ? [aud, sps, pps, ...nals] : [aud, ...nals]), `frame ${i}`);
  });
});

test('the fixture: each AAC frame is one PES of ADTS header + raw frame, PTS only, no PCR', () => {
  const { chunks, packets } = mux(flv);
  const pes = readPes(packets, AUDIO);
  assert.equal(pes.length, audioFrames.length);
  pes.forEach((p, i) => {
    const msg = audioFrames[i]!;
    const raw = msg.payload.subarray(2);
    assert.equal(p.streamId, 0xc0);
    assert.equal(p.ptsDtsFlags, 2);
    assert.equal(p.pts!.value, msg.timestamp * 90);
    assert.equal(p.packetLength, 3 + 5 + 7 + raw.length);
    assert.equal(p.data.readUInt16BE(0) & 0xfff6, 0xfff0, 'ADTS syncword, MPEG-4, layer 0');
    assert.equal((p.data.readUIntBE(3, 3) >> 5) & 0x1fff, 7 + raw.length, 'frame_length');
    assert.deepEqual(p.data.subarray(7), raw);
    assert.equal(p.packets[0]!.adaptation?.pcr, undefined);
  });
  for (const c of chunks.filter((c) => c.track === 'audio'))
    assert.equal(c.keyframe, false, 'not a start point when there is video');
});

test('PAT and PMT lead each keyframe chunk and chunks pushed with withTables, and nothing else', () => {
  const muxer = new TsMuxer();
  muxer.push(m.legacyVideoConfig(m.AVC_RECORD));
  muxer.push(m.aacConfig());
  for (let i = 0; i < 30; i++) {
    const keyframe = i % 10 === 0;
    const askTables = i === 15;
    const video = muxer.push(
      m.legacyVideoFrame(i * 40, 0, keyframe, m.lengthPrefixed([m.avcNal(keyframe ? 5 : 1, 300, i)])),
      askTables,
    )!;
    const audio = muxer.push(m.aacFrame(i * 40 + 5, Buffer.alloc(200, i)), i === 22)!;
    const videoPids = readPackets(video.bytes).map((p) => p.pid);
    const audioPids = readPackets(audio.bytes).map((p) => p.pid);
    const expectTables = keyframe || askTables;
    assert.deepEqual(videoPids.slice(0, 2), expectTables ? [0, PMT] : [VIDEO, VIDEO], `video ${i}`);
    assert.equal(videoPids.includes(0), expectTables);
    assert.deepEqual(audioPids.slice(0, 2), i === 22 ? [0, PMT] : [AUDIO, AUDIO], `audio ${i}`);
  }
});
