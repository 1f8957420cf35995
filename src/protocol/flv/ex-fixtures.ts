/**
 * Enhanced RTMP v2 tag bodies built byte by byte from the spec's ExVideoTagHeader/ExAudioTagHeader
 * pseudo-code (no encoder here writes v2): for the parser tests, the fuzz seeds and the e2e publisher.
 */
import { Buffer } from 'node:buffer';

/** One track of a fixture: its id, FourCC (ManyTracksManyCodecs only needs it per track) and body. */
export interface FixtureTrack {
  trackId: number;
  fourCc: string;
  body: Buffer;
}

const fourCc = (s: string): Buffer => Buffer.from(s, 'latin1');
const u24 = (n: number): Buffer => Buffer.of((n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);

/**
 * A Multitrack tag body: ex-header byte (video: IsExHeader | FrameType | Multitrack 6; audio: SoundFormat 9 |
 * Multitrack 5), AvMultitrackType | inner packet type, the FourCC unless ManyTracksManyCodecs, then per
 * track [FourCC] trackId [UI24 size] body.
 */
export function multitrackBody(
  video: boolean,
  multitrackType: 0 | 1 | 2,
  packetType: number,
  tracks: FixtureTrack[],
  frameType = 1,
): Buffer {
  const head = video ? 0x80 | (frameType << 4) | 6 : 0x90 | 5;
  const parts: Buffer[] = [Buffer.of(head, (multitrackType << 4) | packetType)];
  if (multitrackType !== 2) parts.push(fourCc(tracks[0]!.fourCc));
  for (const t of tracks) {
    if (multitrackType === 2) parts.push(fourCc(t.fourCc));
    parts.push(Buffer.of(t.trackId));
    if (multitrackType !== 0) parts.push(u24(t.body.length));
    parts.push(t.body);
  }
  return Buffer.concat(parts);
}

/** A single-track ex-header audio body: SoundFormat 9 | packet type, FourCC, body. */
export function exAudioBody(packetType: number, code: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.of(0x90 | packetType), fourCc(code), body]);
}

/** A ModEx TimestampOffsetNano prefix around `inner` (an ex-header body): size-1, UI24 ns, type 0 | packet type. */
export function withNanoOffset(inner: Buffer, ns: number, modExType = 0): Buffer {
  const head = (inner[0]! & 0xf0) | 7;
  return Buffer.concat([
    Buffer.of(head, 2),
    u24(ns),
    Buffer.of((modExType << 4) | (inner[0]! & 0x0f)),
    inner.subarray(1),
  ]);
}

/** A minimal OpusHead (RFC 7845 §5.1): version 1, `channels`, pre-skip 312, 48 kHz, gain 0, family 0. */
export function opusHead(channels = 2): Buffer {
  const b = Buffer.alloc(19);
  b.write('OpusHead', 0, 'latin1');
  b[8] = 1;
  b[9] = channels;
  b.writeUInt16LE(312, 10);
  b.writeUInt32LE(48000, 12);
  return b;
}
