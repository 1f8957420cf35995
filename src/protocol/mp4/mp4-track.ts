/**
 * One track of an MP4 file or fMP4 stream: its codec, timescale and ready-built sample entry, made
 * from the decoder configuration a publisher sent (FLV/RTMP sequence header or Enhanced RTMP SequenceStart).
 */
import { parseAacAudioSpecificConfig } from '../codec/aac-config.ts';
import { parseAvcDecoderConfig } from '../codec/avc-config.ts';
import { parseHevcDecoderConfig } from '../codec/hevc-config.ts';
import { aacCodecString, avcCodecString, hevcCodecString } from '../mpegts/codec-string.ts';
import { av1CodecString, parseAv1Config } from './av1-config.ts';
import { mp4aSampleEntry, opusSampleEntry, parseOpusHead, visualSampleEntry } from './sample-entry.ts';

/** Video codecs the MP4 muxer carries. */
export type Mp4VideoCodec = 'avc' | 'hevc' | 'av1';
/** Audio codecs the MP4 muxer carries. */
export type Mp4AudioCodec = 'aac' | 'opus';

/** A track ready to be described in a moov: everything but its samples. */
export interface Mp4Track {
  /** track_ID, from 1. */
  readonly id: number;
  readonly kind: 'video' | 'audio';
  readonly codec: Mp4VideoCodec | Mp4AudioCodec;
  /** Ticks per second of its sample times: 90 kHz for video, the sample rate for audio. */
  readonly timescale: number;
  /** The stsd entry (avc1, hvc1, av01, mp4a or Opus with its configuration box). */
  readonly sampleEntry: Buffer;
  /** RFC 6381 codec string for HLS CODECS, e.g. `avc1.64001f`, `mp4a.40.2`, `opus`. */
  readonly codecString: string;
  /** Displayed size (video), 0 for audio. */
  readonly width: number;
  readonly height: number;
  /** Output sample rate and channels (audio), 0 for video. */
  readonly sampleRate: number;
  readonly channels: number;
  /** The configuration bytes it was built from: a repeated sequence header is the same track. */
  readonly config: Buffer;
}

/** The video timescale: the MPEG 90 kHz clock, exact for FLV milliseconds. */
export const VIDEO_TIMESCALE = 90_000;

/**
 * Builds a video track from its decoder configuration record (avcC, hvcC or av1C contents); throws
 * ProtocolError CODEC_CONFIG_INVALID if the record is malformed.
 */
export function mp4VideoTrack(id: number, codec: Mp4VideoCodec, record: Buffer): Mp4Track {
  const config = Buffer.from(record); // our own copy: the publisher's buffer is shared and short-lived
  let width: number;
  let height: number;
  let codecString: string;
  let entry: Buffer;
  if (codec === 'avc') {
    const c = parseAvcDecoderConfig(config);
    ({ width, height } = c);
    codecString = avcCodecString(c.sps[0]!);
    entry = visualSampleEntry('avc1', 'avcC', config, width, height);
  } else if (codec === 'hevc') {
    const c = parseHevcDecoderConfig(config);
    ({ width, height } = c);
    codecString = hevcCodecString(config);
    // hvc1, not hev1: Apple players take only hvc1 (parameter sets in the record; HLS authoring spec 1.10).
    entry = visualSampleEntry('hvc1', 'hvcC', config, width, height);
  } else {
    const c = parseAv1Config(config);
    ({ width, height } = c);
    codecString = av1CodecString(c);
    entry = visualSampleEntry('av01', 'av1C', config, width, height);
  }
  return {
    id,
    kind: 'video',
    codec,
    timescale: VIDEO_TIMESCALE,
    sampleEntry: entry,
    codecString,
    width,
    height,
    sampleRate: 0,
    channels: 0,
    config,
  };
}

/**
 * Builds an audio track from an AAC AudioSpecificConfig or an OpusHead; throws ProtocolError
 * CODEC_CONFIG_INVALID if it is malformed.
 */
export function mp4AudioTrack(id: number, codec: Mp4AudioCodec, bytes: Buffer): Mp4Track {
  const config = Buffer.from(bytes);
  if (codec === 'aac') {
    const c = parseAacAudioSpecificConfig(config);
    const entry = mp4aSampleEntry(config, c.channels, c.sampleRate);
    const base = { id, kind: 'audio', codec, timescale: c.sampleRate, sampleEntry: entry } as const;
    return {
      ...base,
      codecString: aacCodecString(c.objectType),
      width: 0,
      height: 0,
      sampleRate: c.sampleRate,
      channels: c.channels,
      config,
    };
  }
  const h = parseOpusHead(config);
  // Opus always decodes at 48 kHz, whatever the input rate (RFC 7845 §5.1); its timescale is 48000.
  const entry = opusSampleEntry(h);
  return {
    id,
    kind: 'audio',
    codec,
    timescale: 48_000,
    sampleEntry: entry,
    codecString: 'opus',
    width: 0,
    height: 0,
    sampleRate: 48_000,
    channels: h.channels,
    config,
  };
}
