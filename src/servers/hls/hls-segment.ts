/** One HLS media segment and its partial segments, as the segmenter builds them and the server serves them. */
import { Buffer } from 'node:buffer';

/** A partial segment (RFC 8216bis §4.4.4.9): a run of whole frames inside its parent segment. */
export interface HlsPart {
  /** Index within the parent segment, from 0. */
  readonly index: number;
  /** Seconds, from its first frame to the next part's (or segment's) first frame. */
  readonly duration: number;
  /** Starts with a keyframe (or is audio), so a player can begin decoding here (INDEPENDENT=YES). */
  readonly independent: boolean;
  /** PAT, PMT, then the part's PES packets; a view into the segment once that is complete. */
  bytes: Buffer;
}

/** An fMP4 init segment (EXT-X-MAP): numbered per HLS stream, shared by the segments that decode with it. */
export interface HlsInit {
  readonly id: number;
  readonly bytes: Buffer;
}

/** A media segment: a run of parts that starts on a keyframe (or any audio frame in an audio-only stream). */
export class HlsSegment {
  /** Media Sequence Number (RFC 8216 §4.3.3.2). */
  readonly msn: number;
  /** 90 kHz decode time of its first frame, unwrapped. */
  readonly startDts: number;
  /** Follows a publisher restart or a timestamp jump (EXT-X-DISCONTINUITY). */
  readonly discontinuity: boolean;
  /** Discontinuities up to and including this segment (RFC 8216 §4.3.3.3 Discontinuity Sequence Number). */
  readonly discontinuitySequence: number;
  readonly parts: HlsPart[] = [];
  /** The fMP4 init segment its fragments decode with (EXT-X-MAP); undefined for MPEG-TS. */
  map: HlsInit | undefined;
  /** Seconds; set when the segment is complete. */
  duration = 0;
  /** Wall-clock time of its first frame (Unix ms); set when the segment is complete. */
  programDateTime = 0;
  complete = false;
  /** The whole segment once complete; undefined when it lives only on disk. */
  bytes: Buffer | undefined;
  /** Byte length of the complete segment. */
  size = 0;
  /** Written to disk storage (disk mode only). */
  stored = false;

  constructor(msn: number, startDts: number, discontinuity: boolean, discontinuitySequence: number) {
    this.msn = msn;
    this.startDts = startDts;
    this.discontinuity = discontinuity;
    this.discontinuitySequence = discontinuitySequence;
  }

  /**
   * Marks the segment complete: its bytes become one Buffer (one copy per segment) and every part
   * becomes a zero-copy view into it, so parts and segment share memory while both are listed.
   */
  finish(duration: number, programDateTime: number): void {
    this.duration = duration;
    this.programDateTime = programDateTime;
    const whole = this.parts.length === 1 ? this.parts[0]!.bytes : Buffer.concat(this.parts.map((p) => p.bytes));
    let at = 0;
    for (const part of this.parts) {
      const n = part.bytes.length;
      part.bytes = whole.subarray(at, at + n);
      at += n;
    }
    this.bytes = whole;
    this.size = whole.length;
    this.complete = true;
  }
}
