/**
 * MPEG-TS packet constants and the fixed-layout fields every writer shares: the 4-byte packet header,
 * the 33-bit PTS/DTS with its marker bits and the PCR (ISO/IEC 13818-1 §2.4.3.2, §2.4.3.5, §2.4.3.7).
 */

/** Every transport packet is 188 bytes (ISO/IEC 13818-1 §2.4.3.1). */
export const TS_PACKET_SIZE = 188;
/** The sync_byte that starts each packet. */
export const TS_SYNC_BYTE = 0x47;
/** Bytes after the 4-byte header: payload and adaptation field share them. */
export const TS_PAYLOAD_SIZE = TS_PACKET_SIZE - 4;
/** PTS, DTS and PCR bases count a 90 kHz clock modulo 2^33. */
export const TS_CLOCK_WRAP = 2 ** 33;

/** adaptation_field_control values (ISO/IEC 13818-1 Table 2-5). */
export const AdaptationControl = { PayloadOnly: 1, AdaptationAndPayload: 3 } as const;

/** Reduces an unwrapped 90 kHz time (possibly negative or past 2^33) to the 33 bits a packet carries. */
export function wrap33(t: number): number {
  const r = t % TS_CLOCK_WRAP;
  return r < 0 ? r + TS_CLOCK_WRAP : r;
}

/**
 * Writes a 4-byte packet header: sync byte, payload_unit_start_indicator, 13-bit PID,
 * adaptation_field_control and the 4-bit continuity_counter (§2.4.3.2); scrambling and priority are 0.
 */
export function writePacketHeader(
  out: Buffer,
  at: number,
  pid: number,
  start: boolean,
  control: number,
  cc: number,
): void {
  out[at] = TS_SYNC_BYTE;
  out[at + 1] = (start ? 0x40 : 0) | ((pid >> 8) & 0x1f);
  out[at + 2] = pid & 0xff;
  out[at + 3] = (control << 4) | (cc & 0x0f);
}

/**
 * Writes a 5-byte PTS or DTS field (§2.4.3.7): a 4-bit prefix ('0010' PTS alone, '0011' PTS before a DTS,
 * '0001' DTS), then the 33 bits as 3 + 15 + 15 with a marker bit of 1 after each part.
 */
export function writeTimestamp(out: Buffer, at: number, prefix: number, t33: number): void {
  const high = Math.floor(t33 / 2 ** 30); // bits 32..30; arithmetic because JS bit ops stop at 32 bits
  const low = t33 - high * 2 ** 30; // bits 29..0
  out[at] = (prefix << 4) | (high << 1) | 1;
  out[at + 1] = low >>> 22;
  out[at + 2] = ((low >>> 14) & 0xfe) | 1;
  out[at + 3] = (low >>> 7) & 0xff;
  out[at + 4] = ((low << 1) & 0xfe) | 1;
}

/** Writes a 6-byte program_clock_reference (§2.4.3.5): the 33-bit base, 6 reserved 1-bits, extension 0. */
export function writePcr(out: Buffer, at: number, base33: number): void {
  const top = Math.floor(base33 / 2); // the upper 32 bits fill bytes 0..3
  out.writeUInt32BE(top, at);
  out[at + 4] = ((base33 - top * 2) << 7) | 0x7e;
  out[at + 5] = 0;
}
