/**
 * The fixed RTP header (RFC 3550 §5.1): what the packetizers write in front of a payload, and what a
 * test or a raw input reads back. CSRCs, header extensions and padding are skipped on read; never written.
 */
import { ProtocolError } from '../../errors.ts';

/** The header fields the media side sets; version 2, no padding, extensions or CSRCs. */
export interface RtpHeader {
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly marker: boolean;
}

/** A parsed RTP packet; `payload` is a view into the input. */
export interface RtpPacket extends RtpHeader {
  readonly payload: Buffer;
}

/** Bytes in the fixed header. */
export const RTP_HEADER_SIZE = 12;

/** One RTP packet: the 12-byte header and the payload, in one allocation. */
export function encodeRtpPacket(h: RtpHeader, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(RTP_HEADER_SIZE + payload.length);
  out[0] = 0x80; // V=2, P=0, X=0, CC=0
  out[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  out.writeUInt16BE(h.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(h.timestamp >>> 0, 4);
  out.writeUInt32BE(h.ssrc >>> 0, 8);
  payload.copy(out, RTP_HEADER_SIZE);
  return out;
}

/** Parses one RTP packet; throws RTP_PACKET_INVALID for a short, non-version-2 or inconsistent one. */
export function parseRtpPacket(b: Buffer): RtpPacket {
  if (b.length < RTP_HEADER_SIZE)
    throw new ProtocolError('RTP_PACKET_INVALID', `an RTP packet of ${b.length} bytes is shorter than its header`);
  if (b[0]! >> 6 !== 2) throw new ProtocolError('RTP_PACKET_INVALID', `RTP version ${b[0]! >> 6}, not 2`);
  let start = RTP_HEADER_SIZE + (b[0]! & 0x0f) * 4;
  if (b[0]! & 0x10) {
    // RFC 3550 §5.3.1: profile(16), length in 32-bit words(16), then the extension.
    if (b.length < start + 4)
      throw new ProtocolError('RTP_PACKET_INVALID', 'an RTP header extension runs past the packet');
    start += 4 + b.readUInt16BE(start + 2) * 4;
  }
  let end = b.length;
  if (b[0]! & 0x20) end -= b[b.length - 1]!; // RFC 3550 §5.1: the last octet counts the padding
  if (start > end)
    throw new ProtocolError('RTP_PACKET_INVALID', 'the RTP header, extension and padding are longer than the packet');
  return {
    payloadType: b[1]! & 0x7f,
    marker: (b[1]! & 0x80) !== 0,
    sequenceNumber: b.readUInt16BE(2),
    timestamp: b.readUInt32BE(4),
    ssrc: b.readUInt32BE(8),
    payload: b.subarray(start, end),
  };
}
