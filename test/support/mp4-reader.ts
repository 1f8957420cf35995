/**
 * A small ISO BMFF reader for tests: walks boxes, and reads the tracks of a progressive MP4 (as ffmpeg
 * writes them) down to sample entries, configuration boxes and samples, so tests can turn ffmpeg's
 * HEVC/AV1/Opus encodes into Enhanced RTMP messages and check our muxer's boxes field by field.
 */
import { MediaType, mediaMessage, type MediaMessage } from '../../src/protocol/media.ts';

/** One box: where it starts and ends in the buffer and where its payload begins. */
export interface BoxAt {
  readonly type: string;
  readonly start: number;
  readonly body: number;
  readonly end: number;
}

/** The boxes between `start` and `end` (64-bit sizes and size 0 = to the end handled; the last may be cut short). */
export function boxes(buf: Buffer, start = 0, end = buf.length): BoxAt[] {
  const out: BoxAt[] = [];
  for (let at = start; at + 8 <= end;) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let body = at + 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(at + 8));
      body += 8;
    } else if (size === 0) size = end - at;
    if (size < 8) throw new Error(`box ${type} at ${at} has a bad size ${size}`);
    // A box running past the end is kept, cut at the end: a file's head without its mdat payload.
    out.push({ type, start: at, body, end: Math.min(at + size, end) });
    at += size;
  }
  return out;
}

/** The first box along `path` (e.g. `moov/trak/mdia`), searching from `within`. */
export function find(buf: Buffer, path: string, within?: BoxAt): BoxAt | undefined {
  let scope = within;
  for (const type of path.split('/')) {
    const list = boxes(buf, scope?.body ?? 0, scope?.end ?? buf.length);
    scope = list.find((b) => b.type === type);
    if (!scope) return undefined;
  }
  return scope;
}

/** All boxes of `type` directly inside `within` (or at top level). */
export function all(buf: Buffer, type: string, within?: BoxAt): BoxAt[] {
  return boxes(buf, within?.body ?? 0, within?.end ?? buf.length).filter((b) => b.type === type);
}

/** A sample read back from a file. */
export interface ReadSample {
  dts: number;
  cts: number;
  sync: boolean;
  data: Buffer;
}

/** A track read back: handler, timescale, sample entry type, its configuration box payload, samples. */
export interface ReadTrack {
  handler: string;
  timescale: number;
  entry: string;
  /** Payload of the entry's first child box (avcC, hvcC, av1C, esds, dOps). */
  config: Buffer;
  configType: string;
  samples: ReadSample[];
}

/** Reads every track of a progressive MP4. */
export function readMp4(buf: Buffer): ReadTrack[] {
  const moov = find(buf, 'moov')!;
  return all(buf, 'trak', moov).map((trak) => {
    const mdia = find(buf, 'mdia', trak)!;
    const mdhd = find(buf, 'mdhd', mdia)!;
    const v1 = buf[mdhd.body] === 1;
    const timescale = buf.readUInt32BE(mdhd.body + (v1 ? 20 : 12));
    const hdlr = find(buf, 'hdlr', mdia)!;
    const handler = buf.toString('latin1', hdlr.body + 8, hdlr.body + 12);
    const stbl = find(buf, 'minf/stbl', mdia)!;
    const stsd = find(buf, 'stsd', stbl)!;
    const [entryBox] = boxes(buf, stsd.body + 8, stsd.end);
    const skip = handler === 'vide' ? 78 : 28;
    const [cfg] = boxes(buf, entryBox!.body + skip, entryBox!.end);
    const table = (type: string): BoxAt | undefined => find(buf, type, stbl);
    const u32s = (b: BoxAt | undefined, from: number): number[] => {
      if (!b) return [];
      const out: number[] = [];
      for (let at = b.body + from; at + 4 <= b.end; at += 4) out.push(buf.readUInt32BE(at));
      return out;
    };
    const stsz = table('stsz')!;
    const fixed = buf.readUInt32BE(stsz.body + 4);
    const count = buf.readUInt32BE(stsz.body + 8);
    const sizes = fixed ? Array<number>(count).fill(fixed) : u32s(stsz, 12);
    const co64 = table('co64');
    const offsets = co64
      ? [...Array(buf.readUInt32BE(co64.body + 4)).keys()].map((i) =>
          Number(buf.readBigUInt64BE(co64.body + 8 + 8 * i)),
        )
      : u32s(table('stco'), 8);
    const stsc = u32s(table('stsc'), 8);
    const stts = u32s(table('stts'), 8);
    const cttsBox = table('ctts');
    const ctts: number[] = [];
    if (cttsBox)
      for (let at = cttsBox.body + 8; at + 8 <= cttsBox.end; at += 8)
        ctts.push(buf.readUInt32BE(at), buf.readInt32BE(at + 4));
    const stss = table('stss') ? new Set(u32s(table('stss'), 8)) : undefined;
    const samples: ReadSample[] = [];
    let n = 0;
    for (let chunk = 0; chunk < offsets.length; chunk++) {
      let per = 0;
      for (let r = 0; r < stsc.length; r += 3) if (stsc[r]! - 1 <= chunk) per = stsc[r + 1]!;
      let at = offsets[chunk]!;
      for (let k = 0; k < per && n < sizes.length; k++, n++) {
        samples.push({ dts: 0, cts: 0, sync: stss ? stss.has(n + 1) : true, data: buf.subarray(at, at + sizes[n]!) });
        at += sizes[n]!;
      }
    }
    expand(stts).reduce((dts, d, i) => ((samples[i]!.dts = dts), dts + d), 0);
    expand(ctts).forEach((c, i) => (samples[i]!.cts = c));
    return {
      handler,
      timescale,
      entry: entryBox!.type,
      config: buf.subarray(cfg!.body, cfg!.end),
      configType: cfg!.type,
      samples,
    };
  });
}

/** (count, value) pairs to one value per sample. */
function expand(pairs: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < pairs.length; i += 2) for (let k = 0; k < pairs[i]!; k++) out.push(pairs[i + 1]!);
  return out;
}

/** The AudioSpecificConfig inside an esds payload (ISO/IEC 14496-1 descriptors). */
export function ascFromEsds(esds: Buffer): Buffer {
  let at = 4; // FullBox version and flags
  const readDescriptor = (): { tag: number; body: number; size: number } => {
    const tag = esds[at++]!;
    let size = 0;
    for (;;) {
      const b = esds[at++]!;
      size = (size << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return { tag, body: at, size };
  };
  readDescriptor(); // ES_Descriptor
  const flags = esds[at + 2]!;
  at += 3 + (flags & 0x80 ? 2 : 0);
  readDescriptor(); // DecoderConfigDescriptor
  at += 13;
  const info = readDescriptor();
  return esds.subarray(info.body, info.body + info.size);
}

/** An OpusHead built back from a dOps payload (big-endian to little-endian). */
export function opusHeadFromDops(d: Buffer): Buffer {
  const head = Buffer.alloc(19 + (d.length - 11));
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1;
  head[9] = d[1]!;
  head.writeUInt16LE(d.readUInt16BE(2), 10);
  head.writeUInt32LE(d.readUInt32BE(4), 12);
  head.writeInt16LE(d.readInt16BE(8), 16);
  head[18] = d[10]!;
  d.copy(head, 19, 11);
  return head;
}

/**
 * Enhanced RTMP messages (E-RTMP v2) for the tracks of an ffmpeg-made MP4: a SequenceStart per track,
 * then CodedFrames in timestamp order, as a publisher would send them.
 */
export function enhancedRtmpMessages(tracks: readonly ReadTrack[]): MediaMessage[] {
  const out: { ts: number; order: number; msg: MediaMessage }[] = [];
  tracks.forEach((t, order) => {
    const video = t.handler === 'vide';
    const fourCc = Buffer.from(t.entry === 'hev1' ? 'hvc1' : t.entry === 'mp4a' ? 'mp4a' : t.entry, 'latin1');
    const config =
      t.entry === 'mp4a' ? ascFromEsds(t.config) : t.entry === 'Opus' ? opusHeadFromDops(t.config) : t.config;
    const type = video ? MediaType.Video : MediaType.Audio;
    const startHeader = video ? 0x80 | (1 << 4) | 0 : 0x90;
    out.push({
      ts: -1,
      order,
      msg: mediaMessage(type, 0, Buffer.concat([Buffer.from([startHeader]), fourCc, config])),
    });
    for (const s of t.samples) {
      const ms = Math.round((s.dts * 1000) / t.timescale);
      if (!video) {
        out.push({ ts: ms, order, msg: mediaMessage(type, ms, Buffer.concat([Buffer.from([0x91]), fourCc, s.data])) });
        continue;
      }
      const head = Buffer.from([0x80 | ((s.sync ? 1 : 2) << 4) | 1]);
      // av01 CodedFrames carry no CompositionTime (E-RTMP v2); avc1/hvc1 carry an SI24.
      const cts = Buffer.alloc(3);
      cts.writeIntBE(Math.round(((s.dts + s.cts) * 1000) / t.timescale) - ms, 0, 3);
      out.push({
        ts: ms,
        order,
        msg: mediaMessage(
          type,
          ms,
          Buffer.concat(t.entry === 'av01' ? [head, fourCc, s.data] : [head, fourCc, cts, s.data]),
        ),
      });
    }
  });
  return out.sort((a, b) => a.ts - b.ts || a.order - b.order).map((x) => x.msg);
}
