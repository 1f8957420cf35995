/**
 * Detects the push errors Tencent CSS reports as event 321 (tencent-css.md §4.4): timestamps going back
 * or jumping, frames arriving late, codec changes, frames before their codec header, GOPs over 10 s and
 * chunks over 8192 bytes. It runs on the ingest path, so each message costs a few comparisons on plain
 * fields; strings are built only when something is wrong, and the details kept per interval are capped.
 */
import { MediaType, type MediaMessage } from '../../protocol/media.ts';

/** The event 321 error types openlive detects (Tencent's numbers). */
export const pushErrorTypes = {
  videoTimestampBack: 1,
  audioTimestampBack: 2,
  videoTimestampJump: 3,
  audioTimestampJump: 4,
  chunkSizeTooLarge: 5,
  videoArrivalGap: 6,
  audioArrivalGap: 7,
  videoCodecChanged: 8,
  audioCodecChanged: 9,
  videoBeforeHeader: 10,
  audioBeforeHeader: 11,
  gopTooLong: 16,
} as const;

/** The limits behind the types: Tencent's current numbers (§4.4: video gap 3000 ms, audio gap 1000 ms). */
export const pushErrorLimits = {
  timestampJumpMs: 1000,
  videoArrivalGapMs: 3000,
  audioArrivalGapMs: 1000,
  maxChunkSize: 8192,
  maxGopMs: 10_000,
} as const;

/** One occurrence: what happened and when it was seen (Unix ms). */
export interface PushErrorDetail {
  readonly desc: string;
  readonly occurTime: number;
}

/** One type's occurrences within a reporting interval. */
export interface PushErrorCount {
  readonly type: number;
  readonly count: number;
  /** The first occurrences (at most maxDetailsPerType); `count` keeps counting past them. */
  readonly details: readonly PushErrorDetail[];
}

/** Details kept per type and interval, so a broken encoder cannot grow memory between reports. */
export const maxDetailsPerType = 10;

const typeSlots = 17;
/** Legacy FLV video CodecIDs that need a decoder configuration first (FLV 10.1 §E.4.3.1). */
const CodecAvc = 7;
const CodecHevcLegacy = 12;
const SoundAac = 10;
const SoundExHeader = 9;
/** Enhanced RTMP audio FourCCs whose frames need a SequenceStart first. */
const fourCcMp4a = 0x6d703461;
const fourCcOpus = 0x4f707573;

/** Per-track state: plain numbers, no allocation per message. */
class Track {
  lastTs = -1;
  lastArrival = -1;
  codec = -1;
  headerSeen = false;
}

/** Counts push errors of one publish between reports. */
export class PushErrorDetector {
  private readonly video = new Track();
  private readonly audio = new Track();
  private gopStartTs = -1;
  private gopFlagged = false;
  private readonly counts: number[] = new Array<number>(typeSlots).fill(0);
  private readonly details: PushErrorDetail[][] = Array.from({ length: typeSlots }, () => []);
  private pending = false;

  /** Checks one media message received at `now` (Unix ms). */
  onMessage(message: MediaMessage, now: number): void {
    const p = message.payload;
    if (p.length === 0) return;
    if (message.type === MediaType.Video) this.onVideo(message, p, now);
    else if (message.type === MediaType.Audio) this.onAudio(message, p, now);
  }

  /** Checks the chunk size the encoder announced (RTMP 1.0 §5.4.1 Set Chunk Size). */
  onChunkSize(size: number, now: number): void {
    if (size > pushErrorLimits.maxChunkSize) {
      this.add(
        pushErrorTypes.chunkSizeTooLarge,
        now,
        `chunk size too big, chunk size=${size}, bigger than ${pushErrorLimits.maxChunkSize}`,
      );
    }
  }

  /** True when something was counted since the last report. */
  get hasErrors(): boolean {
    return this.pending;
  }

  /** The counts since the last report, by type, and starts a new interval; undefined when nothing happened. */
  takeReport(): PushErrorCount[] | undefined {
    if (!this.pending) return undefined;
    const report: PushErrorCount[] = [];
    for (let type = 0; type < typeSlots; type++) {
      const count = this.counts[type]!;
      if (count === 0) continue;
      report.push({ type, count, details: this.details[type]! });
      this.counts[type] = 0;
      this.details[type] = [];
    }
    this.pending = false;
    return report;
  }

  private onVideo(m: MediaMessage, p: Buffer, now: number): void {
    const b0 = p[0]!;
    const ex = (b0 & 0x80) !== 0;
    // Enhanced RTMP: IsExHeader | FrameType(3) | PacketType(4), then a FourCC (enhanced-rtmp v2 §2.3).
    const codec = ex ? (p.length >= 5 ? p.readUInt32BE(1) : -1) : b0 & 0x0f;
    this.checkCodec(this.video, codec, m.sequenceHeader, now, 'video', pushErrorTypes.videoCodecChanged);
    if (m.sequenceHeader) return;
    const frameType = (b0 >> 4) & 0x07;
    let frame: boolean;
    if (ex) frame = (b0 & 0x0f) === 1 || (b0 & 0x0f) === 3;
    else if (codec === CodecAvc || codec === CodecHevcLegacy) frame = p.length >= 2 && p[1] === 1;
    else frame = frameType !== 5;
    if (!frame) return;
    if (!this.video.headerSeen && (ex || codec === CodecAvc || codec === CodecHevcLegacy)) {
      this.add(
        pushErrorTypes.videoBeforeHeader,
        now,
        `video frame before its codec header, codec=${codecName('video', codec)}`,
      );
    }
    this.checkTiming(this.video, m.timestamp, now, 'video');
    this.checkGop(m, now);
  }

  private onAudio(m: MediaMessage, p: Buffer, now: number): void {
    const format = p[0]! >> 4;
    const ex = format === SoundExHeader;
    const codec = ex ? (p.length >= 5 ? p.readUInt32BE(1) : -1) : format;
    this.checkCodec(this.audio, codec, m.sequenceHeader, now, 'audio', pushErrorTypes.audioCodecChanged);
    if (m.sequenceHeader) return;
    let frame: boolean;
    if (ex) frame = (p[0]! & 0x0f) === 1;
    else if (format === SoundAac) frame = p.length >= 2 && p[1] === 1;
    else frame = true;
    if (!frame) return;
    const needsHeader = ex ? codec === fourCcMp4a || codec === fourCcOpus : format === SoundAac;
    if (needsHeader && !this.audio.headerSeen) {
      this.add(
        pushErrorTypes.audioBeforeHeader,
        now,
        `audio frame before its codec header, codec=${codecName('audio', codec)}`,
      );
    }
    this.checkTiming(this.audio, m.timestamp, now, 'audio');
  }

  private checkCodec(
    track: Track,
    codec: number,
    header: boolean,
    now: number,
    kind: 'video' | 'audio',
    type: number,
  ): void {
    if (codec === -1) return;
    if (track.codec !== -1 && codec !== track.codec) {
      this.add(type, now, `${kind} codec changed from ${codecName(kind, track.codec)} to ${codecName(kind, codec)}`);
      // The new codec needs its own configuration before its frames.
      track.headerSeen = false;
    }
    track.codec = codec;
    if (header) track.headerSeen = true;
  }

  private checkTiming(track: Track, ts: number, now: number, kind: 'video' | 'audio'): void {
    const video = kind === 'video';
    if (track.lastTs >= 0) {
      // Timestamps are unsigned 32-bit (RTMP 1.0 §5.3.1.2): the signed difference survives the wrap.
      const delta = (ts - track.lastTs) | 0;
      if (delta < 0) {
        const type = video ? pushErrorTypes.videoTimestampBack : pushErrorTypes.audioTimestampBack;
        this.add(type, now, `${kind} timestamp went back, last=${track.lastTs} current=${ts}`);
      } else if (delta > pushErrorLimits.timestampJumpMs) {
        const type = video ? pushErrorTypes.videoTimestampJump : pushErrorTypes.audioTimestampJump;
        this.add(type, now, `${kind} timestamp jumped, last=${track.lastTs} current=${ts} diff=${delta}(msec)`);
      }
    }
    track.lastTs = ts;
    const limit = video ? pushErrorLimits.videoArrivalGapMs : pushErrorLimits.audioArrivalGapMs;
    if (track.lastArrival >= 0 && now - track.lastArrival > limit) {
      const type = video ? pushErrorTypes.videoArrivalGap : pushErrorTypes.audioArrivalGap;
      this.add(type, now, `${kind} frame arrive interval too long, interval=${now - track.lastArrival}(msec)`);
    }
    track.lastArrival = now;
  }

  /** A GOP is the time from one keyframe to the next, by timestamp; flagged once, as soon as it passes 10 s. */
  private checkGop(m: MediaMessage, now: number): void {
    if (m.keyframe || this.gopStartTs < 0) {
      this.gopStartTs = m.timestamp;
      this.gopFlagged = false;
      return;
    }
    const length = (m.timestamp - this.gopStartTs) | 0;
    if (!this.gopFlagged && length > pushErrorLimits.maxGopMs) {
      this.gopFlagged = true;
      this.add(
        pushErrorTypes.gopTooLong,
        now,
        `gop too large, no keyframe for ${length}(msec), bigger than ${pushErrorLimits.maxGopMs}(msec)`,
      );
    }
  }

  private add(type: number, now: number, desc: string): void {
    this.counts[type]!++;
    const details = this.details[type]!;
    if (details.length < maxDetailsPerType) details.push({ desc, occurTime: now });
    this.pending = true;
  }
}

/** A readable codec name for the descriptions: FLV CodecID/SoundFormat names or the Enhanced RTMP FourCC. */
export function codecName(kind: 'video' | 'audio', codec: number): string {
  if (codec > 0xffff)
    return String.fromCharCode((codec >>> 24) & 0xff, (codec >>> 16) & 0xff, (codec >>> 8) & 0xff, codec & 0xff);
  const names: Record<number, string> =
    kind === 'video'
      ? { 2: 'H263', 3: 'ScreenVideo', 4: 'VP6', 5: 'VP6A', 6: 'ScreenVideo2', 7: 'H264', 12: 'H265' }
      : { 0: 'PCM', 1: 'ADPCM', 2: 'MP3', 3: 'PCM_LE', 7: 'G711A', 8: 'G711U', 10: 'AAC', 11: 'Speex', 14: 'MP3_8K' };
  return names[codec] ?? `${kind === 'video' ? 'CodecID' : 'SoundFormat'} ${codec}`;
}
