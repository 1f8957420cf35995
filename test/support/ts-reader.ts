/**
 * An MPEG-TS reader for tests (ISO/IEC 13818-1), written apart from the muxer so that tests check its
 * packets against the standard rather than against itself: every field of every packet, PSI sections
 * with their CRC, and PES packets reassembled per PID.
 */

/** One 188-byte packet, field by field. */
export interface TsPacket {
  readonly index: number;
  readonly pid: number;
  readonly payloadUnitStart: boolean;
  readonly transportError: boolean;
  readonly priority: boolean;
  readonly scrambling: number;
  /** adaptation_field_control: 1 payload only, 2 adaptation only, 3 both. */
  readonly adaptationControl: number;
  readonly cc: number;
  readonly adaptation: TsAdaptation | undefined;
  readonly payload: Buffer;
}

/** An adaptation field: its length byte, flags and the PCR and stuffing it holds. */
export interface TsAdaptation {
  /** adaptation_field_length: bytes after the length byte. */
  readonly length: number;
  readonly discontinuity: boolean;
  readonly randomAccess: boolean;
  /** PCR base (33 bits, 90 kHz) when the PCR_flag is set. */
  readonly pcr: number | undefined;
  readonly pcrExtension: number | undefined;
  /** The 6 reserved bits between PCR base and extension, which must all be 1. */
  readonly pcrReserved: number | undefined;
  /** Bytes after the flags and PCR, all of which must be 0xFF stuffing. */
  readonly stuffing: Buffer;
}

/** Splits bytes into packets; throws if the length is not whole packets or a sync byte is missing. */
export function readPackets(bytes: Buffer): TsPacket[] {
  if (bytes.length % 188 !== 0) throw new Error(`${bytes.length} bytes is not a whole number of TS packets`);
  const out: TsPacket[] = [];
  for (let at = 0; at < bytes.length; at += 188) {
    const p = bytes.subarray(at, at + 188);
    if (p[0] !== 0x47) throw new Error(`packet ${at / 188}: sync byte 0x${p[0]!.toString(16)}`);
    const adaptationControl = (p[3]! >> 4) & 0x03;
    let pos = 4;
    let adaptation: TsAdaptation | undefined;
    if (adaptationControl & 0x02) {
      adaptation = readAdaptation(p.subarray(4, 5 + p[4]!));
      pos = 5 + p[4]!;
      if (pos > 188) throw new Error(`packet ${at / 188}: adaptation field runs past the packet`);
    }
    out.push({
      index: at / 188,
      pid: ((p[1]! & 0x1f) << 8) | p[2]!,
      payloadUnitStart: (p[1]! & 0x40) !== 0,
      transportError: (p[1]! & 0x80) !== 0,
      priority: (p[1]! & 0x20) !== 0,
      scrambling: p[3]! >> 6,
      adaptationControl,
      cc: p[3]! & 0x0f,
      adaptation,
      payload: adaptationControl & 0x01 ? p.subarray(pos) : Buffer.alloc(0),
    });
  }
  return out;
}

function readAdaptation(af: Buffer): TsAdaptation {
  const length = af[0]!;
  if (length === 0) {
    return {
      length,
      discontinuity: false,
      randomAccess: false,
      pcr: undefined,
      pcrExtension: undefined,
      pcrReserved: undefined,
      stuffing: Buffer.alloc(0),
    };
  }
  const flags = af[1]!;
  let pos = 2;
  let pcr: number | undefined;
  let pcrExtension: number | undefined;
  let pcrReserved: number | undefined;
  if (flags & 0x10) {
    pcr = af.readUInt32BE(2) * 2 + (af[6]! >> 7);
    pcrReserved = (af[6]! >> 1) & 0x3f;
    pcrExtension = ((af[6]! & 1) << 8) | af[7]!;
    pos += 6;
  }
  if (flags & 0x0f) throw new Error('adaptation flags this reader does not parse (OPCR, splicing, private, extension)');
  return {
    length,
    discontinuity: (flags & 0x80) !== 0,
    randomAccess: (flags & 0x40) !== 0,
    pcr,
    pcrExtension,
    pcrReserved,
    stuffing: af.subarray(pos),
  };
}

/** A 33-bit PTS or DTS field with its 4-bit prefix and whether its three marker bits are 1. */
export interface TsTimestamp {
  readonly prefix: number;
  readonly value: number;
  readonly markersOk: boolean;
}

/** Reads a 5-byte PTS/DTS field (§2.4.3.7). */
export function readTimestamp(b: Buffer, at: number): TsTimestamp {
  const prefix = b[at]! >> 4;
  const markersOk = (b[at]! & 1) === 1 && (b[at + 2]! & 1) === 1 && (b[at + 4]! & 1) === 1;
  const high = (b[at]! >> 1) & 0x07;
  const mid = (b[at + 1]! << 7) | (b[at + 2]! >> 1);
  const low = (b[at + 3]! << 7) | (b[at + 4]! >> 1);
  return { prefix, value: high * 2 ** 30 + mid * 2 ** 15 + low, markersOk };
}

/** One PES packet reassembled from the packets of its PID. */
export interface TsPes {
  /** The packets it was carried in. */
  readonly packets: TsPacket[];
  readonly streamId: number;
  /** PES_packet_length as written (0 = unbounded). */
  readonly packetLength: number;
  /** The byte after PES_packet_length ('10' marker, scrambling, priority, alignment, copyright, original). */
  readonly flags1: number;
  readonly ptsDtsFlags: number;
  readonly headerDataLength: number;
  readonly pts: TsTimestamp | undefined;
  readonly dts: TsTimestamp | undefined;
  /** The elementary stream bytes after the PES header. */
  readonly data: Buffer;
}

/** Reassembles the PES packets on `pid` (each starts at a payload_unit_start packet). */
export function readPes(packets: readonly TsPacket[], pid: number): TsPes[] {
  const groups: TsPacket[][] = [];
  for (const p of packets) {
    if (p.pid !== pid) continue;
    if (p.payloadUnitStart) groups.push([p]);
    else if (groups.length === 0) throw new Error(`PID ${pid}: payload before the first payload_unit_start`);
    else groups.at(-1)!.push(p);
  }
  return groups.map((g) => parsePes(g, Buffer.concat(g.map((p) => p.payload))));
}

function parsePes(packets: TsPacket[], b: Buffer): TsPes {
  if (b[0] !== 0 || b[1] !== 0 || b[2] !== 1) throw new Error('PES without packet_start_code_prefix');
  const ptsDtsFlags = b[7]! >> 6;
  const headerDataLength = b[8]!;
  const pts = ptsDtsFlags & 0x02 ? readTimestamp(b, 9) : undefined;
  const dts = ptsDtsFlags === 0x03 ? readTimestamp(b, 14) : undefined;
  return {
    packets,
    streamId: b[3]!,
    packetLength: b.readUInt16BE(4),
    flags1: b[6]!,
    ptsDtsFlags,
    headerDataLength,
    pts,
    dts,
    data: b.subarray(9 + headerDataLength),
  };
}

/** A long-form PSI section (§2.4.4.10) with its CRC checked. */
export interface PsiSection {
  readonly tableId: number;
  readonly sectionSyntax: boolean;
  readonly sectionLength: number;
  readonly idExtension: number;
  readonly version: number;
  readonly currentNext: boolean;
  readonly sectionNumber: number;
  readonly lastSectionNumber: number;
  /** Between last_section_number and the CRC. */
  readonly body: Buffer;
  readonly crcOk: boolean;
  /** Bytes after the section, which must be 0xFF. */
  readonly after: Buffer;
}

/** Reads the PSI section starting a packet's payload (pointer_field 0 expected). */
export function readSection(payload: Buffer): PsiSection {
  if (payload[0] !== 0) throw new Error(`pointer_field ${payload[0]}`);
  const s = payload.subarray(1);
  const sectionLength = s.readUInt16BE(1) & 0x0fff;
  const end = 3 + sectionLength;
  return {
    tableId: s[0]!,
    sectionSyntax: (s[1]! & 0x80) !== 0,
    sectionLength,
    idExtension: s.readUInt16BE(3),
    version: (s[5]! >> 1) & 0x1f,
    currentNext: (s[5]! & 1) === 1,
    sectionNumber: s[6]!,
    lastSectionNumber: s[7]!,
    body: s.subarray(8, end - 4),
    crcOk: crc32(s.subarray(0, end - 4)) === s.readUInt32BE(end - 4),
    after: s.subarray(end),
  };
}

/** The bit-by-bit CRC-32/MPEG-2 (no table), to check the muxer's table-driven one independently. */
export function crc32(b: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of b) {
    for (let bit = 7; bit >= 0; bit--) {
      const top = (crc >>> 31) ^ ((byte >> bit) & 1);
      crc = ((crc << 1) ^ (top ? 0x04c11db7 : 0)) >>> 0;
    }
  }
  return crc;
}

/** The PMT's PCR_PID and streams as (stream_type, PID). */
export function readPmtBody(body: Buffer): { pcrPid: number; streams: Array<{ streamType: number; pid: number }> } {
  const pcrPid = body.readUInt16BE(0) & 0x1fff;
  const infoLength = body.readUInt16BE(2) & 0x0fff;
  const streams: Array<{ streamType: number; pid: number }> = [];
  for (let pos = 4 + infoLength; pos < body.length;) {
    streams.push({ streamType: body[pos]!, pid: body.readUInt16BE(pos + 1) & 0x1fff });
    pos += 5 + (body.readUInt16BE(pos + 3) & 0x0fff);
  }
  return { pcrPid, streams };
}
