/**
 * The in-memory sample table of a progressive MP4: per sample only its times, flags, size and where
 * its bytes are (no payload), in compact growable typed arrays (30 bytes a sample), and the stbl
 * boxes built from it (ISO/IEC 14496-12 §8.5–§8.7: stts, ctts, stss, stsc, stsz, stco/co64).
 */
import { box, fullBox, u32 } from './box-writer.ts';

/** A growable typed-array column. */
class Column<A extends Float64Array | Uint32Array | Int32Array | Uint8Array> {
  data: A;
  length = 0;
  readonly #make: (n: number) => A;

  constructor(make: (n: number) => A) {
    this.#make = make;
    this.data = make(1024);
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.#make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

/** All samples of a file, in the order their bytes will be laid out in the mdat. */
export class SampleTable {
  readonly track = new Column((n) => new Uint8Array(n));
  readonly dts = new Column((n) => new Float64Array(n));
  readonly duration = new Column((n) => new Uint32Array(n));
  readonly cts = new Column((n) => new Int32Array(n));
  readonly keyframe = new Column((n) => new Uint8Array(n));
  readonly size = new Column((n) => new Uint32Array(n));
  /** Where the bytes are in the caller's source (a fragmented file, a buffer). */
  readonly source = new Column((n) => new Float64Array(n));

  get length(): number {
    return this.track.length;
  }

  /** Records one sample of track index `track`. */
  add(
    track: number,
    dts: number,
    duration: number,
    cts: number,
    keyframe: boolean,
    size: number,
    source: number,
  ): void {
    this.track.push(track);
    this.dts.push(dts);
    this.duration.push(duration);
    this.cts.push(cts);
    this.keyframe.push(keyframe ? 1 : 0);
    this.size.push(size);
    this.source.push(source);
  }
}

/** The samples of one track, as indexes into the table, and its chunks (runs of consecutive samples). */
export interface TrackSamples {
  readonly indexes: number[];
  /** Per chunk: index into `indexes` of its first sample, and how many. */
  readonly chunks: { first: number; count: number }[];
}

/** Splits the table per track; a chunk is a run of consecutive samples of the same track. */
export function trackSamples(t: SampleTable, tracks: number): TrackSamples[] {
  const out: TrackSamples[] = Array.from({ length: tracks }, () => ({ indexes: [], chunks: [] }));
  let prev = -1;
  for (let i = 0; i < t.length; i++) {
    const k = t.track.data[i]!;
    const ts = out[k]!;
    if (k !== prev) ts.chunks.push({ first: ts.indexes.length, count: 0 });
    ts.chunks.at(-1)!.count++;
    ts.indexes.push(i);
    prev = k;
  }
  return out;
}

/** stts, ctts (only with composition offsets), stss (only when not every sample is sync), stsc, stsz, and stco or co64. */
export function sampleTableBoxes(
  t: SampleTable,
  s: TrackSamples,
  video: boolean,
  chunkOffsets: readonly number[],
  wide: boolean,
  stsd: Buffer,
): Buffer {
  const idx = s.indexes;
  const parts = [stsd, runLengths('stts', idx, t.duration.data, 0)];
  let anyCts = false;
  let negative = false;
  for (const i of idx) {
    const c = t.cts.data[i]!;
    anyCts ||= c !== 0;
    negative ||= c < 0;
  }
  // ctts version 1 has signed offsets (§8.6.1.3).
  if (anyCts) parts.push(runLengths('ctts', idx, t.cts.data, negative ? 1 : 0));
  const sync: number[] = [];
  for (let n = 0; n < idx.length; n++) if (t.keyframe.data[idx[n]!]) sync.push(n + 1);
  if (video && sync.length < idx.length) parts.push(fullBox('stss', 0, 0, u32(sync.length), uints(sync)));
  parts.push(stsc(s.chunks));
  const sizes = idx.map((i) => t.size.data[i]!);
  parts.push(fullBox('stsz', 0, 0, u32(0), u32(sizes.length), uints(sizes)));
  if (wide) {
    const b = Buffer.allocUnsafe(8 * chunkOffsets.length);
    chunkOffsets.forEach((o, n) => b.writeBigUInt64BE(BigInt(o), 8 * n));
    parts.push(fullBox('co64', 0, 0, u32(chunkOffsets.length), b));
  } else {
    parts.push(fullBox('stco', 0, 0, u32(chunkOffsets.length), uints(chunkOffsets)));
  }
  return box('stbl', ...parts);
}

/** stts or ctts: (sample_count, value) pairs over runs of equal values. */
function runLengths(type: string, idx: readonly number[], values: Uint32Array | Int32Array, version: number): Buffer {
  const pairs: number[] = [];
  for (const i of idx) {
    const v = values[i]!;
    if (pairs.length > 0 && pairs.at(-1) === v) pairs[pairs.length - 2]!++;
    else pairs.push(1, v);
  }
  const b = Buffer.allocUnsafe(4 * pairs.length);
  for (let n = 0; n < pairs.length; n += 2) {
    b.writeUInt32BE(pairs[n]!, 4 * n);
    if (version === 1 || type === 'ctts') b.writeInt32BE(pairs[n + 1]!, 4 * n + 4);
    else b.writeUInt32BE(pairs[n + 1]!, 4 * n + 4);
  }
  return fullBox(type, version, 0, u32(pairs.length / 2), b);
}

/** stsc (§8.7.4): first_chunk, samples_per_chunk, sample_description_index 1, over runs of equal counts. */
function stsc(chunks: readonly { count: number }[]): Buffer {
  const rows: number[] = [];
  chunks.forEach((c, n) => {
    if (rows.length === 0 || rows[rows.length - 2] !== c.count) rows.push(n + 1, c.count, 1);
  });
  return fullBox('stsc', 0, 0, u32(rows.length / 3), uints(rows));
}

function uints(values: readonly number[]): Buffer {
  const b = Buffer.allocUnsafe(4 * values.length);
  values.forEach((v, n) => b.writeUInt32BE(v >>> 0, 4 * n));
  return b;
}
