/**
 * The HLS side of one live stream: its segmenter (a hub tap), the sliding window of finished
 * segments, the requests parked on it, and the playlist text, rendered once per change and query
 * and shared by every viewer. A playlist request never muxes anything.
 */
import type { MediaTap } from '../../hub/media-tap.ts';
import type { MediaMessage } from '../../protocol/media.ts';
import { ChangeWaiters, type WaitTimers } from './change-waiters.ts';
import type { HlsInit, HlsPart, HlsSegment } from './hls-segment.ts';
import type { ResolvedHlsOptions } from './hls-options.ts';
import { writeMediaPlaylist, type PlaylistPart, type PlaylistSegment } from './media-playlist.ts';
import type { SegmentFiles } from './segment-files.ts';
import { Segmenter, type SegmentMuxer } from './segmenter.ts';

/** How an HlsStream is built. */
export interface HlsStreamInit {
  /** The hub key, `app/stream`. */
  readonly key: string;
  /** The stream name: segment URIs are `<name>/<gen>_<msn>.ts` (`.m4s` for fMP4), relative to the playlist. */
  readonly name: string;
  /** Unique per HlsStream (and so per segment URI): segments can be cached as immutable. */
  readonly gen: string;
  readonly options: ResolvedHlsOptions;
  readonly newMuxer: () => SegmentMuxer;
  readonly timers?: WaitTimers;
  /** Disk storage; segments stay in memory without it. */
  readonly files?: SegmentFiles;
  readonly onError?: (err: unknown) => void;
}

// Each cached playlist is keyed by its query suffix; viewers usually share one, a few sign their own.
const maxCachedPlaylists = 64;

/** One stream's segments and playlist; created on the first HLS request (or on publish when always on). */
export class HlsStream implements MediaTap {
  readonly key: string;
  readonly name: string;
  readonly waiters: ChangeWaiters;
  readonly #o: ResolvedHlsOptions;
  readonly #init: HlsStreamInit;
  /** Parts are cut only when some domain serves LL-HLS. */
  readonly #partsOn: boolean;
  /** Segment and part file extension: `ts`, or `m4s` for fMP4 (CMAF media segments). */
  readonly #ext: string;
  #gen: string;
  #segmenter: Segmenter;
  #segments: HlsSegment[] = [];
  #bytes = 0;
  #targetDuration: number;
  #playlists = new Map<string, string>();
  /** When a viewer last asked for anything (hls-server.ts stops idle streams). */
  lastRequestAt: number;
  #closed = false;

  constructor(init: HlsStreamInit) {
    this.#init = init;
    this.key = init.key;
    this.name = init.name;
    this.#gen = init.gen;
    this.#o = init.options;
    this.#partsOn = init.options.lowLatencyDomains.length > 0;
    this.#ext = init.options.segmentFormat === 'fmp4' ? 'm4s' : 'ts';
    this.waiters = new ChangeWaiters(init.timers);
    this.#targetDuration = Math.max(1, Math.round(this.#o.segmentTargetMs / 1000));
    this.#segmenter = this.#newSegmenter();
    this.lastRequestAt = this.#o.now();
  }

  /** The generation in every URI; it changes when the playlist restarts after an ENDLIST. */
  get gen(): string {
    return this.#gen;
  }

  /** Whether a publisher feeds the stream now, or may return to it within the reconnect grace. */
  get live(): boolean {
    return this.#segmenter.live;
  }

  /** Finished segments still fetchable, oldest first (the playlist lists the newest `windowSegments`). */
  get segments(): readonly HlsSegment[] {
    return this.#segments;
  }

  /** The segment being built, if any. */
  get current(): HlsSegment | undefined {
    return this.#segmenter.current;
  }

  /** The Media Sequence Number of the next segment to open. */
  get nextMsn(): number {
    return this.#segmenter.nextMsn;
  }

  /** The muxer of the live publisher (tracks and codecs), if any. */
  get muxer(): SegmentMuxer | undefined {
    return this.#segmenter.muxer;
  }

  /** EXT-X-TARGETDURATION: the configured target, raised (never lowered) by any longer segment. */
  get targetDuration(): number {
    return this.#targetDuration;
  }

  /** Bytes of the finished segments held in memory. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether the playlist ends with EXT-X-ENDLIST (only when the operator asked for it). */
  get ended(): boolean {
    return this.#o.endList && !this.live && this.#segments.length > 0;
  }

  /** MediaTap: a publisher starts. After an ENDLIST the playlist restarts from scratch. */
  publisherStarted(): void {
    if (this.ended) this.#restart();
    this.#segmenter.publisherStarted();
  }

  /** MediaTap: one message, muxed and filed synchronously. */
  media(msg: MediaMessage): void {
    this.#segmenter.media(msg);
  }

  /** MediaTap: the publisher left; the open segment is finished. */
  publisherEnded(): void {
    this.#segmenter.publisherEnded();
  }

  /** MediaTap: the publisher left and may return within the reconnect grace; the playlist stays live. */
  publisherPaused(): void {
    this.#segmenter.publisherPaused();
  }

  /** A finished segment still held, by Media Sequence Number. */
  segment(msn: number): HlsSegment | undefined {
    const first = this.#segments[0];
    if (!first || msn < first.msn) return undefined;
    const seg = this.#segments[msn - first.msn];
    return seg?.msn === msn ? seg : undefined;
  }

  /** A closed part of a held segment or of the segment in progress. */
  part(msn: number, index: number): HlsPart | undefined {
    const current = this.current;
    const seg = current?.msn === msn ? current : this.segment(msn);
    return seg?.parts[index];
  }

  /** The playlist text for `query` (`?txSecret=…&txTime=…` or ''), rendered once per change. */
  playlist(lowLatency: boolean, query: string): string {
    const cacheKey = `${lowLatency ? 'L' : 'N'}${query}`;
    let text = this.#playlists.get(cacheKey);
    if (text === undefined) {
      if (this.#playlists.size >= maxCachedPlaylists) this.#playlists.clear();
      text = this.#render(lowLatency && this.#partsOn, query);
      this.#playlists.set(cacheKey, text);
    }
    return text;
  }

  /** URI of a segment, relative to the playlist. */
  segmentUri(msn: number, query: string): string {
    return `${this.name}/${this.gen}_${msn}.${this.#ext}${query}`;
  }

  /** URI of a part, relative to the playlist. */
  partUri(msn: number, index: number, query: string): string {
    return `${this.name}/${this.gen}_${msn}_${index}.${this.#ext}${query}`;
  }

  /** URI of an fMP4 init segment (EXT-X-MAP), relative to the playlist. */
  initUri(id: number, query: string): string {
    return `${this.name}/${this.gen}_init${id}.mp4${query}`;
  }

  /** An fMP4 init segment some held segment (or the one in progress) decodes with. */
  init(id: number): HlsInit | undefined {
    const current = this.current?.map;
    if (current?.id === id) return current;
    for (let i = this.#segments.length - 1; i >= 0; i--) {
      const map = this.#segments[i]!.map;
      if (map?.id === id) return map;
    }
    return undefined;
  }

  /** The file of a segment written to disk storage. */
  filePath(seg: HlsSegment): string {
    return this.#init.files?.path(this.#fileName(seg)) ?? '';
  }

  /** Detaches nothing by itself (the owner closes the tap); wakes parked requests, frees segments. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.waiters.close();
    for (const seg of this.#segments) seg.bytes = undefined;
    this.#segments = [];
    this.#bytes = 0;
    this.#playlists.clear();
  }

  #newSegmenter(): Segmenter {
    return new Segmenter({
      segmentTargetMs: this.#o.segmentTargetMs,
      partTargetMs: this.#partsOn ? this.#o.partTargetMs : undefined,
      maxSegmentBytes: Math.floor(this.#o.maxStreamBytes / 2),
      newMuxer: this.#init.newMuxer,
      now: this.#o.now,
      listener: { changed: () => this.#changed(), segmentComplete: (s) => this.#completed(s) },
      ...(this.#init.onError && { onError: this.#init.onError }),
    });
  }

  /** After an ENDLIST: a new segmenter and an empty window; URIs stay unique through the msn reset. */
  #restart(): void {
    for (const seg of this.#segments) this.#init.files?.remove(this.#fileName(seg));
    this.#segments = [];
    this.#bytes = 0;
    this.#segmenter = this.#newSegmenter();
    this.#gen = `${this.#gen}r`;
  }

  #changed(): void {
    this.#playlists.clear();
    this.waiters.notify();
  }

  #completed(seg: HlsSegment): void {
    if (this.#closed) return;
    this.#segments.push(seg);
    this.#bytes += seg.size;
    this.#targetDuration = Math.max(this.#targetDuration, Math.round(seg.duration));
    const o = this.#o;
    // RFC 8216 §6.2.2: a segment leaves the playlist first and stays fetchable for `retainSegments` more.
    while (this.#segments.length > o.windowSegments + o.retainSegments) this.#drop();
    while (this.#bytes > o.maxStreamBytes && this.#segments.length > 1) this.#drop();
    const files = this.#init.files;
    if (files) {
      const name = this.#fileName(seg);
      void files.write(name, seg.bytes!).then((ok) => {
        // A segment that expired while its file was being written leaves no file behind.
        if (ok && !this.#segments.includes(seg)) files.remove(name);
        seg.stored = ok;
        this.#releaseStored();
      });
    }
  }

  #drop(): void {
    const seg = this.#segments.shift()!;
    if (seg.bytes) this.#bytes -= seg.size;
    seg.bytes = undefined;
    if (seg.stored) this.#init.files?.remove(this.#fileName(seg));
  }

  /** Disk mode: segments on disk leave memory once their parts are no longer listed. */
  #releaseStored(): void {
    const keep = this.#partSegments();
    const segs = this.#segments;
    for (let i = 0; i < segs.length - keep; i++) {
      const seg = segs[i]!;
      if (seg.stored && seg.bytes) {
        seg.bytes = undefined;
        for (const part of seg.parts) part.bytes = part.bytes.subarray(0, 0);
        this.#bytes -= seg.size;
      }
    }
  }

  /** The file name of a stored segment (its URI's last path segment). */
  #fileName(seg: HlsSegment): string {
    return `${this.gen}_${seg.msn}.${this.#ext}`;
  }

  /**
   * How many of the newest finished segments list their parts: RFC 8216bis §6.2.2 drops parts
   * older than three target durations from the end of the playlist.
   */
  #partSegments(): number {
    const limit = 3 * this.#targetDuration;
    let total = this.current?.parts.reduce((sum, p) => sum + p.duration, 0) ?? 0;
    let n = 0;
    for (let i = this.#segments.length - 1; i >= 0 && total < limit; i--, n++) total += this.#segments[i]!.duration;
    return n;
  }

  #render(ll: boolean, query: string): string {
    const listed = this.#segments.slice(-this.#o.windowSegments);
    const withParts = ll ? listed.length - this.#partSegments() : listed.length;
    const part =
      (msn: number) =>
      (p: HlsPart): PlaylistPart => ({
        uri: this.partUri(msn, p.index, query),
        duration: p.duration,
        independent: p.independent,
      });
    const segments = listed.map((s, i): PlaylistSegment => ({
      uri: this.segmentUri(s.msn, query),
      duration: s.duration,
      // The first listed segment's discontinuity is counted in EXT-X-DISCONTINUITY-SEQUENCE instead.
      discontinuity: i > 0 && s.discontinuity,
      programDateTime: s.programDateTime,
      ...(s.map && { map: this.initUri(s.map.id, query) }),
      ...(i >= withParts && { parts: s.parts.map(part(s.msn)) }),
    }));
    const current = this.current;
    return writeMediaPlaylist({
      targetDuration: this.#targetDuration,
      mediaSequence: listed[0]?.msn ?? this.#segmenter.nextMsn,
      discontinuitySequence: listed[0]?.discontinuitySequence ?? 0,
      segments,
      // Segments start on a keyframe, or on an audio frame, which is always decodable.
      independentSegments: true,
      endList: this.ended,
      ...(ll && {
        lowLatency: {
          partTarget: this.#o.partTargetMs / 1000,
          partHoldBack: (3 * this.#o.partTargetMs) / 1000,
          pendingParts: current ? current.parts.map(part(current.msn)) : [],
          pendingDiscontinuity: listed.length > 0 && (current?.discontinuity ?? false),
          ...(current?.map && { pendingMap: this.initUri(current.map.id, query) }),
          ...(this.live && {
            preloadHint: current
              ? this.partUri(current.msn, current.parts.length, query)
              : this.partUri(this.#segmenter.nextMsn, 0, query),
          }),
        },
      }),
    });
  }
}
