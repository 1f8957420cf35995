/**
 * HMAC-SHA256 digests of the Flash/FMS handshake. The scheme is not in RTMP 1.0; it is what Flash
 * Player, FMS, librtmp, ffmpeg (libavformat/rtmpproto.c) and nginx-rtmp agree on.
 */

import { Buffer } from 'node:buffer';
import { createHmac } from 'node:crypto';

const keyTail = Buffer.from('f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae', 'hex');

/** "Genuine Adobe Flash Player 001" + 32 constant bytes: the client's 62-byte key. */
export const clientKeyFull = Buffer.concat([Buffer.from('Genuine Adobe Flash Player 001'), keyTail]);
/** "Genuine Adobe Flash Media Server 001" + 32 constant bytes: the server's 68-byte key. */
export const serverKeyFull = Buffer.concat([Buffer.from('Genuine Adobe Flash Media Server 001'), keyTail]);
/** The text part alone signs C1 (30 bytes). */
export const clientKey = clientKeyFull.subarray(0, 30);
/** The text part alone signs S1 (36 bytes). */
export const serverKey = serverKeyFull.subarray(0, 36);

const DigestSize = 32;
const PacketSize = 1536;

/** A digest schema: 0 puts the key block first (digest block at 772), 1 the digest block first (at 8). */
export type DigestSchema = 0 | 1;

/** The offset of the 32-byte digest inside a 1536-byte packet for a schema. */
export function digestOffset(packet: Buffer, schema: DigestSchema): number {
  const base = schema === 0 ? 772 : 8;
  const sum = packet[base]! + packet[base + 1]! + packet[base + 2]! + packet[base + 3]!;
  return (sum % 728) + base + 4;
}

/** HMAC-SHA256 of the packet without its 32 digest bytes at `pos`. */
function packetDigest(packet: Buffer, pos: number, key: Buffer): Buffer {
  return createHmac('sha256', key)
    .update(packet.subarray(0, pos))
    .update(packet.subarray(pos + DigestSize))
    .digest();
}

/** Finds a valid digest in C1 or S1 under either schema, or undefined when the packet has none. */
export function findDigest(packet: Buffer, key: Buffer): { schema: DigestSchema; digest: Buffer } | undefined {
  // nginx-rtmp and librtmp try schema 0 first; ffmpeg's client sends schema 1.
  for (const schema of [0, 1] as const) {
    const pos = digestOffset(packet, schema);
    const expected = packetDigest(packet, pos, key);
    const actual = packet.subarray(pos, pos + DigestSize);
    if (expected.equals(actual)) return { schema, digest: Buffer.from(actual) };
  }
  return undefined;
}

/** Writes the digest of a 1536-byte packet in place for a schema; returns its offset. */
export function imprintDigest(packet: Buffer, schema: DigestSchema, key: Buffer): number {
  const pos = digestOffset(packet, schema);
  packetDigest(packet, pos, key).copy(packet, pos);
  return pos;
}

function lastBytesDigest(packet: Buffer, keyFull: Buffer, peerDigest: Buffer): Buffer {
  const key = createHmac('sha256', keyFull).update(peerDigest).digest();
  return createHmac('sha256', key)
    .update(packet.subarray(0, PacketSize - DigestSize))
    .digest();
}

/** Signs S2/C2: its last 32 bytes become HMAC(HMAC(keyFull, peerDigest), the first 1504 bytes). */
export function signLastBytes(packet: Buffer, keyFull: Buffer, peerDigest: Buffer): void {
  lastBytesDigest(packet, keyFull, peerDigest).copy(packet, PacketSize - DigestSize);
}

/** Checks an S2/C2 signed by `signLastBytes`. */
export function verifyLastBytes(packet: Buffer, keyFull: Buffer, ourDigest: Buffer): boolean {
  return lastBytesDigest(packet, keyFull, ourDigest).equals(packet.subarray(PacketSize - DigestSize));
}
