/**
 * The MPEG-TS demuxer (what SRT publishers send): mutated ffmpeg and muxer output and hand-built MP3 and
 * Opus streams, with TS-aware
 * mutations (packet header fields, dropped, repeated and cut packets). The rules: nothing escapes
 * the demuxer, no INTERNAL error is counted, each track's times only grow, and a stream that needed
 * no resync gives the same messages whole and cut into pieces.
 */
import { readFileSync } from 'node:fs';
import { MediaType, type MediaMessage } from '../../../src/protocol/media.ts';
import { TsDemuxer } from '../../../src/protocol/mpegts/ts-demuxer.ts';
import { TsMuxer } from '../../../src/protocol/mpegts/ts-muxer.ts';
import * as media from '../../../test/fixtures/mpegts/flv-messages.ts';
import { pat, pes, pesPackets, pmt, psiPackets } from '../../../test/fixtures/mpegts/ts-builder.ts';
import type { Rng } from '../rng.ts';
import { splitDeterministic } from '../rng.ts';
import { OracleFailure, type BytesTarget } from '../target.ts';

const MAX_LEN = 16 * 1024;

function demux(pieces: readonly Buffer[]): { out: MediaMessage[]; d: TsDemuxer } {
  // A small PES cap so the fuzzer reaches TS_PES_TOO_LARGE within its input sizes.
  const d = new TsDemuxer({ maxPesSize: 4096 });
  const out: MediaMessage[] = [];
  for (const p of pieces) d.push(p, out);
  d.end(out);
  return { out, d };
}

function checkTimes(out: readonly MediaMessage[]): void {
  for (const type of [MediaType.Video, MediaType.Audio]) {
    let last = -1;
    for (const m of out) {
      if (m.type !== type) continue;
      if (m.timestamp < last) throw new OracleFailure(`type ${type} went back from ${last} to ${m.timestamp}`);
      last = m.timestamp;
    }
  }
}

const fingerprint = (out: readonly MediaMessage[]): string =>
  out.map((m) => `${m.type}:${m.timestamp}:${m.payload.length}`).join(' ');

/** Bends the packet structure: header fields at packet boundaries, packets dropped, repeated or cut short. */
function mutateTs(input: Buffer, rng: Rng): Buffer {
  const count = Math.floor(input.length / 188);
  if (count === 0) return input;
  const at = rng.below(count) * 188;
  const out = Buffer.from(input);
  switch (rng.below(7)) {
    case 0: // continuity counter
      out[at + 3] = (out[at + 3]! & 0xf0) | rng.below(16);
      return out;
    case 1: // adaptation_field_control and length
      out[at + 3] = (out[at + 3]! & 0xcf) | (rng.below(4) << 4);
      out[at + 4] = rng.pick([0, 1, 182, 183, 184, 255, rng.below(256)]);
      return out;
    case 2: // payload_unit_start_indicator, TEI, PID
      out[at + 1] = out[at + 1]! ^ rng.pick([0x40, 0x80, 0x01, 0x10]);
      return out;
    case 3: // drop a packet
      return Buffer.concat([input.subarray(0, at), input.subarray(at + 188)]);
    case 4: // repeat a packet
      return Buffer.concat([
        input.subarray(0, at + 188),
        input.subarray(at, at + 188),
        input.subarray(at + 188),
      ]).subarray(0, MAX_LEN);
    case 5: // cut a packet short (lost bytes)
      return Buffer.concat([input.subarray(0, at + 1 + rng.below(187)), input.subarray(at + 188)]);
    default: // a length field in the first bytes of the payload (section_length, PES_packet_length)
      out.writeUInt16BE(rng.pick([0, 1, 0xffff, 0xbfff, 0x3ff, rng.below(0x10000)]), at + 5 + rng.below(4));
      return out;
  }
}

function seeds(): Buffer[] {
  const ffmpeg = readFileSync(new URL('../../../test/fixtures/mpegts/h264-aac-160x120.m2t', import.meta.url));
  const muxer = new TsMuxer();
  const hnals = media.lengthPrefixed([media.hevcNal(19, 60), media.hevcNal(1, 20)]);
  const hevc = [
    media.exVideoConfig(media.HEVC_RECORD),
    media.aacConfig(),
    media.exVideoFrame(0, 0, true, hnals),
    media.aacFrame(10, Buffer.alloc(20, 1)),
    media.exVideoFrame(40, 40, false, hnals),
  ];
  const ours = Buffer.concat(hevc.map((m) => muxer.push(m, true)?.bytes).filter((b) => b !== undefined));
  // MP3 (MPEG-1 layer III, 128 kbit/s, 44.1 kHz: 417-byte frames) and Opus, built by hand.
  const mp3 = Buffer.concat(
    [0, 1, 2].map(() => Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(413, 0x11)])),
  );
  const opusAu = Buffer.concat([Buffer.from([0x7f, 0xe0, 20, 0xfc]), Buffer.alloc(19, 0x22)]);
  const opusPmt = [
    { type: 0x03, pid: 0x101 },
    { type: 0x06, pid: 0x102, descriptors: Buffer.from([0x05, 4, 0x4f, 0x70, 0x75, 0x73, 0x7f, 2, 0x80, 2]) },
  ];
  const hand = Buffer.concat([
    psiPackets(0, pat(0x1000)),
    psiPackets(0x1000, pmt(opusPmt, 0, 0x101)),
    pesPackets(0x101, pes(0xc0, mp3, 9000)).bytes,
    psiPackets(0x1000, pmt([opusPmt[1]!], 1, 0x102), 1),
    pesPackets(0x102, pes(0xbd, Buffer.concat([opusAu, opusAu]), 9000)).bytes,
  ]);
  return [
    ffmpeg.subarray(0, 188 * 40),
    ffmpeg.subarray(188 * 40, 188 * 80),
    ffmpeg.subarray(ffmpeg.length - 188 * 30),
    ours,
    hand,
  ];
}

/** The TS demuxer target. */
export const tsDemuxTarget: BytesTarget = {
  kind: 'bytes',
  name: 'ts-demuxer',
  inputs: 300_000,
  maxLen: MAX_LEN,
  seeds,
  extra: mutateTs,
  run(input) {
    const whole = demux([input]);
    const split = demux(splitDeterministic(input, 12));
    for (const r of [whole, split]) {
      if (r.d.stats.errors.INTERNAL) throw new OracleFailure('the demuxer counted an INTERNAL error');
      checkTimes(r.out);
    }
    if (whole.d.stats.skippedBytes === 0 && fingerprint(whole.out) !== fingerprint(split.out)) {
      throw new OracleFailure('a stream in sync gives other messages when cut into pieces');
    }
    const codes = Object.keys(whole.d.stats.errors).sort().join(',');
    const kinds = [...new Set(whole.out.map((m) => `${m.type}${m.sequenceHeader ? 's' : ''}`))].sort().join(',');
    return `${codes || 'ok'}|${kinds}`;
  },
};
