/** Byte targets of the media layer: AMF0, the FLV demuxer, codec configuration parsers, the TS muxer. */
import { decodeAmf0All } from '../../../src/protocol/amf0/amf0-decoder.ts';
import { encodeAmf0 } from '../../../src/protocol/amf0/amf0-encoder.ts';
import { parseAacAudioSpecificConfig } from '../../../src/protocol/codec/aac-config.ts';
import { parseAvcDecoderConfig, parseAvcSps } from '../../../src/protocol/codec/avc-config.ts';
import { parseHevcDecoderConfig, parseHevcSps } from '../../../src/protocol/codec/hevc-config.ts';
import { describeMediaMessage } from '../../../src/protocol/codec/media-info.ts';
import { FlvDemuxer } from '../../../src/protocol/flv/flv-demuxer.ts';
import { mediaMessage, MediaType, type MediaMessage } from '../../../src/protocol/media.ts';
import { avcCodecString, hevcCodecString } from '../../../src/protocol/mpegts/codec-string.ts';
import { TsMuxer } from '../../../src/protocol/mpegts/ts-muxer.ts';
import { decodeCommand, decodeData } from '../../../src/protocol/rtmp/commands.ts';
import * as media from '../../../test/fixtures/mpegts/flv-messages.ts';
import { splitDeterministic } from '../rng.ts';
import { amf0Seeds, codecRecords, flvSeeds } from '../seeds.ts';
import { coded, codedOutcome, isCodedError, OracleFailure, type BytesTarget } from '../target.ts';

/** decodeAmf0All, the command and data decoders, and re-encoding what was decoded. */
export const amf0Target: BytesTarget = {
  kind: 'bytes',
  name: 'amf0',
  inputs: 2_000_000,
  maxLen: 4096,
  seeds: amf0Seeds,
  run(input) {
    const a = coded(() => {
      const values = decodeAmf0All(input);
      // What we decoded we can encode again (or refuse with a code), and that decodes.
      coded(() => void decodeAmf0All(encodeAmf0(...values)));
      return `ok:${values.length > 3 ? 'n' : values.length}:${values
        .slice(0, 3)
        .map((v) => (v instanceof Map ? 'map' : typeof v))
        .join(',')}`;
    });
    const b = coded(() => void decodeCommand(input[0]! & 1 ? 17 : 20, input));
    const c = coded(() => void decodeData(18, input));
    return `${a}|${b ?? ''}|${c ?? ''}`;
  },
};

function demux(pieces: Buffer[]): { n: number; bytes: number; error: string | undefined; msgs: MediaMessage[] } {
  const d = new FlvDemuxer({ maxTagSize: 1 << 20 });
  const msgs: MediaMessage[] = [];
  try {
    for (const p of pieces) msgs.push(...d.push(p));
  } catch (err) {
    if (!isCodedError(err)) throw err;
    return { n: msgs.length, bytes: 0, error: err.code, msgs };
  }
  return { n: msgs.length, bytes: msgs.reduce((s, m) => s + m.payload.length, 0), error: undefined, msgs };
}

/** FlvDemuxer split anywhere (the same tags whatever the reads), then each tag's codec description. */
export const flvTarget: BytesTarget = {
  kind: 'bytes',
  name: 'flv',
  inputs: 1_000_000,
  maxLen: 8192,
  seeds: flvSeeds,
  run(input) {
    const whole = demux([input]);
    const split = demux(splitDeterministic(input, 10));
    if (whole.error !== split.error)
      throw new OracleFailure(`whole read ends in ${whole.error}, split reads in ${split.error}`);
    if (whole.error === undefined && (whole.n !== split.n || whole.bytes !== split.bytes))
      throw new OracleFailure('split reads give other tags');
    const kinds = new Set<string>();
    for (const m of split.msgs) kinds.add(coded(() => describeMediaMessage(m)?.codec ?? 'none') ?? '');
    return `${whole.error ?? 'ok'}:${[...kinds].sort().join(',')}`;
  },
};

const parsers = [
  (b: Buffer) => parseAvcDecoderConfig(b).sps.length,
  (b: Buffer) => parseHevcDecoderConfig(b).sps.length,
  (b: Buffer) => parseAacAudioSpecificConfig(b).channels,
  (b: Buffer) => parseAvcSps(b).width,
  (b: Buffer) => parseHevcSps(b).width,
  // The codec strings are computed from records the parsers accepted, as VideoTrack does.
  (b: Buffer) => avcCodecString(parseAvcDecoderConfig(b).sps[0]!).length,
  (b: Buffer) => (parseHevcDecoderConfig(b), hevcCodecString(b)).length,
  (b: Buffer) => describeMediaMessage(mediaMessage(MediaType.Video, 0, b))?.codec,
  (b: Buffer) => describeMediaMessage(mediaMessage(MediaType.Audio, 0, b))?.codec,
] as const;

/** The AVC/HEVC/AAC parsers; the first byte picks the parser, the rest is its input. */
export const codecTarget: BytesTarget = {
  kind: 'bytes',
  name: 'codec',
  inputs: 2_000_000,
  maxLen: 3072,
  seeds() {
    const avc = codecRecords('.avcC');
    const hevc = codecRecords('.hvcC');
    const tag = (p: number, b: Buffer) => Buffer.concat([Buffer.of(p), b]);
    // The SPS inside an avcC starts at byte 8 (after the 2-byte length at 6); hvcC arrays hold HEVC SPSs.
    const avcSps = avc.map((r) => r.subarray(8, 8 + r.readUInt16BE(6)));
    return [
      ...avc.map((r) => tag(0, r)),
      ...hevc.map((r) => tag(1, r)),
      tag(2, Buffer.of(0x12, 0x10)),
      tag(2, Buffer.of(0x2b, 0x92, 0x08, 0x00)),
      ...avcSps.map((s) => tag(3, s)),
      ...hevc.map((r) => tag(4, parseHevcDecoderConfig(r).sps[0]!)),
      ...avcSps.map((s) => tag(5, s)),
      ...hevc.map((r) => tag(6, r)),
      tag(7, media.legacyVideoConfig(avc[0]!).payload),
      tag(7, media.exVideoConfig(hevc[0]!).payload),
      tag(8, media.aacConfig().payload),
    ];
  },
  run(input) {
    if (input.length === 0) return 'empty';
    const p = input[0]! % parsers.length;
    const body = input.subarray(1);
    return `${p}:${coded(() => String(parsers[p]!(body)).replace(/\d+/g, '#'))}`;
  },
};

/** Messages framed as `type(1) timestamp(4) length(2) payload`, as the muxer target's input. */
function frames(input: Buffer): MediaMessage[] {
  const out: MediaMessage[] = [];
  for (let at = 0; at + 7 <= input.length;) {
    const type = [MediaType.Audio, MediaType.Video, MediaType.Data][input[at]! % 3]!;
    const ts = input.readUInt32BE(at + 1);
    const len = input.readUInt16BE(at + 5);
    out.push(mediaMessage(type, ts, input.subarray(at + 7, at + 7 + len)));
    at += 7 + len;
  }
  return out;
}

function frame(m: MediaMessage): Buffer {
  const h = Buffer.alloc(7);
  h[0] = m.type === MediaType.Audio ? 0 : m.type === MediaType.Video ? 1 : 2;
  h.writeUInt32BE(m.timestamp >>> 0, 1);
  h.writeUInt16BE(Math.min(m.payload.length, 0xffff), 5);
  return Buffer.concat([h, m.payload.subarray(0, 0xffff)]);
}

/** The TS muxer fed arbitrary media messages: only coded errors, and whole 188-byte packets out. */
export const tsmuxTarget: BytesTarget = {
  kind: 'bytes',
  name: 'tsmux',
  inputs: 1_000_000,
  maxLen: 8192,
  seeds() {
    const avc = media.AVC_RECORD;
    const hevc = media.HEVC_RECORD;
    const nals = media.lengthPrefixed([media.avcNal(5, 60), media.avcNal(1, 30)]);
    const hnals = media.lengthPrefixed([media.hevcNal(19, 60), media.hevcNal(1, 20)]);
    const seqs: MediaMessage[][] = [
      [
        media.legacyVideoConfig(avc),
        media.aacConfig(),
        media.legacyVideoFrame(0, 0, true, nals),
        media.aacFrame(10, Buffer.alloc(20, 1)),
        media.legacyVideoFrame(40, 80, false, nals),
      ],
      [
        media.exVideoConfig(hevc),
        media.exVideoFrame(0, 0, true, hnals),
        media.exVideoFrame(40, undefined, false, hnals),
      ],
      [
        media.legacyVideoConfig(hevc, 12),
        media.legacyVideoFrame(0xffffff00, 0, true, hnals, 12),
        media.legacyVideoFrame(5, -40, false, hnals, 12),
      ],
      [media.aacConfig(), media.aacFrame(0, Buffer.alloc(300, 2)), media.aacFrame(23, Buffer.alloc(5, 3))],
    ];
    return seqs.map((s) => Buffer.concat(s.map(frame)));
  },
  run(input) {
    const muxer = new TsMuxer();
    const seen: string[] = [];
    for (const [i, m] of frames(input).entries()) {
      try {
        const chunk = muxer.push(m, i % 4 === 0);
        if (chunk === undefined) continue;
        const b = chunk.bytes;
        if (b.length === 0 || b.length % 188 !== 0)
          throw new OracleFailure(`TS chunk of ${b.length} bytes, not whole packets`);
        for (let at = 0; at < b.length; at += 188)
          if (b[at] !== 0x47) throw new OracleFailure(`packet at ${at} without the sync byte`);
        if (!Number.isFinite(chunk.pts) || !Number.isFinite(chunk.dts)) throw new OracleFailure('non-finite PTS/DTS');
        seen.push(chunk.track);
      } catch (err) {
        // The muxer stays usable after a bad message (its contract): keep feeding it.
        if (!isCodedError(err)) throw err;
        seen.push(codedOutcome(err));
      }
    }
    muxer.tables();
    muxer.codecs();
    return [...new Set(seen)].sort().join(',');
  },
};
