/**
 * The AAC side of the TS demuxer: a PES of stream_type 0x0F holds one or more ADTS frames (ISO/IEC
 * 13818-7 §6.2, ISO/IEC 14496-3 §1.A.2); each becomes one FLV AAC tag body (FLV 10.1 §E.4.2.2) with its
 * own time, and the AudioSpecificConfig the ADTS header implies goes out first and again when it changes.
 * A frame cut by the end of a PES is completed from the next one, as some hardware encoders cut them.
 */
import { MediaType, mediaMessage, type MediaMessage } from '../media.ts';
import type { TsErrorReport, TsDemuxStats } from './ts-demux-stats.ts';

/** samplingFrequencyIndex to Hz (ISO/IEC 14496-3 Table 1.18). */
const SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
/** frame_length is 13 bits. */
const MAX_FRAME = 0x1fff;
/** FLV SoundFormat 10 (AAC) with the rate, size and type bits players expect for AAC: 0xAF. */
const FLV_AAC = 0xaf;

/** What the AudioSpecificConfig says, for onMetaData. */
export interface AudioConfigInfo {
  readonly codec: 'aac' | 'opus' | 'mp3';
  readonly sampleRate: number;
  readonly channels: number;
}

/** A point on the output timeline: unwrapped 90 kHz time in, milliseconds out. */
export type ClockFn = (t90: number) => number;

/** Turns the ADTS frames of one PID into FLV AAC tag bodies. */
export class AdtsAudio {
  private readonly stats: TsDemuxStats;
  private readonly report: TsErrorReport;
  /** The 2-byte ADTS fields that make up the config (profile, rate index, channels), -1 before the first. */
  private configKey = -1;
  info: AudioConfigInfo | undefined;
  /** The start of a frame the last PES cut off, and the 90 kHz time it would have had. */
  private readonly carry = Buffer.allocUnsafe(MAX_FRAME);
  private carryLen = 0;
  private carryTime = 0;
  /** The 90 kHz time the next frame would have: for a PES that comes without a PTS. */
  nextTime = 0;

  constructor(stats: TsDemuxStats, report: TsErrorReport) {
    this.stats = stats;
    this.report = report;
  }

  /** Forgets a frame cut by the end of the last PES: the PES after it was lost, so it cannot be finished. */
  reset(): void {
    this.carryLen = 0;
  }

  /** Converts the ADTS frames in `b[start..end)` whose first frame starts at unwrapped 90 kHz time `t90`. */
  push(b: Buffer, start: number, end: number, t90: number, clock: ClockFn, out: MediaMessage[]): boolean {
    let configured = false;
    let carried = 0;
    if (this.carryLen > 0) {
      // Finish the cut frame with this PES's first bytes; its time is the one predicted for it.
      carried = this.carryLen;
      const joined = Buffer.concat([this.carry.subarray(0, this.carryLen), b.subarray(start, end)]);
      this.carryLen = 0;
      b = joined;
      start = 0;
      end = joined.length;
    }
    let pos = start;
    let time = carried > 0 ? this.carryTime : t90;
    let resynced = false;
    while (end - pos >= 7) {
      if (carried > 0 && pos >= carried) {
        // The first frame that starts in this PES: the PES's PTS is its time (ISO/IEC 13818-1 §2.4.3.7).
        time = t90;
        carried = 0;
      }
      if (b[pos] !== 0xff || (b[pos + 1]! & 0xf6) !== 0xf0) {
        // Not a syncword (or layer not 0): look for the next one.
        if (!resynced) this.report('TS_ES_INVALID', 'bytes between ADTS frames');
        resynced = true;
        const next = b.indexOf(0xff, pos + 1);
        pos = next < 0 || next >= end ? end : next;
        continue;
      }
      const frameLength = ((b[pos + 3]! & 0x03) << 11) | (b[pos + 4]! << 3) | (b[pos + 5]! >> 5);
      const headerLength = b[pos + 1]! & 0x01 ? 7 : 9;
      const rateIndex = (b[pos + 2]! >> 2) & 0x0f;
      if (frameLength <= headerLength || rateIndex > 12) {
        if (!resynced)
          this.report('TS_ES_INVALID', `an ADTS header with frame_length ${frameLength}, rate index ${rateIndex}`);
        resynced = true;
        pos++;
        continue;
      }
      if (pos + frameLength > end) break; // cut by the end of the PES
      const duration = (((b[pos + 6]! & 0x03) + 1) * 1024 * 90000) / SAMPLE_RATES[rateIndex]!;
      if ((b[pos + 6]! & 0x03) !== 0) {
        // Several raw_data_blocks in one frame cannot be split without their CRC positions; ffmpeg and
        // every encoder we know write one block per frame.
        this.report('TS_ES_INVALID', 'an ADTS frame with several raw data blocks');
      } else {
        if (this.config(b, pos, time, clock, out)) configured = true;
        if (this.info !== undefined) {
          const body = Buffer.allocUnsafe(2 + frameLength - headerLength);
          body[0] = FLV_AAC;
          body[1] = 1; // AACPacketType 1: raw frame
          b.copy(body, 2, pos + headerLength, pos + frameLength);
          out.push(mediaMessage(MediaType.Audio, clock(time), body));
          this.stats.frames++;
        }
      }
      pos += frameLength;
      time += duration;
    }
    this.nextTime = time;
    if (end - pos > 0 && end - pos < MAX_FRAME && b[pos] === 0xff) {
      b.copy(this.carry, 0, pos, end);
      this.carryLen = end - pos;
      this.carryTime = time;
    }
    return configured;
  }

  /** Appends the AudioSpecificConfig when the ADTS header at `pos` differs from the last; true if one went out. */
  private config(b: Buffer, pos: number, time: number, clock: ClockFn, out: MediaMessage[]): boolean {
    const key = ((b[pos + 2]! & 0xfd) << 8) | (b[pos + 3]! & 0xc0); // all but private_bit and the frame fields
    if (key === this.configKey) return false;
    const profile = b[pos + 2]! >> 6; // profile_ObjectType: the Audio Object Type minus one
    const rateIndex = (b[pos + 2]! >> 2) & 0x0f;
    const channels = ((b[pos + 2]! & 0x01) << 2) | (b[pos + 3]! >> 6);
    if (channels === 0) {
      // Channel configuration 0 puts a program_config_element in the first raw block, which FLV's
      // AudioSpecificConfig would need to carry: not supported (no encoder we know sends it in TS).
      if (this.configKey !== key) this.report('TS_ES_INVALID', 'ADTS with channel configuration 0');
      this.configKey = key;
      this.info = undefined;
      return false;
    }
    this.configKey = key;
    const aot = profile + 1;
    const asc = Buffer.from([0xaf, 0, (aot << 3) | (rateIndex >> 1), ((rateIndex & 1) << 7) | (channels << 3)]);
    out.push(mediaMessage(MediaType.Audio, clock(time), asc));
    this.info = { codec: 'aac', sampleRate: SAMPLE_RATES[rateIndex]!, channels: channels === 7 ? 8 : channels };
    return true;
  }
}
