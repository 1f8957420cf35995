// A lean RTMP chunk-stream reader for load generation: it walks chunk headers (RTMP 1.0 §5.3.1) without
// allocating per message, keeps the bodies of the few messages a player must answer, and only peeks at the
// first two bytes of media. A thousand players in two processes can afford this; a full decoder they cannot.
import { Buffer } from 'node:buffer';

/** What the walker tells its player. */
export interface WalkerSink {
  /** Whether the body of a new message of this type must be kept whole (commands, control). */
  keepBody(type: number): boolean;
  /** A new message begins (its first chunk header has been read). */
  onMessageStart(type: number): void;
  /** A message is complete; body is set only when keepBody said so; head holds its first two bytes; len is its length. */
  onMessage(type: number, body: Buffer | null, head: number, len: number): void;
}

interface ChunkStream {
  len: number;
  type: number;
  ext: boolean;
  left: number;
  got: number;
  head: number;
  body: Buffer | null;
}

const MAX_KEPT_BODY = 64 * 1024;
const MAX_HEADER = 18; // 3-byte basic header + 11-byte type-0 header + 4-byte extended timestamp

/** Walks a byte stream of RTMP chunks, calling the sink at message boundaries. */
export class ChunkWalker {
  /** The peer's chunk size, changed by the player when a Set Chunk Size message arrives (RTMP 1.0 §5.4.1). */
  chunkSize = 128;
  private readonly sink: WalkerSink;
  private readonly streams = new Map<number, ChunkStream>();
  private readonly pending = Buffer.alloc(MAX_HEADER);
  private pendingLen = 0;
  private cur: ChunkStream | null = null;
  private chunkLeft = 0;

  constructor(sink: WalkerSink) {
    this.sink = sink;
  }

  /** Consumes buf[off, end); keeps a partial header for the next call. */
  push(buf: Buffer, off: number, end: number): void {
    while (off < end) {
      if (this.chunkLeft > 0) {
        off = this.payload(buf, off, end);
        continue;
      }
      if (this.pendingLen > 0) {
        const had = this.pendingLen;
        const k = Math.min(MAX_HEADER - had, end - off);
        buf.copy(this.pending, had, off, off + k);
        const used = this.header(this.pending, 0, had + k);
        if (used < 0) {
          this.pendingLen = had + k;
          return;
        }
        this.pendingLen = 0;
        off += used - had;
      } else {
        const used = this.header(buf, off, end);
        if (used < 0) {
          buf.copy(this.pending, 0, off, end);
          this.pendingLen = end - off;
          return;
        }
        off += used;
      }
      if (this.chunkLeft === 0 && this.cur !== null && this.cur.left === 0) this.finish(this.cur);
    }
  }

  private payload(buf: Buffer, off: number, end: number): number {
    const cs = this.cur as ChunkStream;
    const n = Math.min(this.chunkLeft, end - off);
    if (cs.body !== null) buf.copy(cs.body, cs.got, off, off + n);
    else if (cs.got === 0) cs.head = ((buf[off] as number) << 8) | (n > 1 ? (buf[off + 1] as number) : 0);
    else if (cs.got === 1) cs.head |= buf[off] as number;
    cs.got += n;
    cs.left -= n;
    this.chunkLeft -= n;
    if (cs.left === 0) this.finish(cs);
    return off + n;
  }

  private finish(cs: ChunkStream): void {
    const body = cs.body === null ? null : cs.body.subarray(0, cs.got);
    this.sink.onMessage(cs.type, body, cs.head, cs.got);
  }

  /** Parses one chunk header at buf[o, e); returns its length, or -1 when it is not all there yet. */
  private header(buf: Buffer, o: number, e: number): number {
    const b0 = buf[o] as number;
    const fmt = b0 >> 6;
    let csid = b0 & 0x3f;
    let p = o + 1;
    if (csid === 0) {
      if (e - p < 1) return -1;
      csid = 64 + (buf[p] as number);
      p += 1;
    } else if (csid === 1) {
      if (e - p < 2) return -1;
      csid = 64 + (buf[p] as number) + (buf[p + 1] as number) * 256;
      p += 2;
    }
    const mh = fmt === 0 ? 11 : fmt === 1 ? 7 : fmt === 2 ? 3 : 0;
    if (e - p < mh) return -1;
    let cs = this.streams.get(csid);
    if (cs === undefined) {
      cs = { len: 0, type: 0, ext: false, left: 0, got: 0, head: 0, body: null };
      this.streams.set(csid, cs);
    }
    const ext = fmt < 3 ? buf.readUIntBE(p, 3) === 0xffffff : cs.ext;
    if (ext && e - p - mh < 4) return -1;
    const fresh = fmt < 3 || cs.left === 0;
    if (fmt <= 1) {
      cs.len = buf.readUIntBE(p + 3, 3);
      cs.type = buf[p + 6] as number;
    }
    cs.ext = ext;
    p += mh + (ext ? 4 : 0);
    if (fresh) this.begin(cs);
    this.cur = cs;
    this.chunkLeft = Math.min(this.chunkSize, cs.left);
    return p - o;
  }

  private begin(cs: ChunkStream): void {
    cs.left = cs.len;
    cs.got = 0;
    cs.head = 0;
    if (this.sink.keepBody(cs.type) && cs.len <= MAX_KEPT_BODY) {
      if (cs.body === null || cs.body.length < cs.len) cs.body = Buffer.alloc(Math.max(cs.len, 256));
    } else {
      cs.body = null;
    }
    this.sink.onMessageStart(cs.type);
  }
}
