/**
 * Reads FLV/RTMP tag bodies down to what the MP4 muxer needs: decoder configurations and coded
 * frames of H.264, HEVC and AV1 video (legacy CodecID 7/12, Enhanced RTMP `avc1`/`hvc1`/`av01`) and
 * AAC and Opus audio (legacy SoundFormat 10, Enhanced RTMP `mp4a`/`Opus`). Sample bytes stay views of
 * the message: FLV carries length-prefixed NAL units and low-overhead AV1 OBUs, exactly as MP4 stores them.
 */
import { ProtocolError } from '../../errors.ts';
import { skipModEx } from '../flv/modex.ts';
import { MediaType, type MediaMessage } from '../media.ts';
import type { Mp4AudioCodec, Mp4VideoCodec } from './mp4-track.ts';

/** A configuration or a frame, located in a media message. */
export type FlvMp4Packet =
  | { readonly kind: 'config'; readonly track: 'video'; readonly codec: Mp4VideoCodec; readonly config: Buffer }
  | { readonly kind: 'config'; readonly track: 'audio'; readonly codec: Mp4AudioCodec; readonly config: Buffer }
  | {
      readonly kind: 'frame';
      readonly track: 'video';
      readonly codec: Mp4VideoCodec;
      readonly keyframe: boolean;
      readonly ctsMs: number;
      readonly data: Buffer;
    }
  | { readonly kind: 'frame'; readonly track: 'audio'; readonly codec: Mp4AudioCodec; readonly data: Buffer };

const LEGACY_VIDEO: Record<number, Mp4VideoCodec> = { 7: 'avc', 12: 'hevc' };
const VIDEO_FOURCC: Record<string, Mp4VideoCodec> = { avc1: 'avc', hvc1: 'hevc', av01: 'av1' };
const AUDIO_FOURCC: Record<string, Mp4AudioCodec> = { mp4a: 'aac', Opus: 'opus' };
/** Enhanced RTMP VideoPacketType and AudioPacketType values read here. */
const VideoPacket = { SequenceStart: 0, CodedFrames: 1, CodedFramesX: 3, Multitrack: 6, ModEx: 7 } as const;
const AudioPacket = { SequenceStart: 0, CodedFrames: 1, Multitrack: 5, ModEx: 7 } as const;
/** VideoFrameType 5: a command frame without a picture. */
const FRAME_COMMAND = 5;

/**
 * Locates the configuration or frame in `msg`; undefined for data, other codecs, multitrack, end of
 * sequence and command frames. Throws ProtocolError MP4_MUX_INPUT for a truncated header.
 */
export function readFlvForMp4(msg: MediaMessage): FlvMp4Packet | undefined {
  const p = msg.payload;
  if (p.length === 0) return undefined;
  if (msg.type === MediaType.Video) return readVideo(p);
  if (msg.type === MediaType.Audio) return readAudio(p);
  return undefined;
}

function readVideo(p: Buffer): FlvMp4Packet | undefined {
  const b0 = p[0]!;
  const frameType = (b0 >> 4) & 0x07;
  if (frameType === FRAME_COMMAND) return undefined;
  const keyframe = frameType === 1;
  if (!(b0 & 0x80)) {
    const codec = LEGACY_VIDEO[b0 & 0x0f];
    if (codec === undefined) return undefined;
    need(p, 5, 'legacy video tag header');
    // AVCPacketType 0 sequence header, 1 NAL units, 2 end of sequence (FLV 10.1 §E.4.3.1).
    if (p[1] === 0) return { kind: 'config', track: 'video', codec, config: p.subarray(5) };
    if (p[1] !== 1) return undefined;
    return { kind: 'frame', track: 'video', codec, keyframe, ctsMs: p.readIntBE(2, 3), data: p.subarray(5) };
  }
  const { type, pos } = skipModEx(p, b0 & 0x0f, VideoPacket.ModEx, 'MP4_MUX_INPUT');
  if (type === VideoPacket.Multitrack) return undefined;
  need(p, pos + 4, 'Enhanced RTMP video FourCC');
  const codec = VIDEO_FOURCC[p.toString('latin1', pos, pos + 4)];
  if (codec === undefined) return undefined;
  const body = pos + 4;
  if (type === VideoPacket.SequenceStart) return { kind: 'config', track: 'video', codec, config: p.subarray(body) };
  if (type === VideoPacket.CodedFramesX)
    return { kind: 'frame', track: 'video', codec, keyframe, ctsMs: 0, data: p.subarray(body) };
  if (type !== VideoPacket.CodedFrames) return undefined;
  // E-RTMP: only avc1 and hvc1 CodedFrames carry an SI24 CompositionTime; av01 has none.
  if (codec === 'av1') return { kind: 'frame', track: 'video', codec, keyframe, ctsMs: 0, data: p.subarray(body) };
  need(p, body + 3, 'Enhanced RTMP CompositionTime');
  return { kind: 'frame', track: 'video', codec, keyframe, ctsMs: p.readIntBE(body, 3), data: p.subarray(body + 3) };
}

function readAudio(p: Buffer): FlvMp4Packet | undefined {
  const format = p[0]! >> 4;
  if (format === 10) {
    need(p, 2, 'AAC audio tag header');
    // AACPacketType 0 AudioSpecificConfig, 1 raw frame (FLV 10.1 §E.4.2.2).
    if (p[1] === 0) return { kind: 'config', track: 'audio', codec: 'aac', config: p.subarray(2) };
    return { kind: 'frame', track: 'audio', codec: 'aac', data: p.subarray(2) };
  }
  if (format !== 9) return undefined;
  const { type, pos } = skipModEx(p, p[0]! & 0x0f, AudioPacket.ModEx, 'MP4_MUX_INPUT');
  if (type === AudioPacket.Multitrack) return undefined;
  need(p, pos + 4, 'Enhanced RTMP audio FourCC');
  const codec = AUDIO_FOURCC[p.toString('latin1', pos, pos + 4)];
  if (codec === undefined) return undefined;
  if (type === AudioPacket.SequenceStart) return { kind: 'config', track: 'audio', codec, config: p.subarray(pos + 4) };
  if (type === AudioPacket.CodedFrames) return { kind: 'frame', track: 'audio', codec, data: p.subarray(pos + 4) };
  return undefined;
}

function need(p: Buffer, length: number, what: string): void {
  if (p.length < length)
    throw new ProtocolError('MP4_MUX_INPUT', `${what} needs ${length} bytes, the tag body has ${p.length}`);
}
