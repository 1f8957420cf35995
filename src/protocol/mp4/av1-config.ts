/**
 * AV1 decoder configuration: the AV1CodecConfigurationRecord (AV1-ISOBMFF §2.3.3) that an Enhanced RTMP
 * `av01` SequenceStart carries, and the frame size from the sequence header OBU inside it (AV1 §5.5).
 */
import { BitReader, invalidConfig } from '../codec/bit-reader.ts';

/** What the `av01` sample entry and the codec string need. */
export interface Av1Config {
  profile: number;
  level: number;
  /** seq_tier_0: 0 Main, 1 High. */
  tier: number;
  /** 8, 10 or 12. */
  bitDepth: number;
  /** max_frame_width/height of the sequence header; 0 when the record carries no sequence header. */
  width: number;
  height: number;
}

/** OBU_SEQUENCE_HEADER (AV1 §6.2.2). */
const OBU_SEQUENCE_HEADER = 1;

/** Parses an AV1CodecConfigurationRecord; throws ProtocolError CODEC_CONFIG_INVALID if it is malformed. */
export function parseAv1Config(buf: Buffer): Av1Config {
  if (buf.length < 4) invalidConfig(`AV1 configuration of ${buf.length} bytes is too short`);
  // marker (1) must be 1 and version (7) must be 1 (AV1-ISOBMFF §2.3.3.1).
  if (buf[0] !== 0x81) invalidConfig(`AV1 configuration starts with 0x${buf[0]!.toString(16)}, not 0x81`);
  const profile = buf[1]! >> 5;
  const level = buf[1]! & 0x1f;
  const tier = buf[2]! >> 7;
  const highBitDepth = (buf[2]! >> 6) & 1;
  const twelveBit = (buf[2]! >> 5) & 1;
  const bitDepth = highBitDepth ? (profile === 2 && twelveBit ? 12 : 10) : 8;
  let width = 0;
  let height = 0;
  for (let pos = 4; pos < buf.length;) {
    const header = buf[pos++]!;
    if (header & 0x80) invalidConfig('AV1 OBU forbidden bit is set');
    const type = (header >> 3) & 0x0f;
    if (header & 0x04) pos++; // obu_extension_header
    // configOBUs must carry sizes (AV1-ISOBMFF §2.3.3.2); without one the OBU runs to the end.
    let size = buf.length - pos;
    if (header & 0x02) ({ value: size, pos } = readLeb128(buf, pos));
    if (pos + size > buf.length) invalidConfig('AV1 OBU runs past the configuration');
    if (type === OBU_SEQUENCE_HEADER) ({ width, height } = readSequenceHeaderSize(buf.subarray(pos, pos + size)));
    pos += size;
  }
  return { profile, level, tier, bitDepth, width, height };
}

/** The RFC 6381 / AV1-ISOBMFF Annex A codec string, e.g. `av01.0.08M.08`. */
export function av1CodecString(c: Av1Config): string {
  return `av01.${c.profile}.${String(c.level).padStart(2, '0')}${c.tier ? 'H' : 'M'}.${String(c.bitDepth).padStart(2, '0')}`;
}

function readLeb128(buf: Buffer, pos: number): { value: number; pos: number } {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    if (pos >= buf.length) invalidConfig('AV1 OBU size ends early');
    const b = buf[pos++]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if (!(b & 0x80)) return { value, pos };
  }
  return invalidConfig('AV1 OBU size is longer than 8 bytes');
}

/** Reads sequence_header_obu() up to max_frame_width/height_minus_1 (AV1 §5.5.1). */
function readSequenceHeaderSize(obu: Buffer): { width: number; height: number } {
  const r = new BitReader(obu);
  r.skipBits(3); // seq_profile
  r.skipBits(1); // still_picture
  const reduced = r.readBit();
  if (reduced) {
    r.skipBits(5); // seq_level_idx[0]
  } else {
    let decoderModel = 0;
    let bufferDelayLength = 0;
    if (r.readBit()) {
      // timing_info(): num_units_in_display_tick, time_scale, equal_picture_interval [uvlc]
      r.skipBits(32);
      r.skipBits(32);
      if (r.readBit()) readUvlc(r);
      decoderModel = r.readBit();
      if (decoderModel) {
        bufferDelayLength = r.readBits(5) + 1;
        r.skipBits(32); // num_units_in_decoding_tick
        r.skipBits(10); // buffer_removal_time_length_minus_1, frame_presentation_time_length_minus_1
      }
    }
    const initialDisplayDelay = r.readBit();
    const points = r.readBits(5) + 1;
    for (let i = 0; i < points; i++) {
      r.skipBits(12); // operating_point_idc
      if (r.readBits(5) > 7) r.skipBits(1); // seq_level_idx > 7: seq_tier
      if (decoderModel && r.readBit()) r.skipBits(2 * bufferDelayLength + 1);
      if (initialDisplayDelay && r.readBit()) r.skipBits(4);
    }
  }
  const widthBits = r.readBits(4) + 1;
  const heightBits = r.readBits(4) + 1;
  return { width: r.readBits(widthBits) + 1, height: r.readBits(heightBits) + 1 };
}

/** uvlc() (AV1 §4.10.3). */
function readUvlc(r: BitReader): void {
  let zeros = 0;
  while (r.readBit() === 0) if (++zeros >= 32) invalidConfig('AV1 uvlc is too long');
  r.skipBits(zeros);
}
