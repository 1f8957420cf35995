/**
 * The Ogg page checksum (RFC 3533 §6): CRC-32 with polynomial 0x04C11DB7, initial value 0, no reflection
 * and no final XOR, computed over the whole page with its CRC field set to zero.
 */

const TABLE = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i << 24;
  for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
  TABLE[i] = c >>> 0;
}

/** The Ogg CRC of `buf[start..end)`, reading the 4 bytes at `crcAt` (the page's CRC field) as zero. */
export function oggCrc(buf: Buffer, start: number, end: number, crcAt = -1): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    const byte = crcAt >= 0 && i >= crcAt && i < crcAt + 4 ? 0 : buf[i]!;
    crc = ((crc << 8) ^ TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  }
  return crc;
}
