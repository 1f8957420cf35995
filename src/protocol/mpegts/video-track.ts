/**
 * The video side of the TS muxer: keeps the H.264/HEVC decoder configuration and turns length-prefixed
 * (AVCC/HVCC, ISO/IEC 14496-15 §5.3.2/§8.3.2) frames into Annex-B byte streams (H.264/H.265 Annex B)
 * with an access unit delimiter first and the parameter sets before each keyframe, as HLS requires
 * (RFC 8216 §3.4, Apple HLS authoring spec: "every IDR frame must be preceded by SPS and PPS").
 */
import { ProtocolError } from '../../errors.ts';
import { parseAvcDecoderConfig } from '../codec/avc-config.ts';
import { parseHevcDecoderConfig } from '../codec/hevc-config.ts';
import { avcCodecString, hevcCodecString } from './codec-string.ts';
import type { EsPieces } from './es-pieces.ts';
import type { TsVideoCodec } from './flv-media-packet.ts';
import { StreamType } from './psi-tables.ts';

const START_CODE = Buffer.from([0, 0, 0, 1]);
/** H.264 AUD (nal_unit_type 9) with primary_pic_type 7: any slice type may follow (H.264 §7.3.2.4). */
const AVC_AUD = Buffer.from([0, 0, 0, 1, 0x09, 0xf0]);
/** HEVC AUD (nal_unit_type 35, nuh_temporal_id_plus1 1) with pic_type 2: I, P or B slices (H.265 §7.3.2.5). */
const HEVC_AUD = Buffer.from([0, 0, 0, 1, 0x46, 0x01, 0x50]);

/** NAL unit types the conversion looks at (H.264 Table 7-1, H.265 Table 7-1). */
const AvcNal = { Sps: 7, Aud: 9 } as const;
const HevcNal = { Sps: 33, Aud: 35 } as const;

/** A configured video stream: what the PMT, the playlist and the Annex-B conversion need. */
export class VideoTrack {
  readonly codec: TsVideoCodec;
  readonly streamType: StreamType;
  readonly codecString: string;
  readonly width: number;
  readonly height: number;
  private readonly lengthSize: number;
  /** VPS (HEVC), SPS and PPS in the order they go before a keyframe. */
  private readonly parameterSets: Buffer[];
  private readonly aud: Buffer;

  /** Parses a decoder configuration record; throws ProtocolError CODEC_CONFIG_INVALID if it is malformed. */
  constructor(codec: TsVideoCodec, record: Buffer) {
    this.codec = codec;
    if (codec === 'avc') {
      const c = parseAvcDecoderConfig(record);
      this.streamType = StreamType.H264;
      this.codecString = avcCodecString(c.sps[0]!);
      this.parameterSets = [...c.sps, ...c.pps];
      this.lengthSize = c.lengthSize;
      this.width = c.width;
      this.height = c.height;
      this.aud = AVC_AUD;
    } else {
      const c = parseHevcDecoderConfig(record);
      this.streamType = StreamType.Hevc;
      this.codecString = hevcCodecString(record);
      this.parameterSets = [...c.vps, ...c.sps, ...c.pps];
      this.lengthSize = c.lengthSize;
      this.width = c.width;
      this.height = c.height;
      this.aud = HEVC_AUD;
    }
  }

  /**
   * Describes the Annex-B form of the length-prefixed NAL units in `payload[offset..]` into `es`: our AUD,
   * then (for a keyframe that does not carry its own SPS) the configuration's parameter sets, then each
   * NAL unit after a 4-byte start code. The publisher's own AUDs are dropped (x264 `aud=1`, NVENC) so
   * there is exactly one. Throws ProtocolError TS_MUX_INPUT when a length runs past the payload.
   */
  toAnnexB(payload: Buffer, offset: number, keyframe: boolean, es: EsPieces): void {
    const hevc = this.codec === 'hevc';
    const spsType = hevc ? HevcNal.Sps : AvcNal.Sps;
    const audType = hevc ? HevcNal.Aud : AvcNal.Aud;
    // First pass: validate the lengths and see whether the encoder already sends parameter sets in-band.
    let inBandSps = false;
    for (let pos = offset; pos < payload.length;) {
      const size = this.readLength(payload, pos);
      pos += this.lengthSize;
      if (size > 0) inBandSps ||= nalType(payload[pos]!, hevc) === spsType;
      pos += size;
    }
    es.add(this.aud);
    if (keyframe && !inBandSps) {
      for (const ps of this.parameterSets) {
        es.add(START_CODE);
        es.add(ps);
      }
    }
    for (let pos = offset; pos < payload.length;) {
      const size = this.readLength(payload, pos);
      pos += this.lengthSize;
      if (size > 0 && nalType(payload[pos]!, hevc) !== audType) {
        es.add(START_CODE);
        es.add(payload, pos, pos + size);
      }
      pos += size;
    }
  }

  private readLength(payload: Buffer, pos: number): number {
    const end = pos + this.lengthSize;
    if (end > payload.length) {
      const what = `a ${this.lengthSize}-byte NAL unit length at ${pos}`;
      throw new ProtocolError('TS_MUX_INPUT', `${what} runs past the ${payload.length}-byte frame`);
    }
    const size = payload.readUIntBE(pos, this.lengthSize);
    if (end + size > payload.length) {
      throw new ProtocolError(
        'TS_MUX_INPUT',
        `a ${size}-byte NAL unit at ${end} runs past the ${payload.length}-byte frame`,
      );
    }
    return size;
  }
}

/** nal_unit_type from the first NAL header byte: 5 bits in H.264, 6 bits after the forbidden bit in HEVC. */
function nalType(b: number, hevc: boolean): number {
  return hevc ? (b >> 1) & 0x3f : b & 0x1f;
}
