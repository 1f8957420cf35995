/**
 * MPEG-1/2 audio in TS (stream_type 0x03 / 0x04): each MP3 frame (ISO/IEC 11172-3 §2.4.2.3, 13818-3)
 * becomes one FLV tag body of SoundFormat 2 (FLV 10.1 §E.4.2.1), which has no decoder configuration; layer
 * I/II frames (MP2, DVB's audio) are refused once, as FLV has no form for them. Frames cut by the end of a
 * PES are finished from the next one, as in adts-audio.ts.
 */
import { MediaType, mediaMessage, type MediaMessage } from '../media.ts';
import type { AudioConfigInfo, ClockFn } from './adts-audio.ts';
import type { TsErrorReport, TsDemuxStats } from './ts-demux-stats.ts';

/** Bitrates in kbit/s by [MPEG-1 ? 0 : 1][layer 1..3 - 1][index] (index 0 is free format, 15 is invalid). */
const BITRATES = [
  [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
  [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
];
/** Sample rates by version bits (0 MPEG-2.5, 2 MPEG-2, 3 MPEG-1) and index. */
const RATES: Record<number, number[]> = { 0: [11025, 12000, 8000], 2: [22050, 24000, 16000], 3: [44100, 48000, 32000] };
/** The longest frame: layer 1 at 448 kbit/s and 32 kHz. */
const MAX_FRAME = 2881;

/** One frame header, read. */
interface FrameHeader {
  layer: number;
  length: number;
  samples: number;
  rate: number;
  channels: number;
}

/** The header at `b[p..p+4)`, or undefined if it is not a valid one. */
function readHeader(b: Buffer, p: number): FrameHeader | undefined {
  if (b[p] !== 0xff || (b[p + 1]! & 0xe0) !== 0xe0) return undefined;
  const version = (b[p + 1]! >> 3) & 0x03; // 1 is reserved
  const layerBits = (b[p + 1]! >> 1) & 0x03; // 3 layer I, 2 layer II, 1 layer III, 0 reserved
  const bitrateIndex = b[p + 2]! >> 4;
  const rateIndex = (b[p + 2]! >> 2) & 0x03;
  if (version === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3)
    return undefined;
  const layer = 4 - layerBits;
  const mpeg1 = version === 3;
  const kbps = BITRATES[mpeg1 ? 0 : 1]![layer - 1]![bitrateIndex]!;
  const rate = RATES[version]![rateIndex]!;
  const padding = (b[p + 2]! >> 1) & 0x01;
  const length =
    layer === 1
      ? (Math.floor((12 * kbps * 1000) / rate) + padding) * 4
      : Math.floor(((layer === 3 && !mpeg1 ? 72 : 144) * kbps * 1000) / rate) + padding;
  const samples = layer === 1 ? 384 : layer === 3 && !mpeg1 ? 576 : 1152;
  const channels = b[p + 3]! >> 6 === 3 ? 1 : 2;
  return { layer, length, samples, rate, channels };
}

/** Turns the MPEG audio frames of one PID into FLV MP3 tag bodies. */
export class MpegAudio {
  private readonly stats: TsDemuxStats;
  private readonly report: TsErrorReport;
  info: AudioConfigInfo | undefined;
  private readonly carry = Buffer.allocUnsafe(MAX_FRAME);
  private carryLen = 0;
  private carryTime = 0;
  private refusedLayer = false;
  /** The 90 kHz time the next frame would have: for a PES that comes without a PTS. */
  nextTime = 0;

  constructor(stats: TsDemuxStats, report: TsErrorReport) {
    this.stats = stats;
    this.report = report;
  }

  /** Forgets a frame cut by the end of the last PES (the next one was lost). */
  reset(): void {
    this.carryLen = 0;
  }

  /** Converts the frames in `b[start..end)`, the first starting in it at unwrapped 90 kHz time `t90`; true when the format changed. */
  push(b: Buffer, start: number, end: number, t90: number, clock: ClockFn, out: MediaMessage[]): boolean {
    let configured = false;
    let carried = 0;
    if (this.carryLen > 0) {
      carried = this.carryLen;
      b = Buffer.concat([this.carry.subarray(0, this.carryLen), b.subarray(start, end)]);
      this.carryLen = 0;
      start = 0;
      end = b.length;
    }
    let pos = start;
    let time = carried > 0 ? this.carryTime : t90;
    let resynced = false;
    while (end - pos >= 4) {
      if (carried > 0 && pos >= carried) {
        time = t90;
        carried = 0;
      }
      const h = readHeader(b, pos);
      if (h === undefined) {
        if (!resynced) this.report('TS_ES_INVALID', 'bytes between MPEG audio frames');
        resynced = true;
        const next = b.indexOf(0xff, pos + 1);
        pos = next < 0 || next >= end ? end : next;
        continue;
      }
      if (pos + h.length > end) break;
      if (h.layer !== 3) {
        // FLV's SoundFormat 2 is MP3: MP2 (DVB's audio) has no FLV form, and FFmpeg's MP3 decoder refuses it.
        if (!this.refusedLayer) this.report('TS_ES_INVALID', `MPEG audio layer ${h.layer} has no FLV form`);
        this.refusedLayer = true;
        pos += h.length;
        time += (h.samples * 90000) / h.rate;
        continue;
      }
      if (this.info?.sampleRate !== h.rate || this.info.channels !== h.channels) {
        this.info = { codec: 'mp3', sampleRate: h.rate, channels: h.channels };
        configured = true;
      }
      const body = Buffer.allocUnsafe(1 + h.length);
      // SoundFormat 2 (MP3), the nearest SoundRate (FFmpeg's parser reads the real one), 16-bit, mono or stereo.
      const rateBits = h.rate >= 44100 ? 3 : h.rate >= 22050 ? 2 : h.rate >= 11025 ? 1 : 0;
      body[0] = 0x20 | (rateBits << 2) | 0x02 | (h.channels === 2 ? 1 : 0);
      b.copy(body, 1, pos, pos + h.length);
      out.push(mediaMessage(MediaType.Audio, clock(time), body));
      this.stats.frames++;
      pos += h.length;
      time += (h.samples * 90000) / h.rate;
    }
    this.nextTime = time;
    if (end - pos > 0 && end - pos < MAX_FRAME && b[pos] === 0xff) {
      b.copy(this.carry, 0, pos, end);
      this.carryLen = end - pos;
      this.carryTime = time;
    }
    return configured;
  }
}
