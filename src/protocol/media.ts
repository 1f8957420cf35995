/**
 * The one shape media travels in between layers: an FLV tag body (= an RTMP audio, video or data
 * message payload) with its timestamp and the two flags the hub needs.
 */

/** FLV TagType, which is also the RTMP message type id (FLV 10.1 §E.4.1, RTMP 1.0 §7.1.4/§7.1.5). */
export const MediaType = { Audio: 8, Video: 9, Data: 18 } as const;
/** One of the three media message types. */
export type MediaType = (typeof MediaType)[keyof typeof MediaType];

/** A media message as received from a publisher; immutable once created and shared by all readers. */
export interface MediaMessage {
  readonly type: MediaType;
  /** Milliseconds, unsigned 32-bit, as the publisher sent it. */
  readonly timestamp: number;
  /** The FLV tag body: the RTMP message payload, unchanged. */
  readonly payload: Buffer;
  /** A video frame a decoder can start from (FLV FrameType 1, legacy or Enhanced RTMP). */
  readonly keyframe: boolean;
  /** A decoder configuration: AVC/HEVC record, AAC AudioSpecificConfig, or an Enhanced RTMP SequenceStart. */
  readonly sequenceHeader: boolean;
  /**
   * Enhanced RTMP v2 Multitrack: the tag body as the publisher sent it, every track (flv/default-track.ts);
   * `payload` is then the default track alone (empty when the message has none).
   */
  readonly multitrack?: Buffer;
  /** Enhanced RTMP v2 ModEx TimestampOffsetNano: nanoseconds (0..999,999) past `timestamp`. */
  readonly nanoOffset?: number;
}

/** Legacy FLV SoundFormat 10 (AAC) and the Enhanced RTMP ex-header marker 9. */
const SoundFormatAac = 10;
const SoundFormatExHeader = 9;
/** Legacy FLV CodecID 7 (AVC) and 12 (HEVC as sent by some Chinese encoders, e.g. SRS and OBS forks). */
const CodecIdAvc = 7;
const CodecIdHevcLegacy = 12;

/** Builds a MediaMessage, deriving the keyframe and sequence-header flags from the payload's first bytes. */
export function mediaMessage(type: MediaType, timestamp: number, payload: Buffer): MediaMessage {
  let keyframe = false;
  let sequenceHeader = false;
  if (type === MediaType.Video && payload.length >= 1) {
    const b0 = payload[0]!;
    if (b0 & 0x80) {
      // Enhanced RTMP v2: IsExHeader | FrameType(3) | PacketType(4); PacketType 0 = SequenceStart,
      // 1 = CodedFrames, 3 = CodedFramesX (no composition time); only those carry a picture.
      const packetType = b0 & 0x0f;
      keyframe = ((b0 >> 4) & 0x07) === 1 && (packetType === 1 || packetType === 3);
      sequenceHeader = packetType === 0;
    } else {
      keyframe = b0 >> 4 === 1;
      const codecId = b0 & 0x0f;
      // AVCPacketType 0 = sequence header, 1 = NALUs, 2 = end of sequence (FLV 10.1 §E.4.3.1); ffmpeg
      // ends a stream with a keyframe-flagged end of sequence that holds no picture.
      if ((codecId === CodecIdAvc || codecId === CodecIdHevcLegacy) && payload.length >= 2) {
        sequenceHeader = payload[1] === 0;
        keyframe &&= payload[1] === 1;
      }
    }
  } else if (type === MediaType.Audio && payload.length >= 2) {
    const format = payload[0]! >> 4;
    // AACPacketType 0 = AudioSpecificConfig; Enhanced RTMP AudioPacketType 0 = SequenceStart.
    if (format === SoundFormatAac) sequenceHeader = payload[1] === 0;
    else if (format === SoundFormatExHeader) sequenceHeader = (payload[0]! & 0x0f) === 0;
  }
  // A keyframe that is only a decoder configuration is not a frame to start playback on.
  if (sequenceHeader) keyframe = false;
  return { type, timestamp: timestamp >>> 0, payload, keyframe, sequenceHeader };
}
