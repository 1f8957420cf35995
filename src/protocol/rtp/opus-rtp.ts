/**
 * Opus over RTP (RFC 7587): one Opus packet per RTP payload at a 48 kHz clock whatever the coded rate.
 * In the hub Opus travels as Enhanced RTMP audio (FourCC `Opus`): an OpusHead (RFC 7845 §5.1)
 * SequenceStart, then one CodedFrames body per packet, as the TS demuxer writes it for SRT.
 */
import { MediaType, mediaMessage, type MediaMessage } from '../media.ts';

const OPUS = Buffer.from('Opus', 'latin1');
/** ExAudioTagHeader: SoundFormat 9 with AudioPacketType 0 SequenceStart / 1 CodedFrames. */
const SEQUENCE_START = 0x90;
const CODED_FRAMES = 0x91;

/** The OpusHead sequence-start message for `channels` (1 or 2; WebRTC negotiates `opus/48000/2`). */
export function opusSequenceStart(channels: number, timeMs: number): MediaMessage {
  const h = Buffer.alloc(19);
  h.write('OpusHead', 0, 'latin1');
  h[8] = 1; // version
  h[9] = channels;
  h.writeUInt16LE(312, 10); // pre-skip: libopus's default at 48 kHz
  h.writeUInt32LE(48000, 12);
  h[18] = 0; // channel mapping family 0
  return mediaMessage(MediaType.Audio, timeMs, Buffer.concat([Buffer.of(SEQUENCE_START), OPUS, h]));
}

/** One Opus RTP payload as a CodedFrames audio message; undefined for an empty payload (DTX keeps nothing). */
export function opusRtpToMessage(payload: Buffer, timeMs: number): MediaMessage | undefined {
  if (payload.length === 0) return undefined;
  const body = Buffer.allocUnsafe(5 + payload.length);
  body[0] = CODED_FRAMES;
  OPUS.copy(body, 1);
  payload.copy(body, 5);
  return mediaMessage(MediaType.Audio, timeMs, body);
}

/** The Opus packet inside an Enhanced RTMP `Opus` CodedFrames body; undefined for anything else. */
export function opusPacketOfTag(body: Buffer): Buffer | undefined {
  if (body.length <= 5 || body[0] !== CODED_FRAMES || !body.subarray(1, 5).equals(OPUS)) return undefined;
  return body.subarray(5);
}
