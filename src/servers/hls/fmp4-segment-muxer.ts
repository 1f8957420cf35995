/**
 * The fMP4 (CMAF) side of HLS segmenting (`hls.segmentFormat: fmp4`): media messages become MP4
 * samples as they come, and each part is one moof + mdat built when the segmenter closes it; each
 * segment names the init segment (EXT-X-MAP, RFC 8216 §4.3.2.5) it decodes with. HEVC, AV1 and Opus,
 * which Apple players take only in fMP4 (HLS authoring spec §1.10, §2.9), pass here too.
 */
import { Buffer } from 'node:buffer';
import type { MediaMessage } from '../../protocol/media.ts';
import { FlvMp4Muxer } from '../../protocol/mp4/flv-mp4-muxer.ts';
import { Fmp4Muxer, fragmentBytes } from '../../protocol/mp4/fmp4-muxer.ts';
import type { HlsInit } from './hls-segment.ts';
import type { SegmentChunk, SegmentMuxer } from './segmenter.ts';

const EMPTY = Buffer.alloc(0);
const ticksPerMs = 90;
/** Init ids only need to differ within one HLS stream; one process-wide counter keeps them apart across publishers. */
let nextInitId = 0;

/** A SegmentMuxer that writes CMAF fragments; one per publisher, like TsMuxer. */
export class Fmp4SegmentMuxer implements SegmentMuxer {
  readonly #source = new FlvMp4Muxer();
  #muxer: Fmp4Muxer | undefined;
  #init: HlsInit | undefined;
  #initGeneration = -1;
  /** mfhd sequence numbers run on across init segments (ISO/IEC 14496-12 §8.8.5: they only increase). */
  #sequence = 1;

  /** True once a video sequence header configured the video track. */
  get hasVideo(): boolean {
    return this.#source.video !== undefined;
  }

  /** True once an audio sequence header configured the audio track. */
  get hasAudio(): boolean {
    return this.#source.audio !== undefined;
  }

  /** RFC 6381 codec strings of the tracks, video first (e.g. for a CODECS attribute). */
  codecs(): string[] {
    return this.#source.tracks.map((t) => t.codecString);
  }

  /**
   * Takes one message as a sample; the chunk carries its times and size but no bytes, which the part's
   * fragment holds. Throws what FlvMp4Muxer.push throws (CODEC_CONFIG_INVALID, MP4_MUX_INPUT).
   */
  push(msg: MediaMessage): SegmentChunk | undefined {
    const s = this.#source.push(msg);
    if (!s) return undefined;
    return {
      bytes: EMPTY,
      pts: s.ptsMs * ticksPerMs,
      dts: s.dtsMs * ticksPerMs,
      keyframe: s.keyframe,
      track: s.track,
      size: s.size,
    };
  }

  /** fMP4 parts carry no PAT/PMT: the init segment describes the tracks. */
  tables(): Buffer {
    return EMPTY;
  }

  /** No segment is open (before the first keyframe, after a dropped segment): the samples held go. */
  skip(): void {
    this.#source.discardTaken();
  }

  /**
   * A segment opens on the newest sample: what came before it is dropped (frames before the first
   * keyframe, or a dropped segment's rest), and the init segment is rebuilt if the tracks changed since.
   */
  openSegment(): HlsInit | undefined {
    this.#source.discardTaken();
    if (this.#init && this.#initGeneration === this.#source.generation) return this.#init;
    const tracks = this.#source.tracks;
    if (tracks.length === 0) return undefined;
    this.#muxer = new Fmp4Muxer(tracks, this.#sequence);
    this.#init = { id: nextInitId++, bytes: this.#muxer.init() };
    this.#initGeneration = this.#source.generation;
    return this.#init;
  }

  /**
   * The part's fragment: samples of the init segment's tracks pushed before the newest message (all of
   * them if `final`); a track configured after the segment opened waits for the next segment.
   */
  cut(final: boolean): Buffer {
    const muxer = this.#muxer;
    const runs = this.#source.take(final);
    if (!muxer) return EMPTY;
    const known = runs.filter((r) => muxer.tracks.some((t) => t.id === r.trackId));
    if (known.length === 0) return EMPTY;
    const fragment = muxer.fragment(known);
    this.#sequence = muxer.nextSequence;
    return fragmentBytes(fragment);
  }
}
