/**
 * H.265/HEVC decoder configuration: the HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1) that
 * an Enhanced RTMP `hvc1` SequenceStart (or a legacy CodecID 12 header) carries, and its SPS (H.265 §7.3.2.2).
 */
import { BitReader, invalidConfig, nalToRbsp } from './bit-reader.ts';

/** What an HEVC sequence header says about the stream; NAL units are views into the parsed buffer. */
export interface HevcDecoderConfig {
  /** general_profile_idc of the SPS (1 Main, 2 Main 10, 4 Rext, ...). */
  profile: number;
  /** The profile's name as ffprobe prints it, e.g. `Main`, `Main 10`, `Rext`. */
  profileName: string;
  /** The level as a number: general_level_idc / 30, so 4.1 for 123. */
  level: number;
  /** Bytes in each NAL unit length prefix of the coded frames: 1, 2 or 4. */
  lengthSize: number;
  vps: Buffer[];
  sps: Buffer[];
  pps: Buffer[];
  /** Displayed size in pixels, inside the conformance window. */
  width: number;
  height: number;
  /** chroma_format_idc: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormat: number;
  /** Luma bit depth. */
  bitDepth: number;
}

/** The fields of an SPS that describe the picture. */
export interface HevcSps {
  profile: number;
  profileName: string;
  level: number;
  width: number;
  height: number;
  chromaFormat: number;
  bitDepth: number;
}

/** HEVC NAL unit types of the parameter sets (H.265 Table 7-1). */
const NalType = { Vps: 32, Sps: 33, Pps: 34 } as const;

/** Bytes before the arrays in an HEVCDecoderConfigurationRecord. */
const RECORD_HEADER_SIZE = 23;

/** Parses an HEVCDecoderConfigurationRecord; throws ProtocolError CODEC_CONFIG_INVALID if it is malformed. */
export function parseHevcDecoderConfig(buf: Buffer): HevcDecoderConfig {
  if (buf.length < RECORD_HEADER_SIZE) invalidConfig(`HEVC decoder configuration of ${buf.length} bytes is too short`);
  if (buf[0] !== 1) invalidConfig(`HEVC configurationVersion ${buf[0]} is not 1`);
  const lengthSize = (buf[21]! & 0x03) + 1;
  if (lengthSize === 3) invalidConfig('HEVC NAL length size 3 is not allowed');
  const vps: Buffer[] = [];
  const sps: Buffer[] = [];
  const pps: Buffer[] = [];
  const arrays = buf[22]!;
  let pos = RECORD_HEADER_SIZE;
  for (let a = 0; a < arrays; a++) {
    if (pos + 3 > buf.length) invalidConfig('HEVC NAL unit array list ends early');
    const count = buf.readUInt16BE(pos + 1);
    pos += 3;
    for (let i = 0; i < count; i++) {
      if (pos + 2 > buf.length) invalidConfig('HEVC NAL unit list ends early');
      const len = buf.readUInt16BE(pos);
      if (len < 2 || pos + 2 + len > buf.length) invalidConfig('HEVC NAL unit length is wrong');
      const nal = buf.subarray(pos + 2, pos + 2 + len);
      pos += 2 + len;
      // Sort by each unit's own header; x265 also puts its SEI messages here, which we skip.
      const type = (nal[0]! >> 1) & 0x3f;
      if (type === NalType.Vps) vps.push(nal);
      else if (type === NalType.Sps) sps.push(nal);
      else if (type === NalType.Pps) pps.push(nal);
    }
  }
  const first = sps[0];
  if (first === undefined) invalidConfig('HEVC decoder configuration has no SPS');
  return { ...parseHevcSps(first), lengthSize, vps, sps, pps };
}

/** Largest picture dimension we believe: level 6.2 allows 8444 luma samples per side. */
const MAX_DIMENSION = 16888;

/** Parses an SPS NAL unit (with its two-byte NAL header) up to the conformance window. */
export function parseHevcSps(nal: Buffer): HevcSps {
  if (nal.length < 4 || ((nal[0]! >> 1) & 0x3f) !== NalType.Sps) invalidConfig('HEVC SPS is not an SPS NAL unit');
  const r = new BitReader(nalToRbsp(nal.subarray(2)));
  r.skipBits(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.readBits(3);
  if (maxSubLayersMinus1 > 6) invalidConfig(`HEVC sps_max_sub_layers_minus1 ${maxSubLayersMinus1}`);
  r.skipBits(1); // sps_temporal_id_nesting_flag
  const { profile, levelIdc } = readProfileTierLevel(r, maxSubLayersMinus1);
  r.readUE(); // sps_seq_parameter_set_id
  const chromaFormat = r.readUE();
  if (chromaFormat > 3) invalidConfig(`HEVC chroma_format_idc ${chromaFormat}`);
  const separateColourPlane = chromaFormat === 3 ? r.readBit() : 0;
  let width = r.readUE();
  let height = r.readUE();
  if (width === 0 || height === 0 || width > MAX_DIMENSION || height > MAX_DIMENSION) {
    invalidConfig(`HEVC picture size ${width}x${height} is absurd`);
  }
  if (r.readBit()) {
    // conformance_window_flag: offsets count in chroma samples (H.265 §7.4.3.2.1, Table 6-1).
    const chromaArrayType = separateColourPlane ? 0 : chromaFormat;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    width -= subWidthC * (r.readUE() + r.readUE());
    height -= subHeightC * (r.readUE() + r.readUE());
    if (width <= 0 || height <= 0) invalidConfig('HEVC conformance window leaves no picture');
  }
  const bitDepth = 8 + r.readUE();
  const profileName = hevcProfileName(profile);
  return { profile, profileName, level: levelIdc / 30, width, height, chromaFormat, bitDepth };
}

/** Reads profile_tier_level(1, maxNumSubLayersMinus1) (H.265 §7.3.3), keeping the general profile and level. */
function readProfileTierLevel(r: BitReader, maxSubLayersMinus1: number): { profile: number; levelIdc: number } {
  r.skipBits(3); // general_profile_space, general_tier_flag
  let profile = r.readBits(5);
  const compatibility = r.readBits(32);
  // Some encoders leave general_profile_idc 0 and signal only the compatibility flags (as FFmpeg handles).
  for (let j = 1; profile === 0 && j < 32; j++) if ((compatibility >>> (31 - j)) & 1) profile = j;
  r.skipBits(48); // progressive/interlaced/non-packed/frame-only flags and 44 constraint bits
  const levelIdc = r.readBits(8);
  const profilePresent: number[] = [];
  const levelPresent: number[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.readBit());
    levelPresent.push(r.readBit());
  }
  if (maxSubLayersMinus1 > 0) r.skipBits(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) r.skipBits(88); // sub_layer profile space .. constraint flags
    if (levelPresent[i]) r.skipBits(8); // sub_layer_level_idc
  }
  return { profile, levelIdc };
}

/** Names as ffprobe prints them (H.265 Annex A profiles). */
function hevcProfileName(profile: number): string {
  switch (profile) {
    case 1:
      return 'Main';
    case 2:
      return 'Main 10';
    case 3:
      return 'Main Still Picture';
    case 4:
      return 'Rext';
    case 9:
      return 'Screen Content Coding Extensions';
    default:
      return `Profile ${profile}`;
  }
}
