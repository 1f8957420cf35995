/**
 * The SRT packet header (draft-sharabayko-srt §3): 16 bytes, big endian. Bit 0 of the first word tells a
 * data packet (31-bit sequence number; then position, order, key and retransmit flags and a 26-bit message
 * number) from a control packet (15-bit type, 16-bit subtype, a type-specific word). Then a 32-bit
 * timestamp (µs since the sender's socket started) and the destination socket id. Decoders throw only
 * ProtocolError and keep views into the datagram (no copies).
 */
import { ProtocolError } from '../../errors.ts';

/** Header length of every SRT packet. */
export const headerBytes = 16;

/** Control packet types (draft-sharabayko-srt §3.2, libsrt UDTMessageType). */
export const ControlType = {
  handshake: 0,
  keepalive: 1,
  ack: 2,
  nak: 3,
  congestion: 4,
  shutdown: 5,
  ackack: 6,
  dropreq: 7,
  peererror: 8,
  userDefined: 0x7fff,
} as const;

/** Where a data packet sits in its message (the PP bits). */
export const Position = { middle: 0, last: 1, first: 2, solo: 3 } as const;

/** A data packet: its payload is a view into the datagram. */
export interface DataPacket {
  readonly kind: 'data';
  readonly seq: number;
  readonly position: number;
  readonly inOrder: boolean;
  /** Encryption key flags (KK): 0 = clear, 1 = even key, 2 = odd key, 3 = both (control only). */
  readonly key: number;
  readonly retransmitted: boolean;
  readonly msgNo: number;
  readonly timestamp: number;
  readonly destId: number;
  readonly payload: Buffer;
}

/** A control packet: `info` is the type-specific word, `cif` the control information field. */
export interface ControlPacket {
  readonly kind: 'control';
  readonly type: number;
  readonly subtype: number;
  readonly info: number;
  readonly timestamp: number;
  readonly destId: number;
  readonly cif: Buffer;
}

/** Either kind of SRT packet. */
export type SrtPacket = DataPacket | ControlPacket;

/** Decodes one datagram's header; throws SRT_PACKET_INVALID when it is shorter than a header. */
export function decodePacket(buf: Buffer): SrtPacket {
  if (buf.length < headerBytes)
    throw new ProtocolError(
      'SRT_PACKET_INVALID',
      `SRT packet of ${buf.length} bytes is shorter than its 16-byte header`,
    );
  const w0 = buf.readUInt32BE(0);
  const w1 = buf.readUInt32BE(4);
  const timestamp = buf.readUInt32BE(8);
  const destId = buf.readUInt32BE(12);
  if ((w0 & 0x80000000) === 0) {
    return {
      kind: 'data',
      seq: w0,
      position: w1 >>> 30,
      inOrder: (w1 & 0x20000000) !== 0,
      key: (w1 >>> 27) & 3,
      retransmitted: (w1 & 0x04000000) !== 0,
      msgNo: w1 & 0x03ffffff,
      timestamp,
      destId,
      payload: buf.subarray(headerBytes),
    };
  }
  return {
    kind: 'control',
    type: (w0 >>> 16) & 0x7fff,
    subtype: w0 & 0xffff,
    info: w1,
    timestamp,
    destId,
    cif: buf.subarray(headerBytes),
  };
}

/** What encodeData needs; flags default to a solo, clear, first-time packet. */
export interface DataFields {
  seq: number;
  msgNo: number;
  timestamp: number;
  destId: number;
  position?: number;
  inOrder?: boolean;
  key?: number;
  retransmitted?: boolean;
}

/** Encodes a data packet: header and payload in one new buffer (one datagram). */
export function encodeData(f: DataFields, payload: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(headerBytes + payload.length);
  writeDataHeader(buf, f);
  buf.set(payload, headerBytes);
  return buf;
}

/** Writes a data packet's header into the first 16 bytes of `buf` (retransmission rewrites the R flag). */
export function writeDataHeader(buf: Buffer, f: DataFields): void {
  const w1 =
    (((f.position ?? Position.solo) & 3) << 30) |
    (f.inOrder ? 0x20000000 : 0) |
    (((f.key ?? 0) & 3) << 27) |
    (f.retransmitted ? 0x04000000 : 0) |
    (f.msgNo & 0x03ffffff);
  buf.writeUInt32BE(f.seq & 0x7fffffff, 0);
  buf.writeUInt32BE(w1 >>> 0, 4);
  buf.writeUInt32BE(f.timestamp >>> 0, 8);
  buf.writeUInt32BE(f.destId >>> 0, 12);
}

/** Encodes a control packet with its CIF. */
export function encodeControl(
  type: number,
  info: number,
  timestamp: number,
  destId: number,
  cif: Uint8Array = Buffer.alloc(0),
  subtype = 0,
): Buffer {
  const buf = Buffer.allocUnsafe(headerBytes + cif.length);
  buf.writeUInt32BE((0x80000000 | ((type & 0x7fff) << 16) | (subtype & 0xffff)) >>> 0, 0);
  buf.writeUInt32BE(info >>> 0, 4);
  buf.writeUInt32BE(timestamp >>> 0, 8);
  buf.writeUInt32BE(destId >>> 0, 12);
  buf.set(cif, headerBytes);
  return buf;
}

/** The destination socket id of a datagram without decoding it (the listener's demultiplexer); -1 when too short. */
export function peekDestId(buf: Buffer): number {
  return buf.length < headerBytes ? -1 : buf.readUInt32BE(12);
}
