/**
 * Builds Ogg pages (RFC 3533 §6): for tests of the reader and for fixtures; openlive reads Ogg (ffmpeg's
 * output), it does not write it.
 */
import { oggCrc } from './ogg-crc.ts';

/** What goes into one page. */
export interface OggPageSpec {
  /** Lacing values (each 0..255): 255 continues a packet, less ends it. */
  readonly segments: readonly number[];
  readonly body: Buffer;
  readonly granule: bigint;
  readonly serial: number;
  readonly sequence: number;
  /** header_type_flag: 1 continued packet, 2 beginning of stream, 4 end of stream. */
  readonly flags?: number;
}

/** One page with its CRC. */
export function writeOggPage(p: OggPageSpec): Buffer {
  const page = Buffer.alloc(27 + p.segments.length + p.body.length);
  page.write('OggS', 0, 'latin1');
  page[4] = 0; // stream_structure_version
  page[5] = p.flags ?? 0;
  page.writeBigInt64LE(p.granule, 6);
  page.writeUInt32LE(p.serial >>> 0, 14);
  page.writeUInt32LE(p.sequence >>> 0, 18);
  page[26] = p.segments.length;
  p.segments.forEach((s, i) => (page[27 + i] = s));
  p.body.copy(page, 27 + p.segments.length);
  page.writeUInt32LE(oggCrc(page, 0, page.length), 22);
  return page;
}

/** The lacing values of whole packets on one page (RFC 3533 §5: a multiple of 255 ends with a 0). */
export function lacing(packets: readonly Buffer[]): number[] {
  const out: number[] = [];
  for (const p of packets) {
    let n = p.length;
    while (n >= 255) {
      out.push(255);
      n -= 255;
    }
    out.push(n);
  }
  return out;
}
