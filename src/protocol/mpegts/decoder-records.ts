/**
 * Builds the decoder configuration records FLV/RTMP carries from the parameter sets an Annex-B stream
 * sends in-band: the AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1) and the
 * HEVCDecoderConfigurationRecord (§8.3.3.1), both with 4-byte NAL unit lengths. Each record is parsed
 * back with the project's own parser, so a record we send is one we accept (CODEC_CONFIG_INVALID if not).
 */
import { parseAvcDecoderConfig, parseAvcSps } from '../codec/avc-config.ts';
import { invalidConfig, nalToRbsp } from '../codec/bit-reader.ts';
import { parseHevcDecoderConfig, parseHevcSps } from '../codec/hevc-config.ts';

/**
 * profile_idc values whose record has no chroma and bit-depth trailer: §5.3.3.1.2 lists 100, 110, 122 and 144
 * as having one; FFmpeg (avc.c) and x264 write it for every profile but Baseline, Main and Extended (so for
 * High 4:4:4 Predictive, 244, too), and we write what they do.
 */
const AVC_NO_TRAILER_PROFILES = new Set([66, 77, 88]);

/** An AVCDecoderConfigurationRecord for `sps` (one, with its NAL header) and `pps` (one or more). */
export function buildAvcRecord(sps: Buffer, pps: readonly Buffer[]): Buffer {
  const info = parseAvcSps(sps);
  const trailer = !AVC_NO_TRAILER_PROFILES.has(sps[1]!);
  let size = 6 + 2 + sps.length + 1 + (trailer ? 4 : 0);
  for (const p of pps) size += 2 + p.length;
  if (pps.length === 0 || pps.length > 255) invalidConfig(`${pps.length} AVC PPS for one record`);
  const out = Buffer.allocUnsafe(size);
  out[0] = 1; // configurationVersion
  out[1] = sps[1]!; // AVCProfileIndication
  out[2] = sps[2]!; // profile_compatibility
  out[3] = sps[3]!; // AVCLevelIndication
  out[4] = 0xff; // reserved '111111', lengthSizeMinusOne 3
  out[5] = 0xe1; // reserved '111', numOfSequenceParameterSets 1
  let p = putNal(out, 6, sps);
  out[p++] = pps.length;
  for (const nal of pps) p = putNal(out, p, nal);
  if (trailer) {
    out[p++] = 0xfc | info.chromaFormat;
    out[p++] = 0xf8 | (info.bitDepth - 8);
    out[p++] = 0xf8 | (info.bitDepth - 8); // chroma depth: x264 and NVENC write both the same
    out[p] = 0; // numOfSequenceParameterSetExt (the last byte)
  }
  parseAvcDecoderConfig(out);
  return out;
}

/** NAL unit types of HEVC parameter sets (H.265 Table 7-1), in the order the record lists them. */
const HEVC_VPS = 32;
const HEVC_SPS = 33;
const HEVC_PPS = 34;

/** An HEVCDecoderConfigurationRecord for one VPS, one SPS and one or more PPS (each with its NAL header). */
export function buildHevcRecord(vps: Buffer, sps: Buffer, pps: readonly Buffer[]): Buffer {
  const info = parseHevcSps(sps);
  if (pps.length === 0 || pps.length > 0xffff) invalidConfig(`${pps.length} HEVC PPS for one record`);
  // The SPS RBSP starts: sps_video_parameter_set_id(4) max_sub_layers_minus1(3) temporal_id_nesting(1),
  // then general profile_tier_level: 12 bytes the record repeats as they are (§8.3.3.1.2).
  const rbsp = nalToRbsp(sps.subarray(2, Math.min(sps.length, 40)));
  if (rbsp.length < 13) invalidConfig('HEVC SPS too short for its profile_tier_level');
  let size = 23 + 3 * 3 + 2 + vps.length + 2 + sps.length;
  for (const p of pps) size += 2 + p.length;
  const out = Buffer.allocUnsafe(size);
  out[0] = 1; // configurationVersion
  rbsp.copy(out, 1, 1, 13); // profile space/tier/idc, 32 compatibility flags, 48 constraint flags, level
  out.writeUInt16BE(0xf000, 13); // reserved '1111', min_spatial_segmentation_idc 0
  out[15] = 0xfc; // reserved, parallelismType 0 (unknown)
  out[16] = 0xfc | info.chromaFormat;
  out[17] = 0xf8 | (info.bitDepth - 8);
  out[18] = 0xf8 | (info.bitDepth - 8);
  out.writeUInt16BE(0, 19); // avgFrameRate: unknown
  const subLayers = ((rbsp[0]! >> 1) & 0x07) + 1;
  const nesting = rbsp[0]! & 0x01;
  // constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne 3
  out[21] = (subLayers << 3) | (nesting << 2) | 0x03;
  out[22] = 3; // numOfArrays
  let p = 23;
  p = putArray(out, p, HEVC_VPS, [vps]);
  p = putArray(out, p, HEVC_SPS, [sps]);
  putArray(out, p, HEVC_PPS, pps);
  parseHevcDecoderConfig(out);
  return out;
}

function putArray(out: Buffer, p: number, type: number, nals: readonly Buffer[]): number {
  out[p] = 0x80 | type; // array_completeness 1: all of this type are here
  out.writeUInt16BE(nals.length, p + 1);
  p += 3;
  for (const nal of nals) p = putNal(out, p, nal);
  return p;
}

function putNal(out: Buffer, p: number, nal: Buffer): number {
  if (nal.length > 0xffff) invalidConfig(`a parameter set of ${nal.length} bytes`);
  out.writeUInt16BE(nal.length, p);
  nal.copy(out, p + 2);
  return p + 2 + nal.length;
}
