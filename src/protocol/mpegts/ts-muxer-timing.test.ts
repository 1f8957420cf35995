import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as m from '../../../test/fixtures/mpegts/flv-messages.ts';
import { readPackets, readPes, type TsPacket } from '../../../test/support/ts-reader.ts';
import { parseAvcDecoderConfig } from '../codec/avc-config.ts';
import { TsMuxer, type TsChunk } from './ts-muxer.ts';

const VIDEO = 0x100;
const AUDIO = 0x101;
const AUD = Buffer.from([0x09, 0xf0]);
const avcParams = ((c) => [...c.sps, ...c.pps])(parseAvcDecoderConfig(m.AVC_RECORD));

function assertContinuity(packets: readonly TsPacket[]): void {
  const last = new Map<number, number>();
  for (const p of packets) {
    const prev = last.get(p.pid);
    if (prev !== undefined) assert.equal(p.cc, (prev + 1) % 16, `PID ${p.pid} packet ${p.index}`);
    last.set(p.pid, p.cc);
  }
}

/** Packets for a PES of `pesBytes` bytes whose first packet spends `firstAf` bytes on its adaptation field. */
function packetsFor(pesBytes: number, firstAf: number): number {
  return pesBytes <= 184 - firstAf ? 1 : 1 + Math.ceil((pesBytes - (184 - firstAf)) / 184);
}

const videoFrame = fc.record({
  kind: fc.constant('video' as const),
  nalSizes: fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 4 }),
  keyframe: fc.boolean(),
  cts: fc.integer({ min: 0, max: 200 }),
  step: fc.integer({ min: 0, max: 100 }),
});
const audioFrame = fc.record({
  kind: fc.constant('audio' as const),
  size: fc.integer({ min: 1, max: 1500 }),
  step: fc.integer({ min: 0, max: 50 }),
});

test('random frames: packet counts as computed, payloads reassemble to the Annex-B and ADTS input, CC and PCR hold', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(videoFrame, audioFrame), { minLength: 1, maxLength: 25 }),
      fc.boolean(),
      (frames, withAudio) => {
        const muxer = new TsMuxer();
        muxer.push(m.legacyVideoConfig(m.AVC_RECORD));
        if (withAudio) muxer.push(m.aacConfig());
        const expected: Array<{ pid: number; data: Buffer }> = [];
        const chunks: TsChunk[] = [];
        let ts = 1000;
        for (const [i, f] of frames.entries()) {
          ts += f.step;
          if (f.kind === 'audio') {
            if (!withAudio) continue;
            const raw = Buffer.alloc(f.size, i);
            const chunk = muxer.push(m.aacFrame(ts, raw))!;
            assert.equal(chunk.bytes.length, packetsFor(14 + 7 + f.size, 0) * 188);
            expected.push({ pid: AUDIO, data: raw });
            chunks.push(chunk);
            continue;
          }
          const nals = f.nalSizes.map((size, k) => m.avcNal(k === 0 && f.keyframe ? 5 : 1, size, i));
          const chunk = muxer.push(m.legacyVideoFrame(ts, f.cts, f.keyframe, m.lengthPrefixed(nals)))!;
          const annexB = m.annexB(f.keyframe ? [AUD, ...avcParams, ...nals] : [AUD, ...nals]);
          const pesBytes = (f.cts ? 19 : 14) + annexB.length;
          assert.equal(chunk.bytes.length, ((f.keyframe ? 2 : 0) + packetsFor(pesBytes, 8)) * 188);
          assert.deepEqual([chunk.dts, chunk.pts, chunk.keyframe], [ts * 90, (ts + f.cts) * 90, f.keyframe]);
          expected.push({ pid: VIDEO, data: annexB });
          chunks.push(chunk);
        }
        const packets = readPackets(Buffer.concat(chunks.map((c) => c.bytes)));
        assertContinuity(packets);
        const video = readPes(packets, VIDEO);
        const audio = readPes(packets, AUDIO);
        assert.deepEqual(
          video.map((p) => p.data),
          expected.filter((e) => e.pid === VIDEO).map((e) => e.data),
        );
        assert.deepEqual(
          audio.map((p) => p.data.subarray(7)),
          expected.filter((e) => e.pid === AUDIO).map((e) => e.data),
        );
        const pcrs = packets.flatMap((p) => (p.adaptation?.pcr !== undefined ? [p.adaptation.pcr] : []));
        assert.equal(pcrs.length, video.length, 'one PCR per video PES');
        for (let i = 1; i < pcrs.length; i++) assert.ok(pcrs[i]! >= pcrs[i - 1]!);
      },
    ),
    { numRuns: 150 },
  );
});

/** Muxes video and audio frames 40 ms apart starting at FLV time `startMs` (wrapping at 2^32 as FLV does). */
function muxFrom(startMs: number, count: number): { chunks: TsChunk[]; packets: TsPacket[] } {
  const muxer = new TsMuxer();
  muxer.push(m.legacyVideoConfig(m.AVC_RECORD, 7, startMs));
  muxer.push(m.aacConfig(m.ASC_LC_44100_STEREO, startMs));
  const chunks: TsChunk[] = [];
  for (let i = 0; i < count; i++) {
    const ts = (startMs + i * 40) >>> 0;
    chunks.push(
      muxer.push(m.legacyVideoFrame(ts, 80, i % 5 === 0, m.lengthPrefixed([m.avcNal(i % 5 ? 1 : 5, 200)])), i === 0)!,
    );
    chunks.push(muxer.push(m.aacFrame((ts + 10) >>> 0, Buffer.alloc(100)))!);
  }
  return { chunks, packets: readPackets(Buffer.concat(chunks.map((c) => c.bytes))) };
}

test('33-bit wrap: chunk times keep growing past 2^33 while PES times and the PCR wrap to 0 in the packets', () => {
  const wrapMs = Math.ceil(2 ** 33 / 90); // 95443718 ms, 26.5 hours in
  const { chunks, packets } = muxFrom(wrapMs - 200, 10);
  const video = chunks.filter((c) => c.track === 'video');
  for (let i = 0; i < video.length; i++) assert.equal(video[i]!.dts, (wrapMs - 200 + i * 40) * 90);
  assert.ok(video.at(-1)!.dts > 2 ** 33, 'unwrapped');
  const pes = readPes(packets, VIDEO);
  pes.forEach((p, i) => {
    assert.equal(p.dts!.value, video[i]!.dts % 2 ** 33);
    assert.equal(p.pts!.value, video[i]!.pts % 2 ** 33);
    assert.equal(p.packets[0]!.adaptation!.pcr, video[i]!.dts % 2 ** 33);
  });
  assert.ok(
    pes.some((p) => p.dts!.value < 90_000) && pes.some((p) => p.dts!.value > 2 ** 33 - 90_000),
    'the packets did wrap',
  );
  const audio = readPes(packets, AUDIO);
  audio.forEach((p, i) => assert.equal(p.pts!.value, ((wrapMs - 190 + i * 40) * 90) % 2 ** 33));
});

test('32-bit FLV wrap: timestamps passing 2^32 ms continue on one timeline, video and audio alike', () => {
  const start = 2 ** 32 - 100;
  const { chunks } = muxFrom(start, 6);
  const video = chunks.filter((c) => c.track === 'video').map((c) => c.dts / 90);
  const audio = chunks.filter((c) => c.track === 'audio').map((c) => c.pts / 90);
  assert.deepEqual(
    video,
    [0, 40, 80, 120, 160, 200].map((d) => start + d),
  );
  assert.deepEqual(
    audio,
    [10, 50, 90, 130, 170, 210].map((d) => start + d),
  );
});

test('a DTS that steps back never makes the PCR go backwards', () => {
  const muxer = new TsMuxer();
  muxer.push(m.legacyVideoConfig(m.AVC_RECORD));
  const pcrs = [0, 40, 30, 80].map((ts) => {
    const chunk = muxer.push(m.legacyVideoFrame(ts, 0, false, m.lengthPrefixed([m.avcNal(1, 50)])))!;
    return readPackets(chunk.bytes)[0]!.adaptation!.pcr;
  });
  assert.deepEqual(pcrs, [0, 3600, 3600, 7200]);
});
