/**
 * HLS VOD recordings (Tencent `HlsParam`): MPEG-TS segments from the TS muxer (protocol/mpegts) cut at
 * video keyframes (any audio frame without video) once the segment target is reached, and a playlist
 * rewritten after each segment: `EXT-X-PLAYLIST-TYPE:EVENT` while recording, so a file cut by a crash still
 * plays, and `VOD` with `EXT-X-ENDLIST` when it ends (RFC 8216 §4.3.3.5, §4.3.3.4).
 */
import { Buffer } from 'node:buffer';
import type { MediaMessage } from '../../../protocol/media.ts';
import { TsMuxer } from '../../../protocol/mpegts/ts-muxer.ts';
import type { RecordFormat, RecordFormatInit, RecordFormatWriter, RecordWrite } from './record-format.ts';

const ticksPerMs = 90;
// A keyframe this close to the target still cuts: ms timestamps of 29.97 fps land a hair short of it.
const cutSlackMs = 20;

/** One finished segment of the playlist. */
interface Segment {
  readonly name: string;
  readonly durationMs: number;
}

class HlsWriter implements RecordFormatWriter {
  readonly mainName: string;
  readonly #base: string;
  readonly #segmentMs: number;
  readonly #muxer = new TsMuxer();
  readonly #done: Segment[] = [];
  #open: { name: string; startMs: number } | undefined;

  constructor(init: RecordFormatInit) {
    this.#base = init.base;
    this.mainName = `${init.base}.m3u8`;
    this.#segmentMs = init.segmentMs;
  }

  push(msg: MediaMessage): RecordWrite[] {
    const chunk = this.#muxer.push(msg);
    if (!chunk) return [];
    const out: RecordWrite[] = [];
    const ms = chunk.dts / ticksPerMs;
    const open = this.#open;
    if (chunk.keyframe && (!open || ms - open.startMs >= this.#segmentMs - cutSlackMs)) {
      if (open) out.push(...this.#close(ms, false));
      this.#open = { name: `${this.#base}_${this.#done.length}.ts`, startMs: open ? ms : 0 };
      // A segment of audio only starts with no tables of its own (video keyframes carry them).
      if (chunk.track === 'audio') out.push({ op: 'append', name: this.#open.name, data: this.#muxer.tables() });
    }
    if (!this.#open) return out; // frames before the first keyframe cannot start a segment
    out.push({ op: 'append', name: this.#open.name, data: chunk.bytes });
    return out;
  }

  finish(endMs: number): RecordWrite[] {
    const out = this.#open ? this.#close(endMs, true) : [];
    if (!this.#open && this.#done.length === 0)
      out.push({ op: 'put', name: this.mainName, data: this.#playlist(true) });
    this.#open = undefined;
    return out;
  }

  /** Closes the open segment at `endMs` and rewrites the playlist. */
  #close(endMs: number, last: boolean): RecordWrite[] {
    const open = this.#open!;
    this.#done.push({ name: open.name, durationMs: Math.max(0, endMs - open.startMs) });
    return [
      { op: 'close', name: open.name },
      { op: 'put', name: this.mainName, data: this.#playlist(last) },
    ];
  }

  #playlist(ended: boolean): Buffer {
    const target = Math.max(1, ...this.#done.map((s) => Math.ceil(s.durationMs / 1000)));
    const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${target}`, '#EXT-X-MEDIA-SEQUENCE:0'];
    lines.push(`#EXT-X-PLAYLIST-TYPE:${ended ? 'VOD' : 'EVENT'}`);
    for (const s of this.#done) lines.push(`#EXTINF:${(s.durationMs / 1000).toFixed(3)},`, s.name);
    if (ended) lines.push('#EXT-X-ENDLIST');
    return Buffer.from(`${lines.join('\n')}\n`);
  }
}

/** The HLS format: `<base>.m3u8` and its segments `<base>_<n>.ts` in the same folder. */
export const hlsRecordFormat: RecordFormat = {
  name: 'hls',
  contentType: 'application/vnd.apple.mpegurl',
  audioOnly: false,
  partOf(base, name) {
    if (!name.startsWith(`${base}_`) || !/^\d{1,9}\.ts$/.test(name.slice(base.length + 1))) return undefined;
    return { contentType: 'video/mp2t' };
  },
  create: (init) => new HlsWriter(init),
};
