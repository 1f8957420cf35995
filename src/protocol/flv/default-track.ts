/**
 * The default track of an Enhanced RTMP v2 message: what legacy players, HLS and recordings get.
 * A Multitrack message is reduced to its trackId 0 as a single-track tag body (a legacy FLV tag for
 * AVC, AAC and MP3, which every FLV reader decodes; the v1 ex-header otherwise) and keeps the full
 * body in `multitrack` for players that announced Multitrack. ModEx prefixes are stripped, with
 * TimestampOffsetNano kept in `nanoOffset`.
 */
import { Buffer } from 'node:buffer';
import { mediaMessage, MediaType, type MediaMessage } from '../media.ts';
import { ExPacket, needsExUnwrap, readExTagBody, type ExTrack } from './ex-multitrack.ts';

const Empty = Buffer.alloc(0);
/** Legacy FLV CodecID 7 (AVC) and SoundFormat 10 (AAC, header byte 0xAF) and 2 (MP3, 0x2F); FLV 10.1 §E.4. */
const CodecIdAvc = 7;
const AacHeader = 0xaf;
const Mp3Header = 0x2f;

/**
 * Builds the MediaMessage of a received audio or video tag body. Bodies without ModEx or Multitrack are
 * `mediaMessage` unchanged (one byte test). Throws ProtocolError FLV_MULTITRACK_INVALID (ex-multitrack.ts).
 */
export function ingestMediaMessage(type: MediaType, timestamp: number, payload: Buffer): MediaMessage {
  const video = type === MediaType.Video;
  if (type === MediaType.Data || !needsExUnwrap(video, payload)) return mediaMessage(type, timestamp, payload);
  const ex = readExTagBody(video, payload);
  const nanoOffset = ex.nanoOffset;
  if (ex.tracks.length === 0) {
    // A video command frame behind ModEx carries no picture; players skip it as it is.
    return { ...mediaMessage(type, timestamp, payload), nanoOffset };
  }
  const track = ex.tracks.find((t) => t.trackId === 0);
  const multitrack = ex.multitrack === undefined ? undefined : payload;
  if (track === undefined) {
    // No default track: only Multitrack players receive this message (stream.ts).
    return {
      type,
      timestamp: timestamp >>> 0,
      payload: Empty,
      keyframe: false,
      sequenceHeader: false,
      multitrack,
      nanoOffset,
    };
  }
  const body = video ? videoBody(ex.frameType, ex.packetType, track) : audioBody(ex.packetType, track);
  const msg = mediaMessage(type, timestamp, body);
  return multitrack === undefined ? { ...msg, nanoOffset } : { ...msg, multitrack, nanoOffset };
}

/** Whether a message carries no default track (only Multitrack players receive it). */
export function lacksDefaultTrack(msg: MediaMessage): boolean {
  return msg.multitrack !== undefined && msg.payload.length === 0;
}

function videoBody(frameType: number, packetType: number, t: ExTrack): Buffer {
  if (t.fourCc === 'avc1') {
    const head = (frameType << 4) | CodecIdAvc;
    // AVCPacketType 0 sequence header, 1 NALUs (+ SI24 CompositionTime), 2 end of sequence (FLV 10.1 §E.4.3.1).
    if (packetType === ExPacket.SequenceStart) return Buffer.concat([Buffer.of(head, 0, 0, 0, 0), t.body]);
    if (packetType === ExPacket.CodedFrames) return Buffer.concat([Buffer.of(head, 1), t.body]);
    if (packetType === ExPacket.CodedFramesX) return Buffer.concat([Buffer.of(head, 1, 0, 0, 0), t.body]);
    if (packetType === ExPacket.SequenceEnd) return Buffer.of(head, 2, 0, 0, 0);
  }
  return Buffer.concat([Buffer.of(0x80 | (frameType << 4) | packetType), Buffer.from(t.fourCc, 'latin1'), t.body]);
}

function audioBody(packetType: number, t: ExTrack): Buffer {
  if (t.fourCc === 'mp4a' && packetType === ExPacket.SequenceStart)
    return Buffer.concat([Buffer.of(AacHeader, 0), t.body]);
  if (t.fourCc === 'mp4a' && packetType === ExPacket.CodedFrames)
    return Buffer.concat([Buffer.of(AacHeader, 1), t.body]);
  if (t.fourCc === '.mp3' && packetType === ExPacket.CodedFrames) return Buffer.concat([Buffer.of(Mp3Header), t.body]);
  return Buffer.concat([Buffer.of(0x90 | packetType), Buffer.from(t.fourCc, 'latin1'), t.body]);
}
