/**
 * What a media message says about its stream's codec: legacy FLV CodecID/SoundFormat (FLV 10.1 §E.4.2,
 * §E.4.3) or Enhanced RTMP FourCCs (E-RTMP v2 "Enhanced Audio"/"Enhanced Video"), with the decoder
 * configuration parsed where we know how.
 */
import { MediaType, type MediaMessage } from '../media.ts';
import { describeAudio } from './audio-info.ts';
import { parseAvcDecoderConfig } from './avc-config.ts';
import { invalidConfig } from './bit-reader.ts';
import { parseHevcDecoderConfig } from './hevc-config.ts';

/** Video codecs we can name. */
export type VideoCodec =
  'H264' | 'H265' | 'AV1' | 'VP9' | 'VP8' | 'H263' | 'VP6' | 'VP6A' | 'ScreenVideo' | 'ScreenVideo2';

/** Audio codecs we can name. */
export type AudioCodec =
  'AAC' | 'MP3' | 'Opus' | 'FLAC' | 'AC3' | 'EAC3' | 'PCM' | 'ADPCM' | 'Nellymoser' | 'G711A' | 'G711U' | 'Speex';

/** A video stream's codec and, where its configuration says, profile, level and displayed size. */
export interface VideoInfo {
  readonly kind: 'video';
  readonly codec: VideoCodec;
  readonly profile?: string;
  readonly level?: number;
  readonly width?: number;
  readonly height?: number;
}

/** An audio stream's codec and, where known, profile, output sample rate and channel count. */
export interface AudioInfo {
  readonly kind: 'audio';
  readonly codec: AudioCodec;
  readonly profile?: string;
  readonly sampleRate?: number;
  readonly channels?: number;
}

/** Legacy FLV VideoTagHeader CodecIDs (FLV 10.1 §E.4.3.1); 12 is HEVC as Chinese encoders and SRS send it. */
const LEGACY_VIDEO: Record<number, VideoCodec> = {
  2: 'H263',
  3: 'ScreenVideo',
  4: 'VP6',
  5: 'VP6A',
  6: 'ScreenVideo2',
  7: 'H264',
  12: 'H265',
};

/** Enhanced RTMP video FourCCs. */
const VIDEO_FOURCC: Record<string, VideoCodec> = { avc1: 'H264', hvc1: 'H265', av01: 'AV1', vp09: 'VP9', vp08: 'VP8' };

/** E-RTMP VideoPacketType values we act on; 6 (Multitrack) and 7 (ModEx) are not described. */
const VideoPacket = { SequenceStart: 0, Mpeg2TsSequenceStart: 5 } as const;
const VideoFrameCommand = 5;

/**
 * Describes the codec of `msg`: for video and AAC sequence headers (legacy or Enhanced RTMP) and, for
 * legacy audio without sequence headers (MP3, G.711, ...) and Enhanced `.mp3`/`ac-3`/`ec-3`, any frame.
 * Returns undefined for data, coded frames of configured codecs, multitrack and unknown codecs; throws
 * ProtocolError CODEC_CONFIG_INVALID when a configuration is malformed.
 */
export function describeMediaMessage(msg: MediaMessage): VideoInfo | AudioInfo | undefined {
  if (msg.payload.length === 0) return undefined;
  if (msg.type === MediaType.Video) return describeVideo(msg.payload);
  if (msg.type === MediaType.Audio) return describeAudio(msg.payload);
  return undefined;
}

function describeVideo(p: Buffer): VideoInfo | undefined {
  const b0 = p[0]!;
  if (b0 & 0x80) {
    // IsExVideoHeader | VideoFrameType(3) | VideoPacketType(4), then the FourCC (E-RTMP v2).
    const packetType = b0 & 0x0f;
    if (((b0 >> 4) & 0x07) === VideoFrameCommand) return undefined;
    if (packetType !== VideoPacket.SequenceStart && packetType !== VideoPacket.Mpeg2TsSequenceStart) return undefined;
    if (p.length < 5) invalidConfig('Enhanced RTMP video header ends before its FourCC');
    const codec = VIDEO_FOURCC[p.toString('latin1', 1, 5)];
    if (codec === undefined) return undefined;
    if (packetType !== VideoPacket.SequenceStart) return { kind: 'video', codec };
    return describeVideoConfig(codec, p.subarray(5));
  }
  const codec = LEGACY_VIDEO[b0 & 0x0f];
  if (codec === undefined) return undefined;
  if (codec !== 'H264' && codec !== 'H265') return { kind: 'video', codec };
  // AVCPacketType 0 = sequence header, then a 24-bit CompositionTime (FLV 10.1 §E.4.3.1).
  if (p.length < 2 || p[1] !== 0) return undefined;
  return describeVideoConfig(codec, p.subarray(5));
}

function describeVideoConfig(codec: VideoCodec, config: Buffer): VideoInfo {
  if (codec === 'H264' || codec === 'H265') {
    const c = codec === 'H264' ? parseAvcDecoderConfig(config) : parseHevcDecoderConfig(config);
    return { kind: 'video', codec, profile: c.profileName, level: c.level, width: c.width, height: c.height };
  }
  if (codec === 'AV1' && config.length >= 2) {
    // AV1CodecConfigurationRecord: marker|version, then seq_profile(3) seq_level_idx_0(5) (AV1-ISOBMFF §2.3).
    const profile = ['Main', 'High', 'Professional'][config[1]! >> 5] ?? `Profile ${config[1]! >> 5}`;
    const levelIdx = config[1]! & 0x1f;
    // seq_level_idx encodes level X.Y as (X - 2) * 4 + Y; 31 means no level constraint (AV1 Annex A.3).
    if (levelIdx === 31) return { kind: 'video', codec, profile };
    return { kind: 'video', codec, profile, level: (20 + (levelIdx >> 2) * 10 + (levelIdx & 3)) / 10 };
  }
  if (codec === 'VP9' && config.length >= 2) {
    // VPCodecConfigurationRecord starts profile(8) level(8); some muxers keep the vpcC FullBox's
    // version 1 and flags 0 in front, which `01 00` reveals since no VP9 level is 0.
    const at = config[0] === 1 && config[1] === 0 && config.length >= 6 ? 4 : 0;
    return { kind: 'video', codec, profile: `Profile ${config[at]}`, level: config[at + 1]! / 10 };
  }
  return { kind: 'video', codec };
}
