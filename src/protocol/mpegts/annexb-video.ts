/**
 * The video side of the TS demuxer: one PES is one access unit of H.264 or HEVC in Annex-B form
 * (H.264/H.265 Annex B); it becomes one FLV video tag body with 4-byte length-prefixed NAL units
 * (ISO/IEC 14496-15 §5.3.2), legacy AVC (FLV 10.1 §E.4.3.1) or Enhanced RTMP `hvc1`. Parameter sets
 * move into a decoder configuration record, sent before the first frame and again whenever they change;
 * access unit delimiters and filler data are dropped.
 */
import { LiveError } from '../../errors.ts';
import { parseAvcSps } from '../codec/avc-config.ts';
import { BitReader, nalToRbsp } from '../codec/bit-reader.ts';
import { parseHevcSps } from '../codec/hevc-config.ts';
import { MediaType, mediaMessage, type MediaMessage } from '../media.ts';
import { buildAvcRecord, buildHevcRecord } from './decoder-records.ts';
import type { TsErrorReport, TsDemuxStats } from './ts-demux-stats.ts';

/** The video codecs the demuxer reads. */
export type DemuxVideoCodec = 'avc' | 'hevc';

/** What a decoder configuration says, for onMetaData. */
export interface VideoConfigInfo {
  readonly codec: DemuxVideoCodec;
  readonly width: number;
  readonly height: number;
}

const START_CODE = Buffer.from([0, 0, 1]);
/** Most NAL units one access unit may hold; x264 writes a handful, sliced encoders some dozens. */
const MAX_NALS = 1024;
/** Distinct PPS ids kept (H.264 allows 256, HEVC 64; encoders use one or two). */
const MAX_PPS = 64;
const HVC1 = Buffer.from('hvc1', 'latin1');

/** H.264 nal_unit_type (Table 7-1). */
const Avc = { Idr: 5, Sei: 6, Sps: 7, Pps: 8, Aud: 9, EndSeq: 10, EndStream: 11, Filler: 12 } as const;
/** H.265 nal_unit_type (Table 7-1); 16..23 are IRAP pictures (BLA, IDR, CRA). */
const Hevc = {
  IrapFirst: 16,
  IrapLast: 23,
  Vps: 32,
  Sps: 33,
  Pps: 34,
  Aud: 35,
  EndSeq: 36,
  EndStream: 37,
  Filler: 38,
} as const;

/** Turns Annex-B access units of one PID into FLV video tag bodies. */
export class AnnexBVideo {
  readonly codec: DemuxVideoCodec;
  private readonly hevc: boolean;
  private readonly stats: TsDemuxStats;
  private readonly report: TsErrorReport;
  private vps: Buffer | undefined;
  private sps: Buffer | undefined;
  private readonly pps = new Map<number, Buffer>();
  private dirty = false;
  /** The configuration last sent; frames before one are dropped. */
  info: VideoConfigInfo | undefined;
  private readonly starts = new Int32Array(MAX_NALS);
  private readonly ends = new Int32Array(MAX_NALS);

  constructor(codec: DemuxVideoCodec, stats: TsDemuxStats, report: TsErrorReport) {
    this.codec = codec;
    this.hevc = codec === 'hevc';
    this.stats = stats;
    this.report = report;
  }

  /**
   * Converts the access unit in `b[start..end)` taken at output time `ms` with composition offset
   * `cts`; appends a sequence header first if the parameter sets changed. Returns true when a new
   * configuration went out (so the demuxer can send new metadata).
   */
  push(b: Buffer, start: number, end: number, ms: number, cts: number, out: MediaMessage[]): boolean {
    const hevc = this.hevc;
    let count = 0;
    let size = 0;
    let keyframe = false;
    let vcl = false;
    let pos = b.indexOf(START_CODE, start);
    if (pos < 0 || pos >= end) {
      this.report('TS_ES_INVALID', 'a video PES without an Annex-B start code');
      return false;
    }
    while (pos >= 0 && pos < end) {
      const nalStart = pos + 3;
      let next = b.indexOf(START_CODE, nalStart);
      if (next < 0 || next > end) next = end;
      let nalEnd = next;
      while (nalEnd > nalStart && b[nalEnd - 1] === 0) nalEnd--; // zero_byte of a 4-byte start code, trailing_zero_8bits
      pos = next < end ? next : -1;
      if (nalEnd - nalStart < (hevc ? 3 : 2)) continue;
      const h = b[nalStart]!;
      const type = hevc ? (h >> 1) & 0x3f : h & 0x1f;
      if (hevc) {
        if (type === Hevc.Aud || type === Hevc.Filler || type === Hevc.EndSeq || type === Hevc.EndStream) continue;
        if (type === Hevc.Vps || type === Hevc.Sps || type === Hevc.Pps) {
          this.parameterSet(type, b, nalStart, nalEnd);
          continue;
        }
        if (type < 32) {
          vcl = true;
          if (type >= Hevc.IrapFirst && type <= Hevc.IrapLast) keyframe = true;
        }
      } else {
        if (type === Avc.Aud || type === Avc.Filler || type === Avc.EndSeq || type === Avc.EndStream) continue;
        if (type === Avc.Sps || type === Avc.Pps) {
          this.parameterSet(type, b, nalStart, nalEnd);
          continue;
        }
        if (type >= 1 && type <= 5) {
          vcl = true;
          if (type === Avc.Idr) keyframe = true;
        } else if (type === Avc.Sei && hasRecoveryPoint(b, nalStart + 1, nalEnd)) {
          // Intra refresh (x264 --intra-refresh, low-latency hardware encoders) sends no IDR at all; a
          // recovery point SEI marks where decoding can start, and FFmpeg's parser flags it a keyframe too.
          keyframe = true;
        }
      }
      if (count === MAX_NALS) {
        this.report('TS_ES_INVALID', `an access unit with more than ${MAX_NALS} NAL units`);
        return false;
      }
      this.starts[count] = nalStart;
      this.ends[count] = nalEnd;
      count++;
      size += 4 + nalEnd - nalStart;
    }
    const configured = this.dirty && this.sendConfig(ms, out);
    if (!vcl) return configured;
    if (this.info === undefined) {
      this.stats.framesBeforeConfig++;
      return configured;
    }
    out.push(this.frame(b, count, size, keyframe, ms, cts));
    this.stats.frames++;
    return configured;
  }

  private frame(b: Buffer, count: number, size: number, keyframe: boolean, ms: number, cts: number): MediaMessage {
    const head = this.hevc ? 8 : 5;
    const body = Buffer.allocUnsafe(head + size);
    const frameType = keyframe ? 1 : 2;
    let p: number;
    if (this.hevc) {
      body[0] = 0x80 | (frameType << 4) | 1; // Enhanced RTMP: IsExHeader, FrameType, PacketType CodedFrames
      HVC1.copy(body, 1);
      body.writeIntBE(cts, 5, 3);
      p = 8;
    } else {
      body[0] = (frameType << 4) | 7; // FrameType, CodecID 7 (AVC)
      body[1] = 1; // AVCPacketType 1: NAL units
      body.writeIntBE(cts, 2, 3);
      p = 5;
    }
    for (let i = 0; i < count; i++) {
      const s = this.starts[i]!;
      const e = this.ends[i]!;
      body.writeUInt32BE(e - s, p);
      b.copy(body, p + 4, s, e);
      p += 4 + e - s;
    }
    return mediaMessage(MediaType.Video, ms, body);
  }

  /** Keeps a parameter set if it differs from the one held (by PPS id for PPS). */
  private parameterSet(type: number, b: Buffer, start: number, end: number): void {
    const nal = b.subarray(start, end);
    const hevc = this.hevc;
    if (type === (hevc ? Hevc.Pps : Avc.Pps)) {
      const id = ppsId(nal, hevc);
      if (id < 0) return this.report('TS_ES_INVALID', 'a PPS whose id cannot be read');
      const held = this.pps.get(id);
      if (held?.equals(nal)) return;
      if (held === undefined && this.pps.size >= MAX_PPS)
        return this.report('TS_ES_INVALID', `more than ${MAX_PPS} PPS ids`);
      this.pps.set(id, Buffer.from(nal));
    } else if (type === (hevc ? Hevc.Sps : Avc.Sps)) {
      if (this.sps?.equals(nal)) return;
      this.sps = Buffer.from(nal);
    } else {
      if (this.vps?.equals(nal)) return;
      this.vps = Buffer.from(nal);
    }
    this.dirty = true;
  }

  /** Builds and appends the sequence header once all parameter sets are there; false if it cannot yet. */
  private sendConfig(ms: number, out: MediaMessage[]): boolean {
    const { sps, vps } = this;
    if (sps === undefined || this.pps.size === 0 || (this.hevc && vps === undefined)) return false;
    this.dirty = false;
    const pps = [...this.pps.keys()].sort((a, b) => a - b).map((id) => this.pps.get(id)!);
    let body: Buffer;
    try {
      if (this.hevc) {
        const record = buildHevcRecord(vps!, sps, pps);
        body = Buffer.concat([Buffer.from([0x90]), HVC1, record]); // KeyFrame | SequenceStart, then FourCC
      } else {
        const record = buildAvcRecord(sps, pps);
        body = Buffer.concat([Buffer.from([0x17, 0, 0, 0, 0]), record]); // AVC sequence header, CompositionTime 0
      }
    } catch (err) {
      if (!(err instanceof LiveError)) throw err;
      this.report(err.code, err.message);
      return false;
    }
    const msg = mediaMessage(MediaType.Video, ms, body);
    out.push(msg);
    // The builders parsed this SPS already, so it does not throw here.
    const { width, height } = this.hevc ? parseHevcSps(sps) : parseAvcSps(sps);
    this.info = { codec: this.codec, width, height };
    return true;
  }
}

/** SEI payloadType 6 (H.264 §D.1.8, recovery_point) among the first SEI messages of `b[start..end)`. */
function hasRecoveryPoint(b: Buffer, start: number, end: number): boolean {
  let p = start;
  for (let m = 0; m < 8 && p < end && b[p] !== 0x80; m++) {
    let type = 0;
    while (p < end && b[p] === 0xff) type += b[p++]!;
    if (p >= end) return false;
    type += b[p++]!;
    if (type === 6) return true;
    let size = 0;
    while (p < end && b[p] === 0xff) size += b[p++]!;
    if (p >= end) return false;
    size += b[p++]!;
    p += size;
  }
  return false;
}

/** pic_parameter_set_id: the first ue(v) of the PPS RBSP (H.264 §7.3.2.2, H.265 §7.3.2.3); -1 if unreadable. */
function ppsId(nal: Buffer, hevc: boolean): number {
  try {
    const id = new BitReader(nalToRbsp(nal.subarray(hevc ? 2 : 1, Math.min(nal.length, 16)))).readUE();
    return id < (hevc ? 64 : 256) ? id : -1;
  } catch {
    return -1;
  }
}
