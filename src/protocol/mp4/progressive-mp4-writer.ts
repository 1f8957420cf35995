/**
 * Progressive MP4 with faststart: ftyp, then moov (every sample table), then one mdat. The writer
 * keeps only the sample table (times, flags, sizes, where each sample's bytes are in the caller's
 * source); the payloads stay wherever the caller put them, usually a fragmented MP4 being written to
 * disk while recording. `finalize()` answers with the bytes that go first and the source ranges to
 * copy after them, in order, so a recorder turns its crash-safe fMP4 into a faststart MP4 by streaming.
 */
import { ProtocolError } from '../../errors.ts';
import { box, boxHeader, fullBox, MAX_BOX32, u16, u32 } from './box-writer.ts';
import type { Fmp4Fragment, Mp4Sample } from './fmp4-muxer.ts';
import { ftyp, MOVIE_TIMESCALE, mvhd, stsd, trak } from './moov-boxes.ts';
import type { Mp4Track } from './mp4-track.ts';
import { SampleTable, sampleTableBoxes, trackSamples } from './sample-table.ts';

/** A sample's times and flags without its bytes: what the sample table keeps. */
export type Mp4SampleInfo = Omit<Mp4Sample, 'data'> & { readonly size: number };

/** A faststart file: `header` (ftyp + moov + mdat header), then each source range of `copies`, in order. */
export interface Mp4Layout {
  readonly header: Buffer;
  /** Byte ranges of the source to append after the header; adjacent ranges are merged. */
  readonly copies: readonly { readonly offset: number; readonly size: number }[];
  /** Size of the finished file. */
  readonly size: number;
}

/** Most samples one file takes (stsz counts are 32-bit; a day of 60 fps video and 48 kHz AAC is ~9.2 M). */
export const MAX_MP4_SAMPLES = 50_000_000;

/** Accumulates the sample table of a progressive MP4 and lays out its faststart file. */
export class ProgressiveMp4Writer {
  readonly tracks: readonly Mp4Track[];
  readonly #table = new SampleTable();

  /** One writer per file; `tracks` as the fMP4 muxer got them. */
  constructor(tracks: readonly Mp4Track[]) {
    if (tracks.length === 0 || tracks.length > 255)
      throw new ProtocolError('MP4_MUX_INPUT', `an MP4 needs 1 to 255 tracks, got ${tracks.length}`);
    this.tracks = tracks;
  }

  /** Samples recorded so far. */
  get sampleCount(): number {
    return this.#table.length;
  }

  /**
   * Records one sample of track `trackId` whose bytes are at `sourceOffset` in the caller's source.
   * Throws MP4_MUX_INPUT for an unknown track or past MAX_MP4_SAMPLES.
   */
  add(trackId: number, s: Mp4SampleInfo, sourceOffset: number): void {
    const k = this.tracks.findIndex((t) => t.id === trackId);
    if (k < 0) throw new ProtocolError('MP4_MUX_INPUT', `no track ${trackId} in this MP4`);
    if (this.#table.length >= MAX_MP4_SAMPLES)
      throw new ProtocolError('MP4_MUX_INPUT', `an MP4 holds at most ${MAX_MP4_SAMPLES} samples`);
    this.#table.add(k, s.dts, s.duration, s.cts, s.keyframe, s.size, sourceOffset);
  }

  /** Records every sample of an fMP4 fragment written at `fragmentOffset` of the source file. */
  addFragment(f: Fmp4Fragment, fragmentOffset: number): void {
    for (const { run, dataOffset } of f.runs) {
      let at = fragmentOffset + dataOffset;
      for (const s of run.samples) {
        this.add(
          run.trackId,
          { dts: s.dts, duration: s.duration, cts: s.cts, keyframe: s.keyframe, size: s.data.length },
          at,
        );
        at += s.data.length;
      }
    }
  }

  /** The faststart layout of everything recorded; throws MP4_MUX_INPUT when no sample was added. */
  finalize(): Mp4Layout {
    const t = this.#table;
    if (t.length === 0) throw new ProtocolError('MP4_MUX_INPUT', 'an MP4 needs at least one sample');
    let dataSize = 0;
    for (let i = 0; i < t.length; i++) dataSize += t.size.data[i]!;
    const head = ftyp('isom', 0x200, ['isom', 'iso2', 'avc1', 'mp41']);
    const mdat = boxHeader('mdat', dataSize);
    const per = trackSamples(t, this.tracks.length);
    // The moov's size depends only on counts; build it once with zero offsets to learn where mdat starts.
    const trial = this.#moov(per, false, 0);
    const wide = head.length + trial.length + mdat.length + dataSize > MAX_BOX32;
    const moovSize = wide ? this.#moov(per, true, 0).length : trial.length;
    const moov = this.#moov(per, wide, head.length + moovSize + mdat.length);
    const copies: { offset: number; size: number }[] = [];
    for (let i = 0; i < t.length; i++) {
      const offset = t.source.data[i]!;
      const size = t.size.data[i]!;
      const last = copies.at(-1);
      if (last && last.offset + last.size === offset) last.size += size;
      else if (size > 0) copies.push({ offset, size });
    }
    const header = Buffer.concat([head, moov, mdat]);
    return { header, copies, size: header.length + dataSize };
  }

  /** The moov with chunk offsets counted from `dataStart` (the first mdat payload byte). */
  #moov(per: ReturnType<typeof trackSamples>, wide: boolean, dataStart: number): Buffer {
    const t = this.#table;
    // Where each sample lands in the mdat: the samples' own order.
    const dest = new Float64Array(t.length);
    let at = dataStart;
    for (let i = 0; i < t.length; i++) {
      dest[i] = at;
      at += t.size.data[i]!;
    }
    // Each track's first presentation time (B-frames put it a frame or two past its first decode
    // time); the movie starts at the earliest of them, and later tracks start with an empty edit.
    const firstPts = per.map((s, k) => {
      const d0 = s.indexes[0] === undefined ? 0 : t.dts.data[s.indexes[0]]!;
      let min = Infinity;
      for (const i of s.indexes) min = Math.min(min, t.dts.data[i]! + t.cts.data[i]!);
      return { ticks: min - d0, seconds: min / this.tracks[k]!.timescale };
    });
    const zero = Math.min(...firstPts.map((f) => f.seconds));
    let movieDuration = 0;
    const traks: Buffer[] = [];
    this.tracks.forEach((track, k) => {
      const s = per[k]!;
      if (s.indexes.length === 0) return; // a track that never got a sample is left out
      let media = 0;
      for (const i of s.indexes) media += t.duration.data[i]!;
      const mediaTime = Math.max(0, firstPts[k]!.ticks);
      // The composition timeline is the decode timeline shifted by mediaTime: it shows as long.
      const shown = Math.round((media / track.timescale) * MOVIE_TIMESCALE);
      const delay = Math.round((firstPts[k]!.seconds - zero) * MOVIE_TIMESCALE);
      movieDuration = Math.max(movieDuration, delay + shown);
      const offsets = s.chunks.map((c) => dest[s.indexes[c.first]!]!);
      const stbl = sampleTableBoxes(t, s, track.kind === 'video', offsets, wide, stsd(track));
      traks.push(trak(track, delay + shown, media, stbl, editList(delay, shown, mediaTime)));
    });
    const nextId = Math.max(...this.tracks.map((x) => x.id)) + 1;
    return box('moov', mvhd(movieDuration, nextId), ...traks);
  }
}

/**
 * edts/elst (§8.6.6): an empty edit for a track that starts after the earliest one, then the media from
 * its first presentation time (B-frames put it one or two frames past the first decode time), so audio
 * and video stay in sync and the first frame shows at 0. None when neither applies.
 */
function editList(delayMs: number, durationMs: number, mediaTime: number): Buffer | undefined {
  if (delayMs <= 0 && mediaTime === 0) return undefined;
  const entries: Buffer[] = [];
  if (delayMs > 0) entries.push(u32(delayMs), u32(0xffffffff), u16(1), u16(0));
  entries.push(u32(durationMs), u32(mediaTime), u16(1), u16(0));
  return box('edts', fullBox('elst', 0, 0, u32(entries.length / 4), ...entries));
}

/** A whole progressive MP4 in memory from samples with their bytes (tests, snapshots, short clips). */
export function progressiveMp4(
  tracks: readonly Mp4Track[],
  runs: readonly { trackId: number; samples: readonly Mp4Sample[] }[],
): Buffer {
  const w = new ProgressiveMp4Writer(tracks);
  const payloads: Buffer[] = [];
  let at = 0;
  for (const r of runs) {
    for (const s of r.samples) {
      w.add(r.trackId, { dts: s.dts, duration: s.duration, cts: s.cts, keyframe: s.keyframe, size: s.data.length }, at);
      payloads.push(s.data);
      at += s.data.length;
    }
  }
  const source = Buffer.concat(payloads);
  const layout = w.finalize();
  return Buffer.concat([layout.header, ...layout.copies.map((c) => source.subarray(c.offset, c.offset + c.size))]);
}
