/**
 * Program-specific information for a single-program transport stream: the Program Association Table and
 * the Program Map Table (ISO/IEC 13818-1 §2.4.4.3, §2.4.4.8), each one section in one TS packet.
 */
import { crc32Mpeg2 } from './crc32-mpeg2.ts';
import { AdaptationControl, TS_PACKET_SIZE, writePacketHeader } from './ts-packet.ts';

/** stream_type values (ISO/IEC 13818-1 Table 2-34, as amended for HEVC) for the codecs we carry. */
export const StreamType = { Aac: 0x0f, H264: 0x1b, Hevc: 0x24 } as const;
/** One of the stream types we carry. */
export type StreamType = (typeof StreamType)[keyof typeof StreamType];

/** One elementary stream in the PMT. */
export interface PmtStream {
  readonly streamType: StreamType;
  readonly pid: number;
}

/** The PAT's PID (§2.4.3.3 Table 2-3). */
export const PAT_PID = 0;
/** PCR_PID when no stream carries a PCR (§2.4.4.9). */
const NO_PCR_PID = 0x1fff;
/** program_number of our only program; transport_stream_id is 1 too, as most muxers write it. */
const PROGRAM_NUMBER = 1;
/** pointer_field, then table_id .. last_section_number of the long section header (§2.4.4.10). */
const SECTION_START = 5;

/** Writes the PAT packet for one program whose PMT is on `pmtPid`, with continuity counter `cc`. */
export function writePat(out: Buffer, at: number, cc: number, pmtPid: number): void {
  const p = startSection(out, at, PAT_PID, cc, 0x00, PROGRAM_NUMBER, 4, 0);
  out.writeUInt16BE(PROGRAM_NUMBER, p);
  out.writeUInt16BE(0xe000 | pmtPid, p + 2); // reserved '111', program_map_PID
  endSection(out, at, p + 4);
}

/** Writes the PMT packet listing `streams`, with the PCR on `pcrPid` (undefined: none) and table `version`. */
export function writePmt(
  out: Buffer,
  at: number,
  cc: number,
  pmtPid: number,
  pcrPid: number | undefined,
  streams: readonly PmtStream[],
  version: number,
): void {
  const p = startSection(out, at, pmtPid, cc, 0x02, PROGRAM_NUMBER, 4 + 5 * streams.length, version);
  out.writeUInt16BE(0xe000 | (pcrPid ?? NO_PCR_PID), p); // reserved '111', PCR_PID
  out.writeUInt16BE(0xf000, p + 2); // reserved '1111', program_info_length 0
  let q = p + 4;
  for (const s of streams) {
    out[q] = s.streamType;
    out.writeUInt16BE(0xe000 | s.pid, q + 1); // reserved '111', elementary_PID
    out.writeUInt16BE(0xf000, q + 3); // reserved '1111', ES_info_length 0
    q += 5;
  }
  endSection(out, at, q);
}

/**
 * Writes the packet header, pointer_field and the long section header up to last_section_number, for a
 * section whose body (between that header and the CRC) is `bodyLength` bytes; returns where the body goes.
 */
function startSection(
  out: Buffer,
  at: number,
  pid: number,
  cc: number,
  tableId: number,
  idExtension: number,
  bodyLength: number,
  version: number,
): number {
  writePacketHeader(out, at, pid, true, AdaptationControl.PayloadOnly, cc);
  const p = at + 4;
  out[p] = 0; // pointer_field: the section starts right here
  out[p + 1] = tableId;
  // section_syntax_indicator 1, '0', reserved '11', then section_length: the bytes after it, CRC included.
  out.writeUInt16BE(0xb000 | (SECTION_START + bodyLength + 4), p + 2);
  out.writeUInt16BE(idExtension, p + 4); // transport_stream_id (PAT) or program_number (PMT)
  out[p + 6] = 0xc0 | ((version & 0x1f) << 1) | 1; // reserved '11', version_number, current_next_indicator
  out[p + 7] = 0; // section_number
  out[p + 8] = 0; // last_section_number
  return p + 9;
}

/** Appends the CRC over the section (from table_id) and fills the rest of the packet with 0xFF. */
function endSection(out: Buffer, at: number, p: number): void {
  out.writeUInt32BE(crc32Mpeg2(out, at + 5, p), p);
  out.fill(0xff, p + 4, at + TS_PACKET_SIZE);
}
