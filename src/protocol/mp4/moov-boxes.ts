/**
 * The movie-level boxes progressive and fragmented files share (ISO/IEC 14496-12 §8.2–§8.7): ftyp,
 * mvhd, and a trak with tkhd, mdia (mdhd, hdlr) and minf (vmhd/smhd, dinf, and the stbl it is given).
 */
import { box, fourCc, fullBox, u16, u32, u64, UNITY_MATRIX, zeros } from './box-writer.ts';
import type { Mp4Track } from './mp4-track.ts';

/** The movie timescale of mvhd, tkhd and elst: milliseconds. */
export const MOVIE_TIMESCALE = 1000;

/** ftyp (§4.3) with major brand `major` and the compatible brands. */
export function ftyp(major: string, minor: number, compatible: readonly string[]): Buffer {
  return box('ftyp', fourCc(major), u32(minor), fourCc(...compatible));
}

/** Whether a duration needs the version 1 (64-bit) form of mvhd, tkhd, mdhd. */
function wide(duration: number): boolean {
  return duration > 0xffffffff;
}

/** mvhd (§8.2.2): the movie's duration in MOVIE_TIMESCALE units and the next free track_ID. */
export function mvhd(duration: number, nextTrackId: number): Buffer {
  const v1 = wide(duration);
  const times = v1
    ? Buffer.concat([u64(0), u64(0), u32(MOVIE_TIMESCALE), u64(duration)])
    : Buffer.concat([u32(0), u32(0), u32(MOVIE_TIMESCALE), u32(duration)]);
  // rate 1.0, volume 1.0, reserved 2 + 8 bytes, matrix, pre_defined 24 bytes.
  return fullBox(
    'mvhd',
    v1 ? 1 : 0,
    0,
    times,
    u32(0x00010000),
    u16(0x0100),
    zeros(10),
    UNITY_MATRIX,
    zeros(24),
    u32(nextTrackId),
  );
}

/** tkhd (§8.3.2): enabled, in movie and in preview (flags 7), with the track's size or volume. */
function tkhd(t: Mp4Track, duration: number): Buffer {
  const v1 = wide(duration);
  const times = v1
    ? Buffer.concat([u64(0), u64(0), u32(t.id), u32(0), u64(duration)])
    : Buffer.concat([u32(0), u32(0), u32(t.id), u32(0), u32(duration)]);
  const audio = t.kind === 'audio';
  // reserved 8, layer 0, alternate_group (audio tracks are alternatives of each other), volume, reserved.
  const tail = Buffer.concat([
    zeros(8),
    u16(0),
    u16(audio ? 1 : 0),
    u16(audio ? 0x0100 : 0),
    u16(0),
    UNITY_MATRIX,
    u32(t.width * 0x10000),
    u32(t.height * 0x10000),
  ]);
  return fullBox('tkhd', v1 ? 1 : 0, 7, times, tail);
}

/** mdhd (§8.4.2) in the track's timescale, language `und`. */
function mdhd(t: Mp4Track, duration: number): Buffer {
  const v1 = wide(duration);
  const times = v1
    ? Buffer.concat([u64(0), u64(0), u32(t.timescale), u64(duration)])
    : Buffer.concat([u32(0), u32(0), u32(t.timescale), u32(duration)]);
  // ISO-639-2/T `und` packed as three 5-bit letters minus 0x60: 0x55C4.
  return fullBox('mdhd', v1 ? 1 : 0, 0, times, u16(0x55c4), u16(0));
}

/** hdlr (§8.4.3): `vide` or `soun`, with a handler name ffprobe prints. */
function hdlr(t: Mp4Track): Buffer {
  const video = t.kind === 'video';
  const name = Buffer.from(`${video ? 'VideoHandler' : 'SoundHandler'}\0`, 'latin1');
  return fullBox('hdlr', 0, 0, u32(0), fourCc(video ? 'vide' : 'soun'), zeros(12), name);
}

/** dinf with one self-contained `url ` entry (flags 1: the media is in this file, §8.7.2). */
const DINF = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));

/**
 * A trak for `t`: `duration` in movie units (tkhd), `mediaDuration` in its timescale (mdhd), the sample
 * table `stbl`, and optionally an edit list `edts` (progressive files shift out the first composition offset).
 */
export function trak(t: Mp4Track, duration: number, mediaDuration: number, stbl: Buffer, edts?: Buffer): Buffer {
  const header = t.kind === 'video' ? fullBox('vmhd', 0, 1, zeros(8)) : fullBox('smhd', 0, 0, zeros(4));
  const minf = box('minf', header, DINF, stbl);
  const parts = [tkhd(t, duration)];
  if (edts) parts.push(edts);
  parts.push(box('mdia', mdhd(t, mediaDuration), hdlr(t), minf));
  return box('trak', ...parts);
}

/** stsd (§8.5.2) with the track's one sample entry. */
export function stsd(t: Mp4Track): Buffer {
  return fullBox('stsd', 0, 0, u32(1), t.sampleEntry);
}
