/**
 * The pure core of an MP4 recording: media messages in, the bytes to append to a fragmented MP4 file
 * out (an init segment, then a fragment at each video keyframe, or every `fragmentMs` without video),
 * and at the end the faststart layout of the finished file. The caller owns the file and the disk; this
 * holds only the sample table (docs/mp4.md "Recording").
 */
import type { MediaMessage } from '../media.ts';
import { FlvMp4Muxer } from './flv-mp4-muxer.ts';
import { Fmp4Muxer, type Fmp4Fragment, type Mp4TrackRun } from './fmp4-muxer.ts';
import type { Mp4Track } from './mp4-track.ts';
import { ProgressiveMp4Writer, type Mp4Layout } from './progressive-mp4-writer.ts';

/** How a recording cuts fragments. */
export interface Mp4RecordingOptions {
  /** Without video, a fragment every this many milliseconds of audio (default 1000). */
  readonly fragmentMs?: number;
}

/** Records one file; a new file (interval split, new publisher) is a new Mp4Recording. */
export class Mp4Recording {
  readonly #source = new FlvMp4Muxer();
  readonly #fragmentMs: number;
  #fmp4: Fmp4Muxer | undefined;
  #writer: ProgressiveMp4Writer | undefined;
  #written = 0;
  #lastCutMs = -Infinity;
  #firstMs: number | undefined;
  #lastMs = 0;

  constructor(options: Mp4RecordingOptions = {}) {
    this.#fragmentMs = options.fragmentMs ?? 1000;
  }

  /** Bytes handed out so far: the fragmented file's size. */
  get bytesWritten(): number {
    return this.#written;
  }

  /** The tracks the file was started with (empty until it started). */
  get tracks(): readonly Mp4Track[] {
    return this.#fmp4?.tracks ?? [];
  }

  /** Milliseconds of media from the first sample to the newest one. */
  get durationMs(): number {
    return this.#firstMs === undefined ? 0 : this.#lastMs - this.#firstMs;
  }

  /** The muxer's tracks changed since the file started (a new config, a late track): split the file here. */
  get tracksChanged(): boolean {
    const fmp4 = this.#fmp4;
    if (!fmp4) return false;
    const now = this.#source.tracks;
    return now.length !== fmp4.tracks.length || now.some((t, i) => t !== fmp4.tracks[i]);
  }

  /**
   * Takes one message; returns the buffers to append to the file, in order, or an empty list. The file
   * starts at the first video keyframe (first audio frame without video): what comes before is dropped.
   * Throws ProtocolError CODEC_CONFIG_INVALID / MP4_MUX_INPUT for input the muxer refuses; the recording
   * stays usable and that message is not recorded.
   */
  push(msg: MediaMessage): Buffer[] {
    const s = this.#source.push(msg);
    if (!s) return [];
    const video = this.#source.video !== undefined;
    const cutHere = video ? s.track === 'video' && s.keyframe : s.dtsMs - this.#lastCutMs >= this.#fragmentMs;
    if (!this.#fmp4) {
      if (!cutHere) {
        this.#source.discardTaken();
        return [];
      }
      this.#source.discardTaken();
      this.#fmp4 = new Fmp4Muxer(this.#source.tracks);
      this.#writer = new ProgressiveMp4Writer(this.#source.tracks);
      this.#firstMs = s.dtsMs;
      this.#lastCutMs = s.dtsMs;
      this.#lastMs = s.dtsMs;
      const init = this.#fmp4.init();
      this.#written += init.length;
      return [init];
    }
    this.#lastMs = Math.max(this.#lastMs, s.dtsMs);
    if (!cutHere) return [];
    this.#lastCutMs = s.dtsMs;
    return this.#emit(this.#source.take());
  }

  /** The last fragment, with every sample still held; call once at the end before finalize(). */
  flush(): Buffer[] {
    if (!this.#fmp4) return [];
    return this.#emit(this.#source.take(true));
  }

  /** The faststart layout of the file written so far (docs/mp4.md); undefined if nothing was recorded. */
  finalize(): Mp4Layout | undefined {
    return this.#writer && this.#writer.sampleCount > 0 ? this.#writer.finalize() : undefined;
  }

  #emit(runs: Mp4TrackRun[]): Buffer[] {
    const fmp4 = this.#fmp4!;
    // A track configured after the file started is not in its moov; its samples wait for the next file.
    const known = runs.filter((r) => fmp4.tracks.some((t) => t.id === r.trackId));
    if (known.length === 0) return [];
    const f: Fmp4Fragment = fmp4.fragment(known);
    this.#writer!.addFragment(f, this.#written);
    this.#written += f.size;
    return [f.header, ...f.payloads];
  }
}
