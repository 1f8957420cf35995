/**
 * Cuts one stream's MPEG-TS into HLS segments and partial segments, as a hub MediaTap: each
 * published message is muxed once, synchronously, and appended to the part being built. Segments
 * start on a video keyframe (any audio frame when there is no video) once the target duration is
 * reached, so they are never shorter than a GOP (RFC 8216 §6.2.4 wants each to start decodable).
 */
import { Buffer } from 'node:buffer';
import type { MediaTap } from '../../hub/media-tap.ts';
import type { MediaMessage } from '../../protocol/media.ts';
import { LiveError } from '../../errors.ts';
import { HlsSegment, type HlsInit } from './hls-segment.ts';

/** One muxed media message (protocol/mpegts/ts-muxer.ts TsChunk). */
export interface SegmentChunk {
  readonly bytes: Buffer;
  /** 90 kHz, unwrapped past 33 bits. */
  readonly pts: number;
  readonly dts: number;
  readonly keyframe: boolean;
  readonly track: 'video' | 'audio';
  /** Media bytes it stands for when `bytes` is empty (fMP4 muxes at `cut()`); counts toward maxSegmentBytes. */
  readonly size?: number;
}

/** What the segmenter needs of the MPEG-TS muxer (protocol/mpegts/ts-muxer.ts TsMuxer). */
export interface SegmentMuxer {
  push(msg: MediaMessage): SegmentChunk | undefined;
  /**
   * PAT and PMT, written at the start of every part so each can be demuxed on its own (TsMuxer
   * already leads each video keyframe's chunk with them).
   */
  tables(): Buffer;
  readonly hasVideo: boolean;
  readonly hasAudio: boolean;
  /**
   * fMP4: muxers that build a part's bytes when it closes (a moof + mdat) rather than per message. The
   * part is everything pushed before the newest message, or, `final`, everything pushed.
   */
  cut?(final: boolean): Buffer;
  /** fMP4: drops the media pushed before the newest message (no segment is open to take it). */
  skip?(): void;
  /** fMP4: the init segment a segment opened now decodes with; its media before now is dropped. */
  openSegment?(): HlsInit | undefined;
}

/** Told about every change, synchronously, inside the publisher's call. */
export interface SegmenterListener {
  /** A part closed, a segment opened or completed, or the publisher left. */
  changed(): void;
  /** A segment is complete (its bytes and duration are final). */
  segmentComplete(segment: HlsSegment): void;
}

/** How a Segmenter is built. */
export interface SegmenterOptions {
  readonly segmentTargetMs: number;
  /** Partial segment target; undefined makes one part per segment (no LL-HLS). */
  readonly partTargetMs: number | undefined;
  /** A fresh muxer per publisher: codecs, continuity counters and timestamps restart with it. */
  readonly newMuxer: () => SegmentMuxer;
  readonly now: () => number;
  readonly listener: SegmenterListener;
  /** A message the muxer refused (TS_MUX_INPUT); it is skipped. */
  readonly onError?: (err: unknown) => void;
  /**
   * Cap of the segment in progress: an encoder that stops sending keyframes would grow it without
   * end, so past this it is dropped (and the next keyframe starts a discontinuous segment).
   */
  readonly maxSegmentBytes?: number;
}

const ticksPerMs = 90;
// A keyframe this close to the target still cuts: ms timestamps of 29.97 fps land a hair short of it.
const cutSlackTicks = 20 * ticksPerMs;
// A timeline step beyond these is a jump (encoder restart without unpublish), not a frame interval.
const maxForwardJumpTicks = 10_000 * ticksPerMs;
const maxBackwardJumpTicks = 1000 * ticksPerMs;
// Duration of a lone last frame when no interval was ever seen (one frame at 25 fps).
const fallbackStepTicks = 40 * ticksPerMs;

/** The part being filled. */
interface OpenPart {
  readonly index: number;
  readonly startDts: number;
  readonly independent: boolean;
  readonly chunks: Buffer[];
}

/** Turns one stream's media messages into HLS segments; one per stream, shared by all viewers. */
export class Segmenter implements MediaTap {
  readonly #o: SegmenterOptions;
  readonly #targetTicks: number;
  readonly #partTicks: number;
  #muxer: SegmentMuxer | undefined;
  #current: HlsSegment | undefined;
  #part: OpenPart | undefined;
  #nextMsn = 0;
  #discontinuities = 0;
  #pendingDiscontinuity = false;
  /** End wall time of the previous segment of this publish, so PROGRAM-DATE-TIME runs without gaps. */
  #wallEnd: number | undefined;
  /** Newest dts of any track, the live edge. */
  #edgeDts = -Infinity;
  #lastDts: number | undefined;
  #lastStep = 0;
  #prevStep = 0;
  /** Bytes of the segment in progress. */
  #openBytes = 0;
  /** The publisher left and may return within the hub's reconnect grace: the playlist stays live. */
  #paused = false;

  constructor(options: SegmenterOptions) {
    this.#o = options;
    this.#targetTicks = options.segmentTargetMs * ticksPerMs;
    this.#partTicks = (options.partTargetMs ?? 0) * ticksPerMs;
  }

  /** The segment being built (its closed parts are listed in LL-HLS playlists), if any. */
  get current(): HlsSegment | undefined {
    return this.#current;
  }

  /** The Media Sequence Number the next segment will get. */
  get nextMsn(): number {
    return this.#nextMsn;
  }

  /** Whether a publisher is feeding the segmenter, or may return to it (reconnect grace). */
  get live(): boolean {
    return this.#muxer !== undefined || this.#paused;
  }

  /** The muxer of the current publisher (codecs, tracks), if live. */
  get muxer(): SegmentMuxer | undefined {
    return this.#muxer;
  }

  /** A new publisher: a new muxer, and a discontinuity if segments came before. */
  publisherStarted(): void {
    if (this.#muxer) this.#end(true);
    this.#paused = false;
    this.#muxer = this.#o.newMuxer();
    this.#pendingDiscontinuity ||= this.#nextMsn > 0;
    this.#wallEnd = undefined;
    this.#edgeDts = -Infinity;
    this.#lastDts = undefined;
    this.#lastStep = this.#prevStep = 0;
  }

  /** Muxes one message and files its chunk; synchronous, never waits. */
  media(msg: MediaMessage): void {
    const muxer = this.#muxer;
    if (!muxer) return;
    let chunk: SegmentChunk | undefined;
    try {
      chunk = muxer.push(msg);
    } catch (err) {
      this.#o.onError?.(err);
      return;
    }
    if (chunk) this.#file(chunk, muxer);
  }

  /** The publisher left: the segment in progress is completed with what it has. */
  publisherEnded(): void {
    this.#end(true);
    this.#muxer = undefined;
    this.#paused = false;
    this.#o.listener.changed();
  }

  /**
   * The publisher left and may return (the hub's reconnect grace): the segment in progress is
   * completed so players get its media now, and the playlist stays live (no ENDLIST) while it waits.
   * A returning publisher gets a new muxer (its codecs may differ) and its first segment carries
   * EXT-X-DISCONTINUITY (RFC 8216 §4.3.2.3: encoding parameters and timestamps may change there).
   */
  publisherPaused(): void {
    this.#end(true);
    this.#muxer = undefined;
    this.#paused = true;
    this.#o.listener.changed();
  }

  #file(c: SegmentChunk, muxer: SegmentMuxer): void {
    if (c.dts > this.#edgeDts) this.#edgeDts = c.dts;
    const timeline = c.track === (muxer.hasVideo ? 'video' : 'audio');
    const startable = timeline && (c.track === 'audio' || c.keyframe);
    const last = this.#lastDts;
    if (timeline && last !== undefined) {
      const step = c.dts - last;
      if (step > maxForwardJumpTicks || step < -maxBackwardJumpTicks) {
        // A timestamp jump inside one publish: close what we have and start over, discontinuous.
        this.#end(false);
        this.#pendingDiscontinuity = true;
        this.#lastDts = undefined;
        this.#edgeDts = c.dts;
      } else if (step > 0) {
        this.#prevStep = this.#lastStep;
        this.#lastStep = step;
      }
    }
    const seg = this.#current;
    if (!seg) {
      if (!startable) {
        muxer.skip?.(); // nothing decodable to start a segment on yet; fMP4 media held for it goes
        return;
      }
      this.#open(c);
    } else if (timeline && this.#lastDts !== undefined && c.dts > this.#lastDts) {
      if (startable && c.dts - seg.startDts >= this.#targetTicks - cutSlackTicks) {
        this.#closeSegment(c.dts, false);
        this.#open(c);
      } else if (this.#partFull(c.dts)) {
        this.#closePart(c.dts, false);
        this.#part = {
          index: seg.parts.length,
          startDts: c.dts,
          independent: startable,
          chunks: this.#tablesBefore(c),
        };
        this.#o.listener.changed();
      }
    }
    if (timeline && (this.#lastDts === undefined || c.dts > this.#lastDts)) this.#lastDts = c.dts;
    this.#part!.chunks.push(c.bytes);
    this.#openBytes += c.size ?? c.bytes.length;
    if (this.#openBytes > (this.#o.maxSegmentBytes ?? Infinity)) this.#discard();
  }

  /**
   * Whether the open part must close before a frame at `dts`: taking it would make the part end one
   * frame interval later, past PART-TARGET (RFC 8216bis §4.4.4.9: no part may be longer).
   */
  #partFull(dts: number): boolean {
    const part = this.#part;
    if (this.#partTicks === 0 || !part) return false;
    const step = Math.max(this.#lastStep, this.#prevStep);
    return dts > part.startDts && dts - part.startDts + step > this.#partTicks;
  }

  #open(c: SegmentChunk): void {
    const discontinuity = this.#pendingDiscontinuity;
    this.#pendingDiscontinuity = false;
    if (discontinuity) this.#discontinuities++;
    this.#current = new HlsSegment(this.#nextMsn++, c.dts, discontinuity, this.#discontinuities);
    this.#current.map = this.#muxer!.openSegment?.();
    this.#openBytes = 0;
    this.#part = { index: 0, startDts: c.dts, independent: true, chunks: this.#tablesBefore(c) };
    this.#lastDts = c.dts;
    this.#o.listener.changed();
  }

  /** PAT and PMT to open a part with, unless its first chunk (a video keyframe) carries them already. */
  #tablesBefore(c: SegmentChunk): Buffer[] {
    return c.track === 'video' && c.keyframe ? [] : [this.#muxer!.tables()];
  }

  /** Drops the segment in progress (too big): nothing of it is served, the next one is discontinuous. */
  #discard(): void {
    this.#current = undefined;
    this.#part = undefined;
    this.#openBytes = 0;
    this.#pendingDiscontinuity = true;
    this.#wallEnd = undefined;
    this.#o.onError?.(
      new LiveError('HLS_NOT_READY', `no keyframe within ${this.#o.maxSegmentBytes} bytes; segment dropped`),
    );
    this.#o.listener.changed();
  }

  #closePart(endDts: number, final: boolean): void {
    const part = this.#part!;
    const cut = this.#muxer?.cut;
    const bytes = cut ? cut.call(this.#muxer, final) : Buffer.concat(part.chunks);
    const duration = Math.max(0, endDts - part.startDts) / 90_000;
    this.#current!.parts.push({ index: part.index, duration, independent: part.independent, bytes });
    this.#part = undefined;
  }

  #closeSegment(endDts: number, final: boolean): void {
    const seg = this.#current!;
    this.#closePart(endDts, final);
    const ticks = Math.max(0, endDts - seg.startDts);
    // The first segment of a publish is placed by the live edge (the arrival of its newest frame);
    // later ones follow it without gaps, so PROGRAM-DATE-TIME advances exactly with EXTINF.
    const start = this.#wallEnd ?? this.#o.now() - (this.#edgeDts - seg.startDts) / ticksPerMs;
    const wall = Math.round(start);
    this.#wallEnd = start + ticks / ticksPerMs;
    seg.finish(ticks / 90_000, wall);
    this.#current = undefined;
    this.#o.listener.segmentComplete(seg);
    this.#o.listener.changed();
  }

  /**
   * Completes the open segment at the last frame's end (one estimated frame interval past it); `final`
   * when the publisher left, so everything pushed belongs to it (not so on a timestamp jump, whose
   * newest frame opens the next segment).
   */
  #end(final: boolean): void {
    if (!this.#current) return;
    const last = this.#lastDts ?? this.#current.startDts;
    this.#closeSegment(last + (this.#lastStep || fallbackStepTicks), final);
  }
}
