/**
 * The Enhanced RTMP v2 ex-header of FLV audio and video tag bodies, read down to its tracks: ModEx
 * prefixes (with TimestampOffsetNano), the Multitrack packet type (OneTrack, ManyTracks,
 * ManyTracksManyCodecs) and each track's trackId, FourCC and body (veovera enhanced-rtmp v2,
 * "ExVideoTagHeader"/"ExAudioTagHeader"). Pure: bytes in, views of them out.
 */
import { ProtocolError } from '../../errors.ts';

/** E-RTMP VideoPacketType / AudioPacketType values this reader acts on. */
export const ExPacket = {
  SequenceStart: 0,
  CodedFrames: 1,
  SequenceEnd: 2,
  CodedFramesX: 3,
  VideoMetadata: 4,
  AudioMultitrack: 5,
  VideoMultitrack: 6,
  ModEx: 7,
} as const;

/** AvMultitrackType (E-RTMP v2). */
export const MultitrackType = { OneTrack: 0, ManyTracks: 1, ManyTracksManyCodecs: 2 } as const;

/** ModExType 0: TimestampOffsetNano, a UI24 of at most 999,999 ns added to this message's timestamp. */
const ModExTimestampOffsetNano = 0;
const MaxNanoOffset = 999_999;

/** VideoFrameType 5 (command frame): an ex-header with a UI8 command and no FourCC. */
const FrameCommand = 5;

/**
 * Most tracks one message may carry. trackId is a UI8, but every track costs a slice and a fan-out
 * decision; OBS sends at most 6 video renditions, FFmpeg 8 one per input stream.
 */
export const MaxTracksPerMessage = 16;

/** One track of an ex-header message. */
export interface ExTrack {
  readonly trackId: number;
  readonly fourCc: string;
  /** The track's bytes after its trackId (and size): what a single-track tag has after its FourCC. */
  readonly body: Buffer;
}

/** An ex-header tag body, read. */
export interface ExTagBody {
  /** The packet type of the tracks (after ModEx and Multitrack are unwrapped). */
  readonly packetType: number;
  /** VideoFrameType for video (0 for audio). */
  readonly frameType: number;
  /** AvMultitrackType, or undefined for a single-track message. */
  readonly multitrack: number | undefined;
  /** TimestampOffsetNano of a ModEx prefix (0 without one; out-of-range values are ignored). */
  readonly nanoOffset: number;
  /** The tracks in wire order; one for a single-track message, none for a video command frame. */
  readonly tracks: readonly ExTrack[];
}

function invalid(message: string): never {
  throw new ProtocolError('FLV_MULTITRACK_INVALID', message);
}

/** Whether an audio/video tag body needs readExTagBody: ModEx or Multitrack (a plain v1 ex-header does not). */
export function needsExUnwrap(video: boolean, p: Buffer): boolean {
  if (p.length === 0) return false;
  const b0 = p[0]!;
  if (video) return (b0 & 0x80) !== 0 && ((b0 & 0x0f) === ExPacket.VideoMultitrack || (b0 & 0x0f) === ExPacket.ModEx);
  return b0 >> 4 === 9 && ((b0 & 0x0f) === ExPacket.AudioMultitrack || (b0 & 0x0f) === ExPacket.ModEx);
}

/**
 * Reads an ex-header tag body (the caller checked the ex-header bit or SoundFormat 9). Throws
 * ProtocolError FLV_MULTITRACK_INVALID for a body its own lengths contradict: a truncated header or
 * ModEx, a track size past the end, a zero-length track, a repeated trackId, nested Multitrack, or
 * more than MaxTracksPerMessage tracks. Unknown ModEx types are skipped.
 */
export function readExTagBody(video: boolean, p: Buffer): ExTagBody {
  const multitrackType = video ? ExPacket.VideoMultitrack : ExPacket.AudioMultitrack;
  const frameType = video ? (p[0]! >> 4) & 0x07 : 0;
  let type = p[0]! & 0x0f;
  let pos = 1;
  let nanoOffset = 0;
  while (type === ExPacket.ModEx) {
    if (pos >= p.length) invalid('ModEx size past the end of the tag body');
    let size = p[pos++]! + 1;
    if (size === 256) {
      if (pos + 2 > p.length) invalid('ModEx UI16 size past the end of the tag body');
      size = p.readUInt16BE(pos) + 1;
      pos += 2;
    }
    const data = pos;
    pos += size;
    if (pos >= p.length) invalid(`ModEx data of ${size} bytes and its type byte pass the end of the tag body`);
    const modExType = p[pos]! >> 4;
    type = p[pos++]! & 0x0f;
    if (modExType === ModExTimestampOffsetNano && size >= 3) {
      const ns = p.readUIntBE(data, 3);
      // "at most 999,999": a larger value would move the message past the next millisecond; ignore it.
      if (ns <= MaxNanoOffset) nanoOffset = ns;
    }
  }
  if (video && frameType === FrameCommand && type !== ExPacket.VideoMetadata) {
    return { packetType: type, frameType, multitrack: undefined, nanoOffset, tracks: [] };
  }
  if (type !== multitrackType) {
    if (pos + 4 > p.length) invalid('ex-header FourCC past the end of the tag body');
    const track = { trackId: 0, fourCc: p.toString('latin1', pos, pos + 4), body: p.subarray(pos + 4) };
    return { packetType: type, frameType, multitrack: undefined, nanoOffset, tracks: [track] };
  }
  if (pos >= p.length) invalid('Multitrack type byte past the end of the tag body');
  const mt = p[pos]! >> 4;
  type = p[pos++]! & 0x0f;
  if (mt > MultitrackType.ManyTracksManyCodecs) invalid(`unknown AvMultitrackType ${mt}`);
  if (type === multitrackType || type === ExPacket.ModEx) invalid('a Multitrack packet nests Multitrack or ModEx');
  let fourCc = '';
  if (mt !== MultitrackType.ManyTracksManyCodecs) {
    if (pos + 4 > p.length) invalid('Multitrack FourCC past the end of the tag body');
    fourCc = p.toString('latin1', pos, pos + 4);
    pos += 4;
  }
  const tracks: ExTrack[] = [];
  const seen = new Set<number>();
  do {
    if (tracks.length >= MaxTracksPerMessage) invalid(`more than ${MaxTracksPerMessage} tracks in one message`);
    if (mt === MultitrackType.ManyTracksManyCodecs) {
      if (pos + 4 > p.length) invalid('track FourCC past the end of the tag body');
      fourCc = p.toString('latin1', pos, pos + 4);
      pos += 4;
    }
    if (pos >= p.length) invalid('trackId past the end of the tag body');
    const trackId = p[pos++]!;
    if (seen.has(trackId)) invalid(`trackId ${trackId} twice in one message`);
    seen.add(trackId);
    let end = p.length;
    if (mt !== MultitrackType.OneTrack) {
      if (pos + 3 > p.length) invalid('track size past the end of the tag body');
      end = pos + 3 + p.readUIntBE(pos, 3);
      pos += 3;
      if (end > p.length) invalid(`track ${trackId} says ${end - pos} bytes, ${p.length - pos} are left`);
    }
    // A SequenceEnd has no body; any other track without bytes is a lie about its content.
    if (end === pos && type !== ExPacket.SequenceEnd) invalid(`track ${trackId} has no bytes`);
    tracks.push({ trackId, fourCc, body: p.subarray(pos, end) });
    pos = end;
  } while (pos < p.length);
  return { packetType: type, frameType, multitrack: mt, nanoOffset, tracks };
}
