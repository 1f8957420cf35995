/**
 * ISO BMFF box writing (ISO/IEC 14496-12 §4.2): a box is a 32-bit size, a four-character type and its
 * payload; a FullBox adds a version byte and 24 flag bits. Boxes here are built from Buffers; the big
 * tables (stsz, stco, trun) are written straight into one allocation by their builders.
 */
import { ProtocolError } from '../../errors.ts';

/** Largest size a 32-bit box header can state; bigger boxes need the 64-bit `largesize` form. */
export const MAX_BOX32 = 0xffffffff;

/** A box of `type` around `parts`, with a 32-bit size. */
export function box(type: string, ...parts: Buffer[]): Buffer {
  let size = 8;
  for (const p of parts) size += p.length;
  if (size > MAX_BOX32) throw new ProtocolError('MP4_MUX_INPUT', `a ${type} box of ${size} bytes needs a 64-bit size`);
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32BE(size, 0);
  out.write(type, 4, 4, 'latin1');
  let at = 8;
  for (const p of parts) {
    p.copy(out, at);
    at += p.length;
  }
  return out;
}

/** A FullBox: version and flags, then `parts`. */
export function fullBox(type: string, version: number, flags: number, ...parts: Buffer[]): Buffer {
  return box(type, u32((((version & 0xff) << 24) | (flags & 0xffffff)) >>> 0), ...parts);
}

/**
 * The header of a box whose payload of `payloadSize` bytes follows separately (mdat): 8 bytes, or 16
 * with size 1 and a 64-bit largesize when the box passes 4 GiB (ISO/IEC 14496-12 §4.2).
 */
export function boxHeader(type: string, payloadSize: number): Buffer {
  if (payloadSize + 8 <= MAX_BOX32) {
    const out = Buffer.allocUnsafe(8);
    out.writeUInt32BE(payloadSize + 8, 0);
    out.write(type, 4, 4, 'latin1');
    return out;
  }
  const out = Buffer.allocUnsafe(16);
  out.writeUInt32BE(1, 0);
  out.write(type, 4, 4, 'latin1');
  out.writeBigUInt64BE(BigInt(payloadSize + 16), 8);
  return out;
}

/** One unsigned byte. */
export function u8(n: number): Buffer {
  return Buffer.from([n & 0xff]);
}

/** A big-endian unsigned 16-bit field. */
export function u16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(n & 0xffff, 0);
  return b;
}

/** A big-endian unsigned 32-bit field. */
export function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/** A big-endian unsigned 64-bit field from a safe integer. */
export function u64(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt(n), 0);
  return b;
}

/** `n` zero bytes (reserved fields). */
export function zeros(n: number): Buffer {
  return Buffer.alloc(n);
}

/** Four-character codes, e.g. brands. */
export function fourCc(...codes: string[]): Buffer {
  return Buffer.from(codes.join(''), 'latin1');
}

/** The unity transformation matrix of mvhd and tkhd (§8.2.2.3): { 0x00010000,0,0, 0,0x00010000,0, 0,0,0x40000000 }. */
export const UNITY_MATRIX = Buffer.from([
  0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0,
]);
