/** Bit-level reading for codec headers: fixed-width fields and Exp-Golomb codes (H.264 §9.1). */
import { ProtocolError } from '../../errors.ts';

/** Throws the one error every codec-config parser uses. */
export function invalidConfig(message: string): never {
  throw new ProtocolError('CODEC_CONFIG_INVALID', message);
}

/** Reads big-endian bit fields from a buffer; reading past the end throws CODEC_CONFIG_INVALID. */
export class BitReader {
  private readonly buf: Buffer;
  private pos = 0; // in bits

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  /** Bits not yet read. */
  get bitsLeft(): number {
    return this.buf.length * 8 - this.pos;
  }

  /** Reads one bit. */
  readBit(): number {
    if (this.pos >= this.buf.length * 8) invalidConfig('codec header ends early');
    const bit = (this.buf[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return bit;
  }

  /** Reads an unsigned field of `n` bits (n <= 32), most significant bit first. */
  readBits(n: number): number {
    if (n > this.bitsLeft) invalidConfig('codec header ends early');
    let value = 0;
    for (let i = 0; i < n; i++) value = value * 2 + this.readBit(); // arithmetic: stays exact at 32 bits
    return value;
  }

  /** Skips `n` bits. */
  skipBits(n: number): void {
    if (n > this.bitsLeft) invalidConfig('codec header ends early');
    this.pos += n;
  }

  /** Skips to the next byte boundary of the buffer. */
  byteAlign(): void {
    this.pos = Math.min((this.pos + 7) & ~7, this.buf.length * 8);
  }

  /** Reads an unsigned Exp-Golomb code, ue(v) (H.264 §9.1, H.265 §9.2). */
  readUE(): number {
    let zeros = 0;
    while (this.readBit() === 0) {
      // 32 leading zeros would encode a value past 2^32 - 2, which no syntax element allows.
      if (++zeros > 31) invalidConfig('Exp-Golomb code too long');
    }
    return 2 ** zeros - 1 + this.readBits(zeros);
  }

  /** Reads a signed Exp-Golomb code, se(v): 1, -1, 2, -2, ... (H.264 §9.1.1). */
  readSE(): number {
    const k = this.readUE();
    return k % 2 === 1 ? (k + 1) / 2 : 0 - k / 2; // 0 - 0 is +0, where -(0) would be -0
  }
}

/**
 * Removes emulation-prevention bytes (the 0x03 in 00 00 03, H.264 §7.4.1) from a NAL unit so its
 * RBSP can be read bit by bit; returns the input itself when there are none.
 */
export function nalToRbsp(nal: Buffer): Buffer {
  let i = nal.indexOf(0x03, 2);
  while (i !== -1 && !(nal[i - 1] === 0 && nal[i - 2] === 0)) i = nal.indexOf(0x03, i + 1);
  if (i === -1) return nal;
  const out = Buffer.allocUnsafe(nal.length);
  let n = 0;
  let zeros = 0;
  for (const byte of nal) {
    if (zeros >= 2 && byte === 0x03) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[n++] = byte;
  }
  return out.subarray(0, n);
}
