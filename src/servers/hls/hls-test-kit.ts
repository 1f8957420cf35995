/** Test doubles for the HLS server: a fake muxer, a media feed on a fake clock, and a playlist reader. */
import { Buffer } from 'node:buffer';
import { MediaType, type MediaMessage } from '../../protocol/media.ts';
import { audioFrame, audioHeader, interframe, keyframe, videoHeader } from '../../hub/hub-test-kit.ts';
import type { SegmentChunk, SegmentMuxer } from './segmenter.ts';

/**
 * A muxer that turns each frame into one 188-byte "packet" carrying the frame's label, so tests can
 * tell which frames a segment or part holds; sequence headers and data produce nothing, as in TsMuxer.
 */
export class FakeMuxer implements SegmentMuxer {
  hasVideo = false;
  hasAudio = false;
  tablesCalls = 0;

  push(msg: MediaMessage): SegmentChunk | undefined {
    if (msg.type === MediaType.Data) return undefined;
    const video = msg.type === MediaType.Video;
    if (msg.sequenceHeader) {
      if (video) this.hasVideo = true;
      else this.hasAudio = true;
      return undefined;
    }
    // Like TsMuxer, a video keyframe's chunk starts with the tables.
    const withTables = video && msg.keyframe;
    const bytes = Buffer.alloc(withTables ? 376 : 188);
    if (withTables) this.tables().copy(bytes);
    bytes[bytes.length - 188] = 0x47;
    bytes.write(msg.payload.subarray(2).toString('latin1').replace(/\0+$/, ''), bytes.length - 184, 'latin1');
    const dts = msg.timestamp * 90;
    return { bytes, pts: dts, dts, keyframe: msg.keyframe, track: video ? 'video' : 'audio' };
  }

  tables(): Buffer {
    this.tablesCalls++;
    const bytes = Buffer.alloc(188);
    bytes[0] = 0x47;
    bytes.write('TABLES', 4, 'latin1');
    return bytes;
  }
}

/** The labels of the fake packets in a segment or part, in order (`TABLES`, `K0`, `A10`, ...). */
export function packetLabels(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at + 188 <= bytes.length; at += 188) {
    out.push(bytes.toString('latin1', at + 4, at + 188).replace(/\0+$/, ''));
  }
  return out;
}

/** What a feed publishes. */
export interface FeedOptions {
  readonly video?: boolean;
  readonly audio?: boolean;
  /** Video frame interval, ms (40 = 25 fps). */
  readonly frameMs?: number;
  /** Frames per GOP. */
  readonly gop?: number;
  /** Audio frame interval, ms (AAC at 48 kHz: 1024 samples = 21.33 ms; ms timestamps round it). */
  readonly audioMs?: number;
}

/**
 * Publishes a steady stream into `sink` from media time `fromMs` to `toMs` (exclusive), advancing
 * `clock` with it as a real-time encoder would; returns the messages it sent.
 */
export function feed(
  sink: { media(msg: MediaMessage): void },
  clock: { time: number } | undefined,
  fromMs: number,
  toMs: number,
  options: FeedOptions = {},
): MediaMessage[] {
  const { video = true, audio = true, frameMs = 40, gop = 25, audioMs = 23 } = options;
  const sent: MediaMessage[] = [];
  const send = (m: MediaMessage): void => {
    sent.push(m);
    sink.media(m);
  };
  let v = Math.ceil(fromMs / frameMs) * frameMs;
  let a = Math.ceil(fromMs / audioMs) * audioMs;
  while ((video && v < toMs) || (audio && a < toMs)) {
    const nextVideo = video && v < toMs ? v : Infinity;
    const nextAudio = audio && a < toMs ? a : Infinity;
    const ts = Math.min(nextVideo, nextAudio);
    if (clock) clock.time = Math.max(clock.time, ts);
    if (ts === nextVideo) {
      const frame = Math.round(v / frameMs);
      send(frame % gop === 0 ? keyframe(v) : interframe(v));
      v += frameMs;
    } else {
      send(audioFrame(a));
      a += audioMs;
    }
  }
  return sent;
}

/** The sequence headers an encoder sends first. */
export function headers(sink: { media(msg: MediaMessage): void }, video = true, audio = true): void {
  if (video) sink.media(videoHeader());
  if (audio) sink.media(audioHeader());
}

/** One media segment as a playlist lists it. */
export interface ParsedSegment {
  uri: string;
  duration: number;
  discontinuity: boolean;
  programDateTime: number | undefined;
  parts: ParsedPart[];
  /** The EXT-X-MAP in force (fMP4), if any. */
  map?: string;
}

/** One EXT-X-PART line. */
export interface ParsedPart {
  uri: string;
  duration: number;
  independent: boolean;
}

/** A media playlist read back tag by tag, for assertions against RFC 8216 rules. */
export interface ParsedPlaylist {
  lines: string[];
  version: number | undefined;
  targetDuration: number | undefined;
  mediaSequence: number;
  discontinuitySequence: number;
  serverControl: Record<string, string> | undefined;
  partTarget: number | undefined;
  segments: ParsedSegment[];
  /** Parts after the last EXTINF (the segment in progress). */
  pendingParts: ParsedPart[];
  preloadHint: string | undefined;
  endList: boolean;
}

/** Parses the tags this server writes; throws on a line it does not know, so tests catch typos. */
export function parsePlaylist(text: string): ParsedPlaylist {
  const lines = text.split('\n');
  if (lines[0] !== '#EXTM3U') throw new Error('a playlist starts with #EXTM3U (RFC 8216 §4.3.1.1)');
  const p: ParsedPlaylist = {
    lines,
    version: undefined,
    targetDuration: undefined,
    mediaSequence: 0,
    discontinuitySequence: 0,
    serverControl: undefined,
    partTarget: undefined,
    segments: [],
    pendingParts: [],
    preloadHint: undefined,
    endList: false,
  };
  let next: Omit<ParsedSegment, 'uri' | 'duration'> = { discontinuity: false, programDateTime: undefined, parts: [] };
  let duration: number | undefined;
  let map: string | undefined;
  for (const line of lines.slice(1)) {
    const [tag, value = ''] = splitTag(line);
    if (line === '') continue;
    if (tag === '#EXT-X-VERSION') p.version = Number(value);
    else if (tag === '#EXT-X-TARGETDURATION') p.targetDuration = Number(value);
    else if (tag === '#EXT-X-MEDIA-SEQUENCE') p.mediaSequence = Number(value);
    else if (tag === '#EXT-X-DISCONTINUITY-SEQUENCE') p.discontinuitySequence = Number(value);
    else if (tag === '#EXT-X-SERVER-CONTROL') p.serverControl = attributes(value);
    else if (tag === '#EXT-X-PART-INF') p.partTarget = Number(attributes(value)['PART-TARGET']);
    else if (tag === '#EXT-X-INDEPENDENT-SEGMENTS') continue;
    else if (tag === '#EXT-X-DISCONTINUITY') next.discontinuity = true;
    else if (tag === '#EXT-X-MAP') map = attributes(value).URI;
    else if (tag === '#EXT-X-PROGRAM-DATE-TIME') next.programDateTime = Date.parse(value);
    else if (tag === '#EXT-X-PART') {
      const a = attributes(value);
      next.parts.push({ uri: a.URI!, duration: Number(a.DURATION), independent: a.INDEPENDENT === 'YES' });
    } else if (tag === '#EXT-X-PRELOAD-HINT') p.preloadHint = attributes(value).URI;
    else if (tag === '#EXTINF') duration = Number(value.split(',')[0]);
    else if (tag === '#EXT-X-ENDLIST') p.endList = true;
    else if (!line.startsWith('#') && duration !== undefined) {
      p.segments.push({ uri: line, duration, ...next, ...(map !== undefined && { map }) });
      next = { discontinuity: false, programDateTime: undefined, parts: [] };
      duration = undefined;
    } else throw new Error(`unexpected playlist line: ${line}`);
  }
  p.pendingParts = next.parts;
  return p;
}

function splitTag(line: string): [string, string?] {
  const colon = line.indexOf(':');
  return colon < 0 ? [line] : [line.slice(0, colon), line.slice(colon + 1)];
}

/** An attribute list (RFC 8216 §4.2): KEY=VALUE pairs, quoted strings may hold commas. */
export function attributes(list: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of list.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) out[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  return out;
}
