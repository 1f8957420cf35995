/**
 * The format-writer interface every recording format implements (FLV, HLS with TS segments, AAC audio-only
 * here; MP4 from protocol/mp4 plugs in the same way): pure, media messages of one file in, the writes that
 * make the file out. The recorder (../recording.ts) owns splitting, timing, queues and the disk; a format
 * only turns messages into bytes, so it is tested without files.
 */
import type { Buffer } from 'node:buffer';
import type { MediaMessage } from '../../../protocol/media.ts';

/** The formats of a Tencent record template (`FlvParam`, `HlsParam`, `Mp4Param`, `AacParam`). */
export const recordFormats = ['flv', 'hls', 'mp4', 'aac'] as const;
/** One record format. */
export type RecordFormatName = (typeof recordFormats)[number];

/**
 * One write, in order. `append` adds bytes to a file of the recording's folder (created by the first append);
 * `put` replaces a whole small file (an HLS playlist, an MP4 finalized with its moov first). `name` is a plain
 * file name the format built from the recording's base name; never a path.
 */
export type RecordWrite =
  | { readonly op: 'append'; readonly name: string; readonly data: Buffer }
  | { readonly op: 'put'; readonly name: string; readonly data: Buffer }
  | { readonly op: 'close'; readonly name: string }
  /**
   * Rewrites `name` (closed before) as `data` followed by the byte ranges `copies` of its old content, atomically
   * (a temporary file renamed over it): an MP4 finalized to faststart from the fragmented file it was.
   */
  | { readonly op: 'rewrite'; readonly name: string; readonly data: Buffer; readonly copies: readonly ByteRange[] };

/** A byte range of a file. */
export interface ByteRange {
  readonly offset: number;
  readonly size: number;
}

/** A file being written in one format. */
export interface RecordFormatWriter {
  /** The name of the file a player opens (`<base>.flv`, `<base>.m3u8`); its size is the file's size. */
  readonly mainName: string;
  /**
   * One message, its timestamp already rebased so the file starts at 0. The first messages are the stream's
   * metadata and sequence headers, then media from a keyframe on.
   */
  push(msg: MediaMessage): RecordWrite[];
  /** The file ends (interval split, publisher gone, task stopped): the last writes. `endMs` is the file's end. */
  finish(endMs: number): RecordWrite[];
}

/** What a writer is created with. */
export interface RecordFormatInit {
  /** The file name without extension, already safe (record-names.ts). */
  readonly base: string;
  /** Which tracks the stream has (FLV header flags). */
  readonly audio: boolean;
  readonly video: boolean;
  /** HLS segment target, ms. */
  readonly segmentMs: number;
}

/** A format: how to make its writers, what it records and how its files are served. */
export interface RecordFormat {
  readonly name: RecordFormatName;
  /** The Content-Type of the main file. */
  readonly contentType: string;
  /** Only audio is recorded (AAC): splits go by audio frames and video is ignored. */
  readonly audioOnly: boolean;
  /**
   * Names of the other files of a recording (HLS segments), tested on a requested name: a playback URL
   * names a segment only if this accepts it, so no name from a URL reaches the disk unchecked.
   */
  partOf?(base: string, name: string): { readonly contentType: string } | undefined;
  create(init: RecordFormatInit): RecordFormatWriter;
}
