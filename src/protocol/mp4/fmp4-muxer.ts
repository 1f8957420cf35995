/**
 * Fragmented MP4 (ISO/IEC 14496-12 §8.8): an init segment (ftyp + moov with empty sample tables and
 * mvex/trex) and media fragments (moof with mfhd and one traf per track: tfhd, tfdt, trun; then mdat),
 * as CMAF HLS segments and parts and crash-safe recordings use them. Pure: bytes out, no I/O.
 */
import { ProtocolError } from '../../errors.ts';
import { box, boxHeader, fullBox, u32 } from './box-writer.ts';
import { ftyp, mvhd, stsd, trak } from './moov-boxes.ts';
import type { Mp4Track } from './mp4-track.ts';

/** One sample (an access unit or audio frame) in its track's timescale. */
export interface Mp4Sample {
  /** Decoding time, ticks of the track's timescale. */
  readonly dts: number;
  /** Ticks until the next sample's decoding time. */
  readonly duration: number;
  /** Composition offset: presentation time minus decoding time, in ticks (may be negative). */
  readonly cts: number;
  /** A sync sample: a decoder can start here (every audio frame is one). */
  readonly keyframe: boolean;
  /** The sample bytes: length-prefixed NAL units, AV1 OBUs, or a raw AAC/Opus frame. */
  readonly data: Buffer;
}

/** Consecutive samples of one track; its first sample's dts becomes the fragment's tfdt. */
export interface Mp4TrackRun {
  readonly trackId: number;
  readonly samples: readonly Mp4Sample[];
}

/** One moof + mdat: write `header`, then every buffer of `payloads`, in order. */
export interface Fmp4Fragment {
  /** moof and the mdat box header. */
  readonly header: Buffer;
  /** The sample bytes in mdat order: views of the samples' own buffers, not copies. */
  readonly payloads: readonly Buffer[];
  /** header + payloads, in bytes. */
  readonly size: number;
  /** The runs it holds, each with the offset of its first sample's bytes from the fragment's start. */
  readonly runs: readonly { readonly run: Mp4TrackRun; readonly dataOffset: number }[];
}

/** trun flags: data-offset, sample-duration, sample-size, sample-flags, sample-composition-time-offset present. */
const TRUN_FLAGS = 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800;
/** tfhd flag default-base-is-moof (§8.8.7.1): data offsets count from the moof, as CMAF requires. */
const DEFAULT_BASE_IS_MOOF = 0x020000;
/** sample_flags (§8.8.3.1): sample_depends_on 2 (an I picture) for sync samples ... */
export const SYNC_SAMPLE_FLAGS = 0x02000000;
/** ... and sample_depends_on 1 with sample_is_non_sync_sample for the others. */
export const NON_SYNC_SAMPLE_FLAGS = 0x01010000;

const MFHD_SIZE = 16;
const TFHD_SIZE = 16;
const TFDT_SIZE = 20;
const TRUN_HEADER_SIZE = 20;
const TRUN_ENTRY_SIZE = 16;

/** The init segment: ftyp + moov; CMAF-style brands, one trex per track. */
export function fmp4InitSegment(tracks: readonly Mp4Track[]): Buffer {
  const traks = tracks.map((t) => trak(t, 0, 0, emptySampleTable(t)));
  // trex (§8.8.3): sample description 1; durations, sizes and flags are always in the trun.
  const trex = tracks.map((t) => fullBox('trex', 0, 0, u32(t.id), u32(1), u32(0), u32(0), u32(0)));
  const nextId = Math.max(0, ...tracks.map((t) => t.id)) + 1;
  const moov = box('moov', mvhd(0, nextId), ...traks, box('mvex', ...trex));
  return Buffer.concat([ftyp('iso6', 0, ['iso6', 'isom', 'iso2', 'mp41']), moov]);
}

function emptySampleTable(t: Mp4Track): Buffer {
  const none = u32(0);
  return box(
    'stbl',
    stsd(t),
    fullBox('stts', 0, 0, none),
    fullBox('stsc', 0, 0, none),
    fullBox('stsz', 0, 0, none, none),
    fullBox('stco', 0, 0, none),
  );
}

/** Muxes samples of a fixed set of tracks into an init segment and numbered fragments. */
export class Fmp4Muxer {
  readonly tracks: readonly Mp4Track[];
  #sequence: number;

  /** `tracks` with distinct ids; `firstSequence` numbers the first fragment's mfhd (default 1). */
  constructor(tracks: readonly Mp4Track[], firstSequence = 1) {
    if (tracks.length === 0) throw new ProtocolError('MP4_MUX_INPUT', 'an MP4 needs at least one track');
    if (new Set(tracks.map((t) => t.id)).size !== tracks.length)
      throw new ProtocolError('MP4_MUX_INPUT', 'MP4 track ids must differ');
    this.tracks = tracks;
    this.#sequence = firstSequence;
  }

  /** The init segment (ftyp + moov) every fragment of this muxer decodes with. */
  init(): Buffer {
    return fmp4InitSegment(this.tracks);
  }

  /** The sequence number the next fragment gets. */
  get nextSequence(): number {
    return this.#sequence;
  }

  /**
   * One fragment with a traf per run (empty runs are left out). Throws ProtocolError MP4_MUX_INPUT for
   * an unknown track, no samples at all, or a time that is not a non-negative integer.
   */
  fragment(runs: readonly Mp4TrackRun[]): Fmp4Fragment {
    const used = runs.filter((r) => r.samples.length > 0);
    if (used.length === 0) throw new ProtocolError('MP4_MUX_INPUT', 'a fragment needs at least one sample');
    let moofSize = 8 + MFHD_SIZE;
    let dataSize = 0;
    for (const r of used) {
      if (!this.tracks.some((t) => t.id === r.trackId))
        throw new ProtocolError('MP4_MUX_INPUT', `no track ${r.trackId} in this MP4`);
      moofSize += 8 + TFHD_SIZE + TFDT_SIZE + TRUN_HEADER_SIZE + TRUN_ENTRY_SIZE * r.samples.length;
      for (const s of r.samples) {
        checkSample(s);
        dataSize += s.data.length;
      }
    }
    const mdat = boxHeader('mdat', dataSize);
    const out = Buffer.allocUnsafe(moofSize + mdat.length);
    let at = writeHeader(out, 0, moofSize, 'moof');
    at = writeHeader(out, at, MFHD_SIZE, 'mfhd');
    out.writeUInt32BE(0, at);
    out.writeUInt32BE(this.#sequence++ >>> 0, at + 4);
    at += 8;
    let dataOffset = moofSize + mdat.length;
    const placed: { run: Mp4TrackRun; dataOffset: number }[] = [];
    const payloads: Buffer[] = [];
    for (const r of used) {
      placed.push({ run: r, dataOffset });
      at = writeHeader(
        out,
        at,
        8 + TFHD_SIZE + TFDT_SIZE + TRUN_HEADER_SIZE + TRUN_ENTRY_SIZE * r.samples.length,
        'traf',
      );
      at = writeHeader(out, at, TFHD_SIZE, 'tfhd');
      out.writeUInt32BE(DEFAULT_BASE_IS_MOOF, at);
      out.writeUInt32BE(r.trackId, at + 4);
      at = writeHeader(out, at + 8, TFDT_SIZE, 'tfdt');
      out.writeUInt32BE(0x01000000, at); // version 1: a 64-bit baseMediaDecodeTime
      out.writeBigUInt64BE(BigInt(r.samples[0]!.dts), at + 4);
      at = writeHeader(out, at + 12, TRUN_HEADER_SIZE + TRUN_ENTRY_SIZE * r.samples.length, 'trun');
      // Version 1: signed composition offsets, so B-frames need no edit list (§8.8.8.2).
      out.writeUInt32BE((0x01000000 | TRUN_FLAGS) >>> 0, at);
      out.writeUInt32BE(r.samples.length, at + 4);
      out.writeInt32BE(dataOffset, at + 8);
      at += 12;
      for (const s of r.samples) {
        out.writeUInt32BE(s.duration, at);
        out.writeUInt32BE(s.data.length, at + 4);
        out.writeUInt32BE(s.keyframe ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS, at + 8);
        out.writeInt32BE(s.cts, at + 12);
        at += TRUN_ENTRY_SIZE;
        dataOffset += s.data.length;
        payloads.push(s.data);
      }
    }
    mdat.copy(out, at);
    return { header: out, payloads, size: out.length + dataSize, runs: placed };
  }
}

/** The whole fragment in one buffer (one copy), as an HLS part or segment is served. */
export function fragmentBytes(f: Fmp4Fragment): Buffer {
  return Buffer.concat([f.header, ...f.payloads], f.size);
}

function writeHeader(out: Buffer, at: number, size: number, type: string): number {
  out.writeUInt32BE(size, at);
  out.write(type, at + 4, 4, 'latin1');
  return at + 8;
}

function checkSample(s: Mp4Sample): void {
  const ok =
    Number.isSafeInteger(s.dts) &&
    s.dts >= 0 &&
    Number.isInteger(s.duration) &&
    s.duration >= 0 &&
    s.duration <= 0xffffffff &&
    Number.isInteger(s.cts) &&
    s.cts >= -0x80000000 &&
    s.cts <= 0x7fffffff;
  if (!ok)
    throw new ProtocolError(
      'MP4_MUX_INPUT',
      `an MP4 sample with dts ${s.dts}, duration ${s.duration}, cts ${s.cts} is out of range`,
    );
}
