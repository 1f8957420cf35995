/**
 * Reading program-specific information (ISO/IEC 13818-1 §2.4.4): sections reassembled across packets
 * by pointer_field and section_length, CRC-checked, then the PAT and PMT parsed into plain values.
 * Every length is checked against what is there; a lying one is reported and the section dropped.
 */
import { crc32Mpeg2 } from './crc32-mpeg2.ts';
import type { TsErrorReport } from './ts-demux-stats.ts';

/** A PAT or PMT section is at most 1024 bytes: section_length is at most 1021 (§2.4.4.4, §2.4.4.9). */
const MAX_SECTION = 1024;
/** The long section header (table_id .. last_section_number) and the CRC. */
const SECTION_OVERHEAD = 8 + 4;

/** One elementary stream as the PMT lists it. */
export interface PmtEntry {
  readonly streamType: number;
  readonly pid: number;
  /** format_identifier of a registration descriptor (tag 5), e.g. `Opus`, `HEVC`; '' without one. */
  readonly registration: string;
  /** The channel_config_code of an Opus extension descriptor (ETSI TS 102 366-ish, DVB Opus spec §6.1); -1 without. */
  readonly opusChannels: number;
}

/** Collects the sections of one PSI PID and hands each complete, CRC-valid one to `onSection`. */
export class SectionAssembler {
  private readonly buf = Buffer.allocUnsafe(MAX_SECTION + 184);
  private len = 0;
  /** False until a payload_unit_start_indicator says where a section begins. */
  private started = false;
  private lastCrc = -1;
  private readonly onSection: (s: Buffer, end: number) => void;
  private readonly report: TsErrorReport;

  /** `onSection(buf, end)` gets a section in `buf[0..end)` (the CRC included); it is called only when the section changed. */
  constructor(onSection: (s: Buffer, end: number) => void, report: TsErrorReport) {
    this.onSection = onSection;
    this.report = report;
  }

  /** Forgets the section in progress and the last one seen, so the next is parsed even if unchanged. */
  reset(): void {
    this.len = 0;
    this.started = false;
    this.lastCrc = -1;
  }

  /** Feeds one packet's payload `p[start..end)`. */
  push(p: Buffer, start: number, end: number, unitStart: boolean): void {
    if (unitStart) {
      const pointer = p[start]!;
      start++;
      if (start + pointer > end) {
        this.report('TS_SECTION_INVALID', `pointer_field ${pointer} runs past the packet`);
        this.len = 0;
        this.started = false;
        return;
      }
      // The bytes before the pointed-to section finish the one in progress (§2.4.4.2).
      if (this.started && this.len > 0) this.append(p, start, start + pointer);
      this.len = 0;
      this.started = true;
      start += pointer;
    } else if (!this.started) {
      return;
    }
    this.append(p, start, end);
  }

  private append(p: Buffer, start: number, end: number): void {
    if (!this.started) return;
    if (this.len + (end - start) > this.buf.length) {
      this.report('TS_SECTION_INVALID', 'a section runs past 1024 bytes');
      this.len = 0;
      this.started = false;
      return;
    }
    p.copy(this.buf, this.len, start, end);
    this.len += end - start;
    this.drain();
  }

  /** Hands out every complete section at the front of the buffer. */
  private drain(): void {
    const b = this.buf;
    let at = 0;
    while (this.len - at >= 3) {
      if (b[at] === 0xff) {
        // Stuffing after the last section fills the rest of the packet (§2.4.4.1).
        at = this.len;
        this.started = false;
        break;
      }
      const sectionLength = ((b[at + 1]! & 0x0f) << 8) | b[at + 2]!;
      const total = 3 + sectionLength;
      if (total > MAX_SECTION || sectionLength < SECTION_OVERHEAD - 3) {
        this.report('TS_SECTION_INVALID', `section_length ${sectionLength} is out of range`);
        at = this.len;
        this.started = false;
        break;
      }
      if (this.len - at < total) break;
      this.section(at, total);
      at += total;
    }
    if (at > 0) {
      b.copyWithin(0, at, this.len);
      this.len -= at;
    }
  }

  private section(at: number, total: number): void {
    const b = this.buf;
    if (!(b[at + 1]! & 0x80)) return; // section_syntax_indicator 0: not a PAT or PMT
    if (crc32Mpeg2(b, at, at + total) !== 0) {
      this.report('TS_SECTION_INVALID', `CRC mismatch in a section with table_id ${b[at]}`);
      return;
    }
    if (!(b[at + 5]! & 0x01)) return; // current_next_indicator 0: a table that applies later
    const crc = b.readUInt32BE(at + total - 4);
    if (crc === this.lastCrc) return; // the same table again: nothing changed
    this.lastCrc = crc;
    const section = at === 0 ? b : b.subarray(at);
    this.onSection(section, total);
  }
}

/** The PMT PID of the first program in a PAT section (table_id 0), or undefined if it lists none. */
export function readPat(s: Buffer, end: number, report: TsErrorReport): number | undefined {
  if (s[0] !== 0x00) {
    report('TS_SECTION_INVALID', `table_id ${s[0]} on the PAT PID`);
    return undefined;
  }
  for (let p = 8; p + 4 <= end - 4; p += 4) {
    const program = s.readUInt16BE(p);
    if (program === 0) continue; // the network PID
    return s.readUInt16BE(p + 2) & 0x1fff;
  }
  return undefined;
}

/** The elementary streams of a PMT section (table_id 2); undefined (reported) if its lengths lie. */
export function readPmt(s: Buffer, end: number, report: TsErrorReport): PmtEntry[] | undefined {
  if (s[0] !== 0x02) return undefined; // another table sharing the PID (SCTE 35 cues, DVB tables)
  if (end < 16) {
    report('TS_SECTION_INVALID', `a PMT section of ${end} bytes is too short`);
    return undefined;
  }
  const bodyEnd = end - 4; // before the CRC
  const programInfoLength = s.readUInt16BE(10) & 0x0fff;
  let p = 12 + programInfoLength;
  if (p > bodyEnd) {
    report('TS_SECTION_INVALID', `program_info_length ${programInfoLength} runs past the section`);
    return undefined;
  }
  const out: PmtEntry[] = [];
  while (p + 5 <= bodyEnd) {
    const streamType = s[p]!;
    const pid = s.readUInt16BE(p + 1) & 0x1fff;
    const infoLength = s.readUInt16BE(p + 3) & 0x0fff;
    const infoEnd = p + 5 + infoLength;
    if (infoEnd > bodyEnd) {
      report('TS_SECTION_INVALID', `ES_info_length ${infoLength} runs past the section`);
      return undefined;
    }
    let registration = '';
    let opusChannels = -1;
    for (let d = p + 5; d + 2 <= infoEnd;) {
      const tag = s[d]!;
      const len = s[d + 1]!;
      if (d + 2 + len > infoEnd) break; // a lying descriptor length ends the loop, not the table
      if (tag === 0x05 && len >= 4) registration = s.toString('latin1', d + 2, d + 6);
      // DVB extension descriptor (0x7F) with descriptor_tag_extension 0x80: the Opus channel configuration.
      else if (tag === 0x7f && len >= 2 && s[d + 2] === 0x80) opusChannels = s[d + 3]!;
      d += 2 + len;
    }
    out.push({ streamType, pid, registration, opusChannels });
    p = infoEnd;
  }
  return out;
}
