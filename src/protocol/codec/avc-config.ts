/**
 * H.264/AVC decoder configuration: the AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1) that an
 * FLV/RTMP AVC sequence header carries, and the SPS inside it (H.264 §7.3.2.1.1) for profile and size.
 */
import { BitReader, invalidConfig, nalToRbsp } from './bit-reader.ts';

/** What an AVC sequence header says about the stream; NAL units are views into the parsed buffer. */
export interface AvcDecoderConfig {
  /** profile_idc of the first SPS (66 Baseline, 77 Main, 100 High, ...). */
  profile: number;
  /** The profile's name as ffprobe prints it, e.g. `Constrained Baseline`, `High`. */
  profileName: string;
  /** The level as a number: level_idc / 10, so 3.1 for level_idc 31. */
  level: number;
  /** Bytes in each NAL unit length prefix of the coded frames: 1, 2 or 4. */
  lengthSize: number;
  sps: Buffer[];
  pps: Buffer[];
  /** Displayed size in pixels, after frame cropping. */
  width: number;
  height: number;
  /** chroma_format_idc: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormat: number;
  /** Luma bit depth. */
  bitDepth: number;
}

/** The fields of an SPS that describe the picture. */
export interface AvcSps {
  profile: number;
  profileName: string;
  level: number;
  width: number;
  height: number;
  chromaFormat: number;
  bitDepth: number;
}

/** Parses an AVCDecoderConfigurationRecord; throws ProtocolError CODEC_CONFIG_INVALID if it is malformed. */
export function parseAvcDecoderConfig(buf: Buffer): AvcDecoderConfig {
  if (buf.length < 7) invalidConfig(`AVC decoder configuration of ${buf.length} bytes is too short`);
  if (buf[0] !== 1) invalidConfig(`AVC configurationVersion ${buf[0]} is not 1`);
  const lengthSize = (buf[4]! & 0x03) + 1;
  if (lengthSize === 3) invalidConfig('AVC NAL length size 3 is not allowed');
  let pos = 6; // after numOfSequenceParameterSets
  const readNals = (count: number): Buffer[] => {
    const nals: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      if (pos + 2 > buf.length) invalidConfig('AVC parameter set list ends early');
      const len = buf.readUInt16BE(pos);
      if (pos + 2 + len > buf.length || len === 0) invalidConfig('AVC parameter set length is wrong');
      nals.push(buf.subarray(pos + 2, pos + 2 + len));
      pos += 2 + len;
    }
    return nals;
  };
  const sps = readNals(buf[5]! & 0x1f);
  if (pos >= buf.length) invalidConfig('AVC decoder configuration has no PPS count');
  const pps = readNals(buf[pos++]!);
  // Any profile-specific trailer (chroma_format etc. for High profiles) repeats what the SPS says.
  const first = sps[0];
  if (first === undefined) invalidConfig('AVC decoder configuration has no SPS');
  return { ...parseAvcSps(first), lengthSize, sps, pps };
}

/** profile_idc values whose SPS carries chroma format, bit depths and scaling lists (H.264 §7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Largest picture dimension in macroblocks we believe: level 6.2 frames stay well under this. */
const MAX_MBS = 2048;

/** Parses an SPS NAL unit (with its one-byte NAL header) down to the cropped picture size. */
export function parseAvcSps(nal: Buffer): AvcSps {
  if (nal.length < 4 || (nal[0]! & 0x1f) !== 7) invalidConfig('AVC SPS is not an SPS NAL unit');
  const r = new BitReader(nalToRbsp(nal.subarray(1)));
  const profile = r.readBits(8);
  const constraints = r.readBits(8);
  const levelIdc = r.readBits(8);
  r.readUE(); // seq_parameter_set_id
  let chromaFormat = 1;
  let separateColourPlane = 0;
  let bitDepth = 8;
  if (HIGH_PROFILES.has(profile)) {
    chromaFormat = r.readUE();
    if (chromaFormat > 3) invalidConfig(`AVC chroma_format_idc ${chromaFormat}`);
    if (chromaFormat === 3) separateColourPlane = r.readBit();
    bitDepth = 8 + r.readUE();
    r.readUE(); // bit_depth_chroma_minus8
    r.readBit(); // qpprime_y_zero_transform_bypass_flag
    if (r.readBit()) skipScalingMatrix(r, chromaFormat === 3 ? 12 : 8); // seq_scaling_matrix_present_flag
  }
  r.readUE(); // log2_max_frame_num_minus4
  const pocType = r.readUE();
  if (pocType === 0) {
    r.readUE(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType === 1) {
    r.readBit(); // delta_pic_order_always_zero_flag
    r.readSE(); // offset_for_non_ref_pic
    r.readSE(); // offset_for_top_to_bottom_field
    const cycle = r.readUE();
    if (cycle > 255) invalidConfig(`AVC num_ref_frames_in_pic_order_cnt_cycle ${cycle}`);
    for (let i = 0; i < cycle; i++) r.readSE();
  } else if (pocType !== 2) {
    invalidConfig(`AVC pic_order_cnt_type ${pocType}`);
  }
  r.readUE(); // max_num_ref_frames
  r.readBit(); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.readUE() + 1;
  const heightMapUnits = r.readUE() + 1;
  const frameMbsOnly = r.readBit();
  if (!frameMbsOnly) r.readBit(); // mb_adaptive_frame_field_flag
  r.readBit(); // direct_8x8_inference_flag
  if (widthMbs > MAX_MBS || heightMapUnits > MAX_MBS) invalidConfig('AVC picture size is absurd');
  let width = widthMbs * 16;
  // Without frame_mbs_only a map unit is a field pair: two macroblock rows (H.264 §7.4.2.1.1).
  let height = (2 - frameMbsOnly) * heightMapUnits * 16;
  if (r.readBit()) {
    // frame_cropping_flag: offsets count in chroma sample units (H.264 §7.4.2.1.1, CropUnitX/Y).
    const chromaArrayType = separateColourPlane ? 0 : chromaFormat;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
    const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (2 - frameMbsOnly);
    width -= cropUnitX * (r.readUE() + r.readUE());
    height -= cropUnitY * (r.readUE() + r.readUE());
  }
  if (width <= 0 || height <= 0) invalidConfig('AVC frame cropping leaves no picture');
  const profileName = avcProfileName(profile, constraints);
  return { profile, profileName, level: levelIdc / 10, width, height, chromaFormat, bitDepth };
}

/** Walks the scaling lists only to get past them (H.264 §7.3.2.1.1.1); their values do not matter here. */
function skipScalingMatrix(r: BitReader, lists: number): void {
  for (let i = 0; i < lists; i++) {
    if (!r.readBit()) continue; // seq_scaling_list_present_flag[i]
    const size = i < 6 ? 16 : 64;
    let last = 8;
    let next = 8;
    for (let j = 0; j < size && next !== 0; j++) {
      const delta = r.readSE();
      if (delta < -128 || delta > 127) invalidConfig(`AVC scaling list delta ${delta}`);
      next = (last + delta + 256) % 256;
      // next = 0 at j = 0 selects the default list; later it repeats the last scale to the end.
      if (next !== 0) last = next;
    }
  }
}

/** Names as ffprobe prints them, with the constraint flags that distinguish the variants. */
function avcProfileName(profile: number, constraints: number): string {
  const set1 = constraints & 0x40;
  const set3 = constraints & 0x10;
  switch (profile) {
    case 66:
      return set1 ? 'Constrained Baseline' : 'Baseline';
    case 77:
      return 'Main';
    case 88:
      return 'Extended';
    case 100:
      return 'High';
    case 110:
      return set3 ? 'High 10 Intra' : 'High 10';
    case 122:
      return set3 ? 'High 4:2:2 Intra' : 'High 4:2:2';
    case 244:
      return set3 ? 'High 4:4:4 Intra' : 'High 4:4:4 Predictive';
    case 44:
      return 'CAVLC 4:4:4';
    default:
      return `Profile ${profile}`;
  }
}
