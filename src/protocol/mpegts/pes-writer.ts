/**
 * PES packetisation (ISO/IEC 13818-1 §2.4.3.6, §2.4.3.7): one access unit becomes one PES packet split
 * over whole TS packets, with the PCR and random_access_indicator in the first packet's adaptation field
 * and stuffing in the last one's. The packet count is computed first so a frame costs one allocation.
 */
import type { EsPieces } from './es-pieces.ts';
import {
  AdaptationControl,
  TS_PACKET_SIZE,
  TS_PAYLOAD_SIZE,
  wrap33,
  writePacketHeader,
  writePcr,
  writeTimestamp,
} from './ts-packet.ts';

/** PES stream_id values (§2.4.3.7 Table 2-22): the first video and the first MPEG audio stream. */
export const StreamId = { Video: 0xe0, Audio: 0xc0 } as const;

/** What goes in front of one access unit; times are unwrapped 90 kHz values, reduced to 33 bits here. */
export interface PesHeader {
  readonly streamId: number;
  readonly pts: number;
  /** Written only when it differs from the PTS (B-frames), as the PTS_DTS_flags allow. */
  readonly dts: number;
  /** Program clock reference for this packet's PID, or undefined on a PID that does not carry it. */
  readonly pcr: number | undefined;
  /** Sets random_access_indicator (§2.4.3.5): a decoder can start at this PES. */
  readonly randomAccess: boolean;
}

/** PES bytes up to and including PES_header_data_length, before the optional fields. */
const PES_FIXED_HEADER = 9;
/** adaptation_field_length, the flags byte and the 6-byte PCR. */
const AF_WITH_PCR = 8;
/** adaptation_field_length and the flags byte. */
const AF_FLAGS_ONLY = 2;

/** Bytes of the adaptation field the first packet carries before any stuffing. */
function firstAdaptationSize(h: PesHeader): number {
  return h.pcr !== undefined ? AF_WITH_PCR : h.randomAccess ? AF_FLAGS_ONLY : 0;
}

/** Bytes of the PES header for `h`: 9 fixed, then a 5-byte PTS and, if it differs, a 5-byte DTS. */
export function pesHeaderSize(h: PesHeader): number {
  return PES_FIXED_HEADER + (h.dts !== h.pts ? 10 : 5);
}

/** How many TS packets the PES for `esLength` payload bytes under header `h` takes. */
export function pesPacketCount(h: PesHeader, esLength: number): number {
  const pesLength = pesHeaderSize(h) + esLength;
  const firstCapacity = TS_PAYLOAD_SIZE - firstAdaptationSize(h);
  if (pesLength <= firstCapacity) return 1;
  return 1 + Math.ceil((pesLength - firstCapacity) / TS_PAYLOAD_SIZE);
}

/**
 * Writes the PES for `es` (read from its start) into `out` at `at`, exactly `pesPacketCount(h, es.length)`
 * packets on `pid`, counting from continuity counter `cc`; returns the counter for the next packet.
 */
export function writePes(out: Buffer, at: number, pid: number, cc: number, h: PesHeader, es: EsPieces): number {
  const headerSize = pesHeaderSize(h);
  let left = headerSize + es.length; // PES bytes not yet written
  let first = true;
  while (left > 0) {
    const end = at + TS_PACKET_SIZE;
    const afBase = first ? firstAdaptationSize(h) : 0;
    const capacity = TS_PAYLOAD_SIZE - afBase;
    const stuffing = left < capacity ? capacity - left : 0;
    const afSize = afBase + stuffing;
    const control = afSize > 0 ? AdaptationControl.AdaptationAndPayload : AdaptationControl.PayloadOnly;
    writePacketHeader(out, at, pid, first, control, cc);
    cc = (cc + 1) & 0x0f;
    let p = at + 4;
    if (afSize > 0) p = writeAdaptationField(out, p, afSize, first ? h : undefined);
    if (first) {
      writePesHeader(out, p, h, es.length);
      es.read(out, p + headerSize, end - p - headerSize);
      left -= end - p;
      first = false;
    } else {
      es.read(out, p, end - p);
      left -= end - p;
    }
    at = end;
  }
  return cc;
}

/**
 * Writes an adaptation field of `size` bytes in total (§2.4.3.4): with `h`, its PCR and random access
 * flags; the rest is 0xFF stuffing. A 1-byte field is only adaptation_field_length = 0, with no flags.
 */
function writeAdaptationField(out: Buffer, p: number, size: number, h: PesHeader | undefined): number {
  const end = p + size;
  out[p] = size - 1;
  if (size === 1) return end;
  const pcr = h?.pcr;
  out[p + 1] = (h?.randomAccess ? 0x40 : 0) | (pcr !== undefined ? 0x10 : 0);
  let q = p + 2;
  if (pcr !== undefined) {
    writePcr(out, q, wrap33(pcr));
    q += 6;
  }
  out.fill(0xff, q, end);
  return end;
}

/** Writes the PES packet header (§2.4.3.7) with its PTS and, when different, DTS. */
function writePesHeader(out: Buffer, p: number, h: PesHeader, esLength: number): void {
  const withDts = h.dts !== h.pts;
  const optional = withDts ? 10 : 5;
  out[p] = 0;
  out[p + 1] = 0;
  out[p + 2] = 1;
  out[p + 3] = h.streamId;
  // PES_packet_length counts the bytes after it; 0 ("unbounded") is allowed only for video in a TS, and
  // only video frames grow past 65535 bytes.
  const length = 3 + optional + esLength;
  out.writeUInt16BE(length > 0xffff ? 0 : length, p + 4);
  out[p + 6] = 0x84; // '10', not scrambled, data_alignment_indicator: each PES starts an access unit
  out[p + 7] = withDts ? 0xc0 : 0x80; // PTS_DTS_flags
  out[p + 8] = optional;
  writeTimestamp(out, p + 9, withDts ? 0x3 : 0x2, wrap33(h.pts));
  if (withDts) writeTimestamp(out, p + 14, 0x1, wrap33(h.dts));
}
