/**
 * A sans-I/O Ogg page reader (RFC 3533): bytes in any split, pages with their completed packets out. A page
 * is taken only when its capture pattern, version and CRC check; anything else is skipped byte by byte up to
 * the next `OggS` and counted, so a lying segment table or a flipped bit costs that page, never the stream.
 * Memory is bounded by the format: a page is at most 27 + 255 + 255 × 255 bytes, and a packet continued
 * across pages is kept up to `maxPacketBytes`.
 */

import { oggCrc } from './ogg-crc.ts';

/** The largest possible page: header, 255 lacing values, 255 segments of 255 bytes. */
export const MAX_OGG_PAGE = 27 + 255 + 255 * 255;
const HEADER = 27;
const CONTINUED = 0x01;
const BOS = 0x02;
const EOS = 0x04;

/** One checked page and the packets it completes. */
export interface OggPage {
  readonly serial: number;
  readonly sequence: number;
  /** The granule position (codec-defined; for Opus 48 kHz samples) of the last packet completed here, -1n for none. */
  readonly granule: bigint;
  readonly bos: boolean;
  readonly eos: boolean;
  /** Packets that end on this page, in order (the first may have started on earlier pages). */
  readonly packets: Buffer[];
}

/** What the reader has skipped (for counters). */
export interface OggReaderStats {
  pages: number;
  /** Pages whose CRC did not match (RFC 3533 §6). */
  crcErrors: number;
  /** Bytes skipped looking for a capture pattern. */
  skippedBytes: number;
  /** Packets lost: continued across a sequence gap or a missing continuation, or past maxPacketBytes. */
  lostPackets: number;
}

/** Reads Ogg pages from a byte stream. */
export class OggPageReader {
  readonly stats: OggReaderStats = { pages: 0, crcErrors: 0, skippedBytes: 0, lostPackets: 0 };
  readonly #maxPacketBytes: number;
  #pending: Buffer = Buffer.alloc(0);
  /** The start of a packet continued on the next page, and that page's expected sequence number. */
  #partial: Buffer[] = [];
  #partialBytes = 0;
  #partialOpen = false;
  #nextSequence = -1;
  #serial = -1;

  constructor(options: { readonly maxPacketBytes: number }) {
    this.#maxPacketBytes = options.maxPacketBytes;
  }

  /** Bytes held for an incomplete page (at most MAX_OGG_PAGE - 1 after a push). */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  /** Takes the next bytes; appends each complete, checked page to `out`. */
  push(chunk: Buffer, out: OggPage[]): void {
    const buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    let pos = 0;
    for (;;) {
      const start = findCapture(buf, pos);
      if (start < 0) {
        // Keep up to 3 bytes: they may be the start of a capture pattern cut by the chunk boundary.
        const keep = Math.min(3, buf.length - pos);
        this.stats.skippedBytes += buf.length - pos - keep;
        pos = buf.length - keep;
        break;
      }
      this.stats.skippedBytes += start - pos;
      pos = start;
      const size = pageSize(buf, pos);
      if (size === 0) break; // header or lacing table incomplete
      if (size < 0) {
        this.stats.skippedBytes++;
        pos++; // not a version-0 page: look for the next capture pattern
        continue;
      }
      if (buf.length - pos < size) break; // wait for the rest of the page
      if (oggCrc(buf, pos, pos + size, pos + 22) !== buf.readUInt32LE(pos + 22)) {
        // A lying segment table reads as a page of the wrong size, whose CRC fails: resync after its start.
        this.stats.crcErrors++;
        this.stats.skippedBytes++;
        pos++;
        continue;
      }
      out.push(this.#page(buf, pos));
      this.stats.pages++;
      pos += size;
    }
    // Copy what is kept, so a caller's chunk is never retained (nor a large concatenation).
    this.#pending = pos >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
  }

  #page(b: Buffer, at: number): OggPage {
    const flags = b[at + 5]!;
    const serial = b.readUInt32LE(at + 14);
    const sequence = b.readUInt32LE(at + 18);
    const n = b[at + 26]!;
    const packets: Buffer[] = [];
    // A continuation is valid only on the next page of the same logical stream (RFC 3533 §6).
    const continues = (flags & CONTINUED) !== 0;
    if (this.#partialOpen && (!continues || serial !== this.#serial || sequence !== this.#nextSequence)) {
      this.#dropPartial();
    }
    // The rest of a packet whose start we never saw (lost with its page) is skipped up to its end.
    let skipping = continues && !this.#partialOpen;
    let pos = at + HEADER + n;
    for (let i = 0; i < n; i++) {
      const len = b[at + HEADER + i]!;
      const seg = b.subarray(pos, pos + len);
      pos += len;
      if (skipping) {
        if (len < 255) {
          skipping = false;
          this.stats.lostPackets++;
        }
        continue;
      }
      this.#append(seg);
      if (len === 255) continue;
      if (this.#partialBytes <= this.#maxPacketBytes) packets.push(this.#takePartial());
      else this.#dropPartial();
    }
    // A last lacing value of 255 leaves a packet open, continued on the next page.
    this.#partialOpen = !skipping && n > 0 && b[at + HEADER + n - 1] === 255;
    this.#serial = serial;
    this.#nextSequence = (sequence + 1) >>> 0;
    return {
      serial,
      sequence,
      granule: b.readBigInt64LE(at + 6),
      bos: (flags & BOS) !== 0,
      eos: (flags & EOS) !== 0,
      packets,
    };
  }

  #append(seg: Buffer): void {
    if (this.#partialBytes + seg.length <= this.#maxPacketBytes) this.#partial.push(Buffer.from(seg));
    this.#partialBytes += seg.length;
  }

  #takePartial(): Buffer {
    const p = this.#partial.length === 1 ? this.#partial[0]! : Buffer.concat(this.#partial);
    this.#partial = [];
    this.#partialBytes = 0;
    this.#partialOpen = false;
    return p;
  }

  #dropPartial(): void {
    if (this.#partialBytes > 0 || this.#partialOpen) this.stats.lostPackets++;
    this.#partial = [];
    this.#partialBytes = 0;
    this.#partialOpen = false;
  }
}

/** The offset of the next `OggS` at or after `from`, or -1. */
function findCapture(b: Buffer, from: number): number {
  return b.indexOf('OggS', from, 'latin1');
}

/** The size of the page at `at`: 0 if its header is not all here yet, -1 if it is not a version-0 page. */
function pageSize(b: Buffer, at: number): number {
  if (b.length - at < HEADER) return 0;
  if (b[at + 4] !== 0) return -1; // stream_structure_version 0 is the only one (RFC 3533 §6)
  const n = b[at + 26]!;
  if (b.length - at < HEADER + n) return 0;
  let body = 0;
  for (let i = 0; i < n; i++) body += b[at + HEADER + i]!;
  return HEADER + n + body;
}
