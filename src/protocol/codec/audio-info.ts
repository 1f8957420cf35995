/**
 * What an FLV audio tag body says about its codec: the legacy SoundFormat header byte (FLV 10.1 §E.4.2.1)
 * or the Enhanced RTMP ex-header with its FourCC (E-RTMP v2 "Enhanced Audio").
 */
import { parseAacAudioSpecificConfig } from './aac-config.ts';
import { invalidConfig } from './bit-reader.ts';
import type { AudioCodec, AudioInfo } from './media-info.ts';

/** Legacy SoundFormat values; 9 switches to the Enhanced RTMP ex-header. */
const SoundFormat = { Mp3: 2, ExHeader: 9, Aac: 10, Mp3At8k: 14 } as const;

const LEGACY_AUDIO: Record<number, AudioCodec> = {
  0: 'PCM',
  1: 'ADPCM',
  2: 'MP3',
  3: 'PCM',
  4: 'Nellymoser',
  5: 'Nellymoser',
  6: 'Nellymoser',
  7: 'G711A',
  8: 'G711U',
  11: 'Speex',
  14: 'MP3',
};

/** SoundRate bits to Hz as FFmpeg reads them (44100 >> (3 - bits)). */
const SOUND_RATES = [5512, 11025, 22050, 44100];

/** Formats whose rate and channel count the SoundRate/SoundType bits do not tell (FLV 10.1 §E.4.2.1). */
const FIXED: Record<number, { sampleRate: number; channels?: number }> = {
  4: { sampleRate: 16000, channels: 1 }, // Nellymoser 16 kHz mono
  5: { sampleRate: 8000, channels: 1 }, // Nellymoser 8 kHz mono
  7: { sampleRate: 8000 }, // G.711 is 8 kHz whatever the bits say (FFmpeg writes SoundRate 0)
  8: { sampleRate: 8000 },
  11: { sampleRate: 16000, channels: 1 }, // "Speex is 16 kHz mono"
  14: { sampleRate: 8000 },
};

const AUDIO_FOURCC: Record<string, AudioCodec> = {
  mp4a: 'AAC',
  Opus: 'Opus',
  fLaC: 'FLAC',
  'ac-3': 'AC3',
  'ec-3': 'EAC3',
  '.mp3': 'MP3',
};

/** E-RTMP AudioPacketType values we act on; Multitrack (5) and ModEx (7) are not described. */
const AudioPacket = { SequenceStart: 0, CodedFrames: 1 } as const;

/** Describes an audio tag body (see describeMediaMessage); throws CODEC_CONFIG_INVALID on a bad config. */
export function describeAudio(p: Buffer): AudioInfo | undefined {
  const format = p[0]! >> 4;
  if (format === SoundFormat.ExHeader) return describeExAudio(p);
  if (format === SoundFormat.Aac) {
    // AACPacketType 0 = AudioSpecificConfig (FLV 10.1 §E.4.2.2); raw frames say nothing new.
    return p[1] === 0 ? describeAac(p.subarray(2)) : undefined;
  }
  const codec = LEGACY_AUDIO[format];
  if (codec === undefined) return undefined;
  if (format === SoundFormat.Mp3 || format === SoundFormat.Mp3At8k) {
    const mp3 = describeMp3Frame(p.subarray(1));
    if (mp3) return mp3;
  }
  const fixed = FIXED[format];
  const sampleRate = fixed?.sampleRate ?? SOUND_RATES[(p[0]! >> 2) & 0x03]!;
  const channels = fixed?.channels ?? (p[0]! & 0x01) + 1;
  return { kind: 'audio', codec, sampleRate, channels };
}

function describeExAudio(p: Buffer): AudioInfo | undefined {
  const packetType = p[0]! & 0x0f;
  if (packetType !== AudioPacket.SequenceStart && packetType !== AudioPacket.CodedFrames) return undefined;
  if (p.length < 5) invalidConfig('Enhanced RTMP audio header ends before its FourCC');
  const codec = AUDIO_FOURCC[p.toString('latin1', 1, 5)];
  if (codec === undefined) return undefined;
  const body = p.subarray(5);
  if (packetType === AudioPacket.CodedFrames) {
    // Only codecs without a sequence header are described from their frames.
    if (codec === 'MP3') return describeMp3Frame(body) ?? { kind: 'audio', codec };
    return codec === 'AC3' || codec === 'EAC3' ? { kind: 'audio', codec } : undefined;
  }
  if (codec === 'AAC') return describeAac(body);
  if (codec === 'Opus') return describeOpusHead(body);
  if (codec === 'FLAC') return describeFlacStreamInfo(body);
  return { kind: 'audio', codec };
}

function describeAac(config: Buffer): AudioInfo {
  const c = parseAacAudioSpecificConfig(config);
  return { kind: 'audio', codec: 'AAC', profile: c.profileName, sampleRate: c.sampleRate, channels: c.channels };
}

/** The Opus identification header (RFC 7845 §5.1); Opus always decodes at 48 kHz, whatever the input rate. */
function describeOpusHead(head: Buffer): AudioInfo {
  if (head.length < 19 || head.toString('latin1', 0, 8) !== 'OpusHead') invalidConfig('Opus header is not an OpusHead');
  const channels = head[9]!;
  if (channels === 0) invalidConfig('OpusHead has 0 channels');
  return { kind: 'audio', codec: 'Opus', sampleRate: 48000, channels };
}

/** FLAC STREAMINFO (RFC 9639 §8.2), with or without the `fLaC` marker and metadata block header before it. */
function describeFlacStreamInfo(p: Buffer): AudioInfo {
  let at = 0;
  if (p.toString('latin1', 0, 4) === 'fLaC') at = 8;
  else if (p.length >= 38 && (p[0]! & 0x7f) === 0 && p.readUIntBE(1, 3) === 34) at = 4;
  if (p.length < at + 18) invalidConfig('FLAC STREAMINFO is too short');
  // After min/max block size (2+2) and min/max frame size (3+3): sample rate(20) channels-1(3).
  const sampleRate = (p[at + 10]! << 12) | (p[at + 11]! << 4) | (p[at + 12]! >> 4);
  if (sampleRate === 0) invalidConfig('FLAC STREAMINFO sample rate is 0');
  return { kind: 'audio', codec: 'FLAC', sampleRate, channels: ((p[at + 12]! >> 1) & 0x07) + 1 };
}

/** Rates by sampling_frequency index for MPEG-1; MPEG-2 halves and MPEG-2.5 quarters them. */
const MP3_RATES = [44100, 48000, 32000];

/** Reads rate and channels from an MPEG audio frame header (ISO/IEC 11172-3 §2.4.1.3), if one starts `p`. */
function describeMp3Frame(p: Buffer): AudioInfo | undefined {
  if (p.length < 4 || p[0] !== 0xff || (p[1]! & 0xe0) !== 0xe0) return undefined;
  const version = (p[1]! >> 3) & 0x03; // 0 MPEG-2.5, 1 reserved, 2 MPEG-2, 3 MPEG-1
  const layer = (p[1]! >> 1) & 0x03;
  const base = MP3_RATES[(p[2]! >> 2) & 0x03];
  if (version === 1 || layer === 0 || base === undefined) return undefined;
  const sampleRate = base / (version === 3 ? 1 : version === 2 ? 2 : 4);
  return { kind: 'audio', codec: 'MP3', sampleRate, channels: p[3]! >> 6 === 3 ? 1 : 2 };
}
