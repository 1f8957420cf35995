/**
 * Reassembles the PES packets of one PID (ISO/IEC 13818-1 §2.4.3.6) into one reused buffer, up to a
 * cap: a PES with PES_packet_length ends when that many bytes arrived, an unbounded one (length 0, as
 * video PES usually is) when the next payload_unit_start_indicator begins the next.
 */
import type { TsErrorReport, TsDemuxStats } from './ts-demux-stats.ts';

/** A complete PES payload with its times (33-bit raw, -1 when absent); the bytes are valid until the next push. */
export interface PesPacket {
  readonly data: Buffer;
  readonly start: number;
  readonly end: number;
  readonly pts: number;
  readonly dts: number;
}

/** stream_ids without the optional PES header (§2.4.3.7, Table 2-22): program_stream_map, padding, private_stream_2, ECM, EMM, directory, DSMCC, H.222.1 E. */
const NO_HEADER = new Set([0xbc, 0xbe, 0xbf, 0xf0, 0xf1, 0xff, 0xf2, 0xf8]);

/** Collects one PID's PES packets and hands out each complete one. */
export class PesAssembler {
  private buf: Buffer;
  private len = 0;
  /** The PES's total size from PES_packet_length, 0 for unbounded. */
  private expected = 0;
  private active = false;
  private damaged = false;
  /** Every byte PES_packet_length announced is here; with joinUntimed the PES still waits for the next start. */
  private complete = false;
  private readonly joinUntimed: boolean;
  private readonly maxSize: number;
  private readonly report: TsErrorReport;
  private readonly stats: TsDemuxStats;
  private readonly onPes: (pes: PesPacket) => void;
  /** Told when a PES is dropped, so a track can forget what it carried over (a cut ADTS frame). */
  onDrop: (() => void) | undefined;

  /**
   * With `joinUntimed` (video), a PES without a PTS continues the access unit before it (ISO/IEC 13818-1
   * lets an encoder cut one frame into several PES packets of PES_packet_length under 64 KiB; only the
   * first carries the time), so a PES is handed out when the next timed one starts, or at flush().
   */
  constructor(
    maxSize: number,
    initialSize: number,
    stats: TsDemuxStats,
    report: TsErrorReport,
    onPes: (pes: PesPacket) => void,
    joinUntimed = false,
  ) {
    this.joinUntimed = joinUntimed;
    this.maxSize = maxSize;
    this.buf = Buffer.allocUnsafe(Math.min(initialSize, maxSize));
    this.stats = stats;
    this.report = report;
    this.onPes = onPes;
  }

  /** A packet was lost (continuity gap): the PES in progress is incomplete and will be dropped. */
  damage(): void {
    if (this.active) this.damaged = true;
    // Lost between two PES: nothing to drop here, but what a track carried over cannot be finished.
    else this.onDrop?.();
  }

  /** Feeds one packet's payload `p[start..end)`. */
  push(p: Buffer, start: number, end: number, unitStart: boolean): void {
    if (unitStart && this.joinUntimed && this.active && this.len > 0 && untimedHeader(p, start, end)) {
      // The rest of the same access unit: append its data after the header, and expect its own length.
      const headerEnd = start + 9 + p[start + 8]!;
      const length = p.readUInt16BE(start + 4);
      if (this.expected > 0) this.len = Math.min(this.len, this.expected);
      this.expected = length === 0 ? 0 : this.len + 6 + length - (headerEnd - start);
      this.complete = false;
      start = headerEnd;
    } else if (unitStart) {
      if (this.active && this.len > 0) this.finish();
      this.active = true;
      this.damaged = false;
      this.complete = false;
      this.len = 0;
      this.expected = 0;
    } else if (!this.active || this.complete) {
      return; // joined mid-PES (wait for the next start), or bytes past what PES_packet_length announced
    }
    const n = end - start;
    if (this.len + n > this.maxSize) {
      this.dropped();
      this.report('TS_PES_TOO_LARGE', `a PES packet grew past ${this.maxSize} bytes and was dropped`);
      this.active = false;
      this.len = 0;
      return;
    }
    if (this.len + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxSize, Math.max(this.buf.length * 2, this.len + n)));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    p.copy(this.buf, this.len, start, end);
    const before = this.len;
    this.len += n;
    if (before < 6 && this.len >= 6) {
      const length = this.buf.readUInt16BE(4);
      this.expected = length === 0 ? 0 : 6 + length;
    }
    if (this.expected > 0 && this.len >= this.expected) {
      if (this.joinUntimed) this.complete = true;
      else this.finish();
    }
  }

  /** Hands out the PES in progress, if any (the end of the input ends an unbounded PES too). */
  flush(): void {
    if (this.active && this.len > 0) this.finish();
  }

  /** Drops the PES in progress without handing it out. */
  reset(): void {
    this.active = false;
    this.len = 0;
  }

  private finish(): void {
    this.active = false;
    const b = this.buf;
    const len = this.expected > 0 ? Math.min(this.expected, this.len) : this.len;
    this.len = 0;
    if (this.damaged) return this.dropped();
    if (len < 6 || b[0] !== 0 || b[1] !== 0 || b[2] !== 1)
      return this.invalid('a PES packet without its start code prefix');
    if (this.expected > 0 && this.expected > len)
      return this.invalid('a PES packet shorter than its PES_packet_length');
    if (NO_HEADER.has(b[3]!)) return this.onPes({ data: b, start: 6, end: len, pts: -1, dts: -1 });
    if (len < 9 || (b[6]! & 0xc0) !== 0x80) return this.invalid('a PES header without its 10 marker');
    const headerEnd = 9 + b[8]!;
    if (headerEnd > len) return this.invalid(`PES_header_data_length ${b[8]} runs past the packet`);
    const flags = b[7]! >> 6; // PTS_DTS_flags: 2 PTS, 3 PTS and DTS (1 is forbidden)
    let pts = -1;
    let dts = -1;
    if (flags === 2 && headerEnd >= 14) pts = readTimestamp(b, 9);
    else if (flags === 3 && headerEnd >= 19) {
      pts = readTimestamp(b, 9);
      dts = readTimestamp(b, 14);
    } else if (flags !== 0) return this.invalid(`PTS_DTS_flags ${flags} do not fit PES_header_data_length ${b[8]}`);
    this.onPes({ data: b, start: headerEnd, end: len, pts, dts: dts < 0 ? pts : dts });
  }

  private dropped(): void {
    this.stats.pesDropped++;
    this.onDrop?.();
  }

  private invalid(message: string): void {
    this.dropped();
    this.report('TS_PES_INVALID', message);
  }
}

/** True when `p[start..end)` starts a PES whose whole optional header is there and carries no PTS. */
function untimedHeader(p: Buffer, start: number, end: number): boolean {
  if (end - start < 9 || p[start] !== 0 || p[start + 1] !== 0 || p[start + 2] !== 1 || NO_HEADER.has(p[start + 3]!))
    return false;
  return (p[start + 6]! & 0xc0) === 0x80 && p[start + 7]! >> 6 === 0 && 9 + p[start + 8]! <= end - start;
}

/** Reads a 5-byte PTS or DTS field (§2.4.3.7): 3 + 15 + 15 bits between marker bits. */
export function readTimestamp(b: Buffer, at: number): number {
  const high = (b[at]! >> 1) & 0x07;
  const mid = (b[at + 1]! << 7) | (b[at + 2]! >> 1);
  const low = (b[at + 3]! << 7) | (b[at + 4]! >> 1);
  return high * 2 ** 30 + mid * 2 ** 15 + low;
}
