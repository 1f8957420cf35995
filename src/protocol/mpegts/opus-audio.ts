/**
 * Opus in MPEG-TS (ETSI TS 102 366 style mapping from the Opus-in-TS draft, as FFmpeg reads and writes
 * it): stream_type 0x06 with registration descriptor `Opus`; each access unit has a control header
 * (prefix 0x3FF, trim flags, au_size in 0xFF-continued bytes). Each Opus packet becomes one Enhanced
 * RTMP audio tag body (`Opus` FourCC, CodedFrames), after an OpusHead (RFC 7845 §5.1) SequenceStart.
 */
import { MediaType, mediaMessage, type MediaMessage } from '../media.ts';
import type { AudioConfigInfo, ClockFn } from './adts-audio.ts';
import type { TsErrorReport, TsDemuxStats } from './ts-demux-stats.ts';

const OPUS = Buffer.from('Opus', 'latin1');
/** Enhanced RTMP ExAudioTagHeader: SoundFormat 9 (ExHeader) with AudioPacketType 0 SequenceStart / 1 CodedFrames. */
const SEQUENCE_START = 0x90;
const CODED_FRAMES = 0x91;
/** Frame duration in 48 kHz samples per TOC config (RFC 6716 §3.1, Table 2). */
const FRAME_SAMPLES = [
  480,
  960,
  1920,
  2880,
  480,
  960,
  1920,
  2880,
  480,
  960,
  1920,
  2880, // SILK NB, MB, WB: 10/20/40/60 ms
  480,
  960,
  480,
  960, // Hybrid SWB, FB: 10/20 ms
  120,
  240,
  480,
  960,
  120,
  240,
  480,
  960,
  120,
  240,
  480,
  960,
  120,
  240,
  480,
  960, // CELT: 2.5/5/10/20 ms
];

/** Turns the Opus access units of one PID into Enhanced RTMP audio tag bodies. */
export class OpusAudio {
  private readonly channels: number;
  private readonly stats: TsDemuxStats;
  private readonly report: TsErrorReport;
  info: AudioConfigInfo | undefined;
  /** The 90 kHz time the next packet would have: for a PES that comes without a PTS. */
  nextTime = 0;

  /** `channelConfig` is the extension descriptor's channel_config_code (-1 without one: stereo, as FFmpeg assumes). */
  constructor(channelConfig: number, stats: TsDemuxStats, report: TsErrorReport) {
    this.channels = channelConfig < 0 ? 2 : channelConfig;
    this.stats = stats;
    this.report = report;
  }

  /** Converts the access units in `b[start..end)`, the first at unwrapped 90 kHz time `t90`; true if the OpusHead went out. */
  push(b: Buffer, start: number, end: number, t90: number, clock: ClockFn, out: MediaMessage[]): boolean {
    let configured = false;
    if (this.info === undefined) {
      if (this.channels < 1 || this.channels > 2) {
        // Channel mapping family 1 needs the stream and coupling tables a code above 2 implies; not done yet.
        this.report('TS_ES_INVALID', `Opus channel_config_code ${this.channels} is not supported`);
        return false;
      }
      out.push(
        mediaMessage(
          MediaType.Audio,
          clock(t90),
          Buffer.concat([Buffer.from([SEQUENCE_START]), OPUS, opusHead(this.channels)]),
        ),
      );
      this.info = { codec: 'opus', sampleRate: 48000, channels: this.channels };
      configured = true;
    }
    let pos = start;
    let time = t90;
    while (end - pos >= 2) {
      if (b[pos] !== 0x7f || (b[pos + 1]! & 0xe0) !== 0xe0) {
        this.report('TS_ES_INVALID', 'an Opus access unit without its control header');
        break;
      }
      const flags = b[pos + 1]!;
      pos += 2;
      let size = 0;
      while (pos < end) {
        const v = b[pos++]!;
        size += v;
        if (v !== 0xff) break;
      }
      if (flags & 0x10) pos += 2; // start_trim
      if (flags & 0x08) pos += 2; // end_trim
      if (flags & 0x04 && pos < end) pos += 1 + b[pos]!; // control_extension
      if (size === 0 || pos + size > end) {
        this.report('TS_ES_INVALID', `an Opus au_size of ${size} runs past the PES`);
        break;
      }
      const body = Buffer.allocUnsafe(5 + size);
      body[0] = CODED_FRAMES;
      OPUS.copy(body, 1);
      b.copy(body, 5, pos, pos + size);
      out.push(mediaMessage(MediaType.Audio, clock(time), body));
      this.stats.frames++;
      time += (packetSamples(b, pos, size) * 90000) / 48000;
      pos += size;
    }
    this.nextTime = time;
    return configured;
  }
}

/** The samples (at 48 kHz) of one Opus packet from its TOC byte and frame count (RFC 6716 §3.1, §3.2.5). */
function packetSamples(b: Buffer, at: number, size: number): number {
  const toc = b[at]!;
  const code = toc & 0x03;
  const frames = code === 0 ? 1 : code === 3 ? (size > 1 ? b[at + 1]! & 0x3f : 1) : 2;
  return FRAME_SAMPLES[toc >> 3]! * frames;
}

/** An OpusHead for mapping family 0 (RFC 7845 §5.1): mono or stereo, 48 kHz, no pre-skip or gain. */
function opusHead(channels: number): Buffer {
  const h = Buffer.alloc(19);
  h.write('OpusHead', 0, 'latin1');
  h[8] = 1; // version
  h[9] = channels;
  h.writeUInt16LE(312, 10); // pre-skip: libopus's default at 48 kHz
  h.writeUInt32LE(48000, 12); // input sample rate
  h.writeInt16LE(0, 16); // output gain
  h[18] = 0; // channel mapping family 0
  return h;
}
