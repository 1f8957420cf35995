/**
 * Reads the codec headers in front of FLV video and audio tag bodies, legacy (FLV 10.1 §E.4.2.1, §E.4.3.1)
 * and Enhanced RTMP v2 (ExVideoTagHeader / ExAudioTagHeader), down to what the TS muxer needs: is it a
 * decoder configuration or a frame, its composition time, and where the codec bytes start.
 */
import { ProtocolError } from '../../errors.ts';
import { skipModEx } from '../flv/modex.ts';

/** The video codecs MPEG-TS carries for us. */
export type TsVideoCodec = 'avc' | 'hevc';

/** An H.264 or HEVC video tag body, located but not copied. */
export interface FlvVideoPacket {
  readonly codec: TsVideoCodec;
  /** A decoder configuration record (AVCDecoderConfigurationRecord / HEVCDecoderConfigurationRecord). */
  readonly config: boolean;
  /** FrameType 1: a keyframe. Read here because MediaMessage.keyframe does not look behind ModEx prefixes. */
  readonly keyframe: boolean;
  /** CompositionTime in milliseconds: PTS minus DTS (signed, FLV 10.1 §E.4.3.1). */
  readonly cts: number;
  /** Where the record or the length-prefixed NAL units start in the payload. */
  readonly offset: number;
}

/** An AAC audio tag body, located but not copied. */
export interface FlvAudioPacket {
  /** An AudioSpecificConfig rather than a raw AAC frame. */
  readonly config: boolean;
  readonly offset: number;
}

/** Legacy CodecIDs: 7 AVC; 12 HEVC as Chinese encoders and SRS send it before Enhanced RTMP. */
const LegacyCodec = { Avc: 7, Hevc: 12 } as const;
/** Legacy AVCPacketType (also used for CodecID 12). */
const AvcPacket = { SequenceHeader: 0, Nalu: 1 } as const;
/** Enhanced RTMP VideoPacketType values we act on. */
const VideoPacket = { SequenceStart: 0, CodedFrames: 1, CodedFramesX: 3, Multitrack: 6, ModEx: 7 } as const;
/** Enhanced RTMP AudioPacketType values we act on. */
const AudioPacket = { SequenceStart: 0, CodedFrames: 1, Multitrack: 5, ModEx: 7 } as const;
/** VideoFrameType 1 is a keyframe; 5 is a command or info frame that holds no picture. */
const FrameTypeKey = 1;
const FrameTypeCommand = 5;
const SoundFormat = { Aac: 10, ExHeader: 9 } as const;
const VIDEO_FOURCC: Record<string, TsVideoCodec> = { avc1: 'avc', hvc1: 'hevc' };

/** Locates the codec bytes of a video tag body; undefined for codecs and packet types that carry no picture for TS. */
export function readFlvVideo(p: Buffer): FlvVideoPacket | undefined {
  if (p.length < 1) return undefined;
  const b0 = p[0]!;
  const frameType = (b0 >> 4) & 0x07;
  if (frameType === FrameTypeCommand) return undefined;
  const keyframe = frameType === FrameTypeKey;
  if (!(b0 & 0x80)) {
    const codecId = b0 & 0x0f;
    const codec = codecId === LegacyCodec.Avc ? 'avc' : codecId === LegacyCodec.Hevc ? 'hevc' : undefined;
    if (codec === undefined) return undefined;
    need(p, 5, 'legacy video tag header');
    // AVCPacketType 2 (end of sequence) carries nothing to show; ffmpeg ends every stream with one.
    const type = p[1];
    if (type !== AvcPacket.SequenceHeader && type !== AvcPacket.Nalu) return undefined;
    return { codec, config: type === AvcPacket.SequenceHeader, keyframe, cts: p.readIntBE(2, 3), offset: 5 };
  }
  const { type, pos } = skipModEx(p, b0 & 0x0f, VideoPacket.ModEx, 'TS_MUX_INPUT');
  if (type === VideoPacket.Multitrack) return undefined;
  need(p, pos + 4, 'Enhanced RTMP video FourCC');
  const codec = VIDEO_FOURCC[p.toString('latin1', pos, pos + 4)];
  if (codec === undefined) return undefined;
  switch (type) {
    case VideoPacket.SequenceStart:
      return { codec, config: true, keyframe, cts: 0, offset: pos + 4 };
    case VideoPacket.CodedFrames:
      need(p, pos + 7, 'Enhanced RTMP CompositionTime');
      return { codec, config: false, keyframe, cts: p.readIntBE(pos + 4, 3), offset: pos + 7 };
    case VideoPacket.CodedFramesX: // CompositionTime implied 0 to save three bytes
      return { codec, config: false, keyframe, cts: 0, offset: pos + 4 };
    default: // SequenceEnd, Metadata, MPEG2TSSequenceStart
      return undefined;
  }
}

/** Locates the codec bytes of an AAC audio tag body (legacy SoundFormat 10 or Enhanced `mp4a`); undefined for other codecs. */
export function readFlvAudio(p: Buffer): FlvAudioPacket | undefined {
  if (p.length < 1) return undefined;
  const format = p[0]! >> 4;
  if (format === SoundFormat.Aac) {
    need(p, 2, 'AAC audio tag header');
    return { config: p[1] === 0, offset: 2 };
  }
  if (format !== SoundFormat.ExHeader) return undefined;
  const { type, pos } = skipModEx(p, p[0]! & 0x0f, AudioPacket.ModEx, 'TS_MUX_INPUT');
  if (type === AudioPacket.Multitrack) return undefined;
  need(p, pos + 4, 'Enhanced RTMP audio FourCC');
  if (p.toString('latin1', pos, pos + 4) !== 'mp4a') return undefined;
  if (type === AudioPacket.SequenceStart) return { config: true, offset: pos + 4 };
  if (type === AudioPacket.CodedFrames) return { config: false, offset: pos + 4 };
  return undefined; // SequenceEnd, MultichannelConfig
}

function need(p: Buffer, length: number, what: string): void {
  if (p.length < length)
    throw new ProtocolError('TS_MUX_INPUT', `${what} needs ${length} bytes, the tag body has ${p.length}`);
}
