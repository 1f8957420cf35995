/**
 * The RTMP chunk stream decoder (RTMP 1.0 §5.3): a synchronous parser over a byte queue that
 * reassembles chunks into messages, applying Set Chunk Size and Abort (§5.4.1, §5.4.2) itself so
 * that chunks after them in the same read parse correctly.
 */

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../../errors.ts';
import { ByteQueue } from './byte-queue.ts';
import {
  checkChunkSize,
  chunkDecoderDefaults,
  sizeLimits,
  typeClass,
  type ChunkDecoderOptions,
} from './chunk-limits.ts';

/** A reassembled RTMP message as the chunk layer sees it. */
export interface RtmpMessage {
  /** The chunk stream it arrived on (an addition to the message: useful to answer on the same one). */
  csid: number;
  typeId: number;
  /** The message stream id (little-endian on the wire, RTMP 1.0 §5.3.1.2.1). */
  streamId: number;
  /** Absolute timestamp in milliseconds, unsigned 32-bit. */
  timestamp: number;
  payload: Buffer;
}

/** Per chunk stream state (RTMP 1.0 §5.3.1.2: later headers reuse the previous one's fields). */
interface ChunkStream {
  timestamp: number;
  /** The previous header's timestamp field: a delta for fmt 1/2, the absolute time for fmt 0. */
  delta: number;
  length: number;
  typeId: number;
  streamId: number;
  /** Whether the previous header used the extended timestamp field, and its value. */
  extended: boolean;
  extValue: number;
  /**
   * The message being reassembled, allocated once from its announced length: chunks are copied in,
   * so a peer's 1-byte chunks cost one byte each, not a Buffer view each. `empty` when none.
   */
  buf: Buffer;
  received: number;
  active: boolean;
}

/** The header of the chunk being parsed; one per decoder, reused for every chunk. */
interface ChunkHeader {
  fmt: number;
  csid: number;
  /** The chunk stream's state, undefined for a fresh one. */
  stream: ChunkStream | undefined;
  /** The timestamp field (or the extended timestamp when it was 0xFFFFFF). */
  field: number;
  length: number;
  typeId: number;
  streamId: number;
  extended: boolean;
  /** Header bytes: basic header, message header and extended timestamp. */
  size: number;
}

const MaxHeader = 18; // 3-byte basic header + 11-byte fmt 0 header + 4-byte extended timestamp
const MessageHeaderSize = [11, 7, 3, 0] as const;
const TypeSetChunkSize = 1;
const TypeAbort = 2;
const empty = Buffer.alloc(0);
const MiB = 1024 * 1024;

/**
 * Where a header split over two received Buffers is copied to be read. One per process: it is filled and
 * read within one #readHeader call. One per decoder would be a slice of Buffer's 64 KiB pool, and each
 * connection's would keep a different slab alive (about 11 KB per RTMP player, bench/heap-diff.ts).
 */
const scratch = Buffer.allocUnsafeSlow(MaxHeader);

/** ChunkDecoder turns received bytes into RtmpMessages; it throws only ProtocolError. */
export class ChunkDecoder {
  #queue = new ByteQueue();
  #chunkSize = 128;
  #streams = new Map<number, ChunkStream>();
  #header: ChunkHeader = {
    fmt: 0,
    csid: 0,
    stream: undefined,
    field: 0,
    length: 0,
    typeId: 0,
    streamId: 0,
    extended: false,
    size: 0,
  };
  /** Size limit per message type id (shared with the other decoders of the same limits: never written). */
  readonly #caps: Float64Array;
  #maxPartialBytes: number;
  #minChunkSize: number;
  #maxChunkStreams: number;
  /** Bytes announced by the messages being reassembled, all chunk streams together. */
  #partial = 0;
  /**
   * Whether the peer repeats the extended timestamp on fmt 3 chunks: librtmp and ffmpeg do, the
   * 2009 spec text says not to. Decided once, from the first fmt 3 chunk that can tell.
   */
  #repeatsExtended: boolean | undefined;

  constructor(options: ChunkDecoderOptions = {}) {
    const d = chunkDecoderDefaults;
    const media = options.maxMessageSize ?? d.maxMessageSize;
    this.#caps = sizeLimits(
      media,
      options.maxCommandSize ?? d.maxCommandSize,
      options.maxControlSize ?? d.maxControlSize,
    );
    this.#maxPartialBytes = options.maxPartialBytes ?? media + MiB;
    this.#minChunkSize = options.minChunkSize ?? d.minChunkSize;
    this.#maxChunkStreams = options.maxChunkStreams ?? d.maxChunkStreams;
  }

  /** Bytes announced by partial messages right now (what the connection holds for them, at most). */
  get partialBytes(): number {
    return this.#partial;
  }

  /** The peer's current chunk size (128 until it sends Set Chunk Size). */
  get chunkSize(): number {
    return this.#chunkSize;
  }

  /** Bytes received but not yet parsed (a partial chunk). */
  get buffered(): number {
    return this.#queue.length;
  }

  /**
   * Applies a chunk size, as a Set Chunk Size message does. Below `minChunkSize` is refused: with
   * 1-byte chunks a 4 MB message is 4 M chunk headers to parse, for nothing a real encoder needs.
   */
  setChunkSize(size: number): void {
    checkChunkSize(size);
    if (size < this.#minChunkSize) {
      throw new ProtocolError(
        'RTMP_CHUNK_SIZE_TOO_SMALL',
        `Set Chunk Size ${size} is below the ${this.#minChunkSize}-byte minimum (rtmp.minChunkSize)`,
      );
    }
    this.#chunkSize = size;
  }

  /** Drops the partial message of a chunk stream, as an Abort Message does (RTMP 1.0 §5.4.2). */
  abort(csid: number): void {
    const cs = this.#streams.get(csid);
    if (cs === undefined || !cs.active) return;
    this.#partial -= cs.length;
    cs.buf = empty;
    cs.received = 0;
    cs.active = false;
  }

  /** Parses what it can of `bytes` (plus earlier leftovers), appending whole messages to `out`. */
  push(bytes: Buffer, out: RtmpMessage[] = []): RtmpMessage[] {
    this.#queue.push(bytes);
    while (this.#queue.length > 0 && this.#chunk(out));
    return out;
  }

  /** Parses one chunk; returns false when more bytes are needed. */
  #chunk(out: RtmpMessage[]): boolean {
    const h = this.#header;
    if (!this.#readHeader(h)) return false;
    const cs = h.stream ?? this.#newStream(h.csid);
    if (h.fmt < 3 && cs.active) {
      throw new ProtocolError(
        'RTMP_CHUNK_HEADER',
        `fmt ${h.fmt} header on chunk stream ${h.csid} before its ${cs.length}-byte message completed`,
      );
    }
    const starts = !cs.active;
    const remaining = starts ? (h.fmt < 2 ? h.length : cs.length) : cs.length - cs.received;
    // Checked when the header announces the message, before any of its bytes is held.
    if (starts && this.#partial + remaining > this.#maxPartialBytes) this.#partialLimit(h.csid, remaining);
    const chunkLen = remaining < this.#chunkSize ? remaining : this.#chunkSize;
    if (this.#queue.length < h.size + chunkLen) return false;
    // Everything needed is here: commit the header.
    this.#queue.skip(h.size);
    if (h.fmt < 3) {
      cs.extended = h.extended;
      if (h.extended) cs.extValue = h.field;
      if (h.fmt < 2) {
        cs.length = h.length;
        cs.typeId = h.typeId;
      }
      if (h.fmt === 0) cs.streamId = h.streamId;
      cs.timestamp = h.fmt === 0 ? h.field : (cs.timestamp + h.field) >>> 0;
      cs.delta = h.field;
    } else if (starts) {
      // §5.3.1.2.4: a fmt 3 chunk that starts a message reuses the previous timestamp delta.
      cs.timestamp = (cs.timestamp + cs.delta) >>> 0;
    }
    return this.#payload(cs, h.csid, chunkLen, starts, out);
  }

  /** Reads the basic and message headers (§5.3.1) into `h` without consuming; false if incomplete. */
  #readHeader(h: ChunkHeader): boolean {
    const q = this.#queue;
    const avail = q.length;
    const need = avail < MaxHeader ? avail : MaxHeader;
    let buf = q.head;
    let off = q.headOffset;
    if (buf.length - off < need) {
      buf = q.copyPrefix(scratch, need);
      off = 0;
    }
    const fmt = buf[off]! >> 6;
    let csid = buf[off]! & 0x3f;
    let pos = 1;
    // §5.3.1.1: csid 0 and 1 announce 2- and 3-byte basic headers (ids 64..65599).
    if (csid === 0) {
      if (avail < 2) return false;
      csid = buf[off + 1]! + 64;
      pos = 2;
    } else if (csid === 1) {
      if (avail < 3) return false;
      csid = buf[off + 1]! + buf[off + 2]! * 256 + 64;
      pos = 3;
    }
    if (avail < pos + MessageHeaderSize[fmt as 0 | 1 | 2 | 3]) return false;
    const cs = this.#streams.get(csid);
    // A fresh chunk stream must start with fmt 0 (§5.3.1.2.1); librtmp starts its ping on csid 2
    // with fmt 1 (SRS issue 98), which carries everything but the stream id, so that one passes.
    if (cs === undefined && fmt > 1) {
      throw new ProtocolError('RTMP_CHUNK_HEADER', `chunk stream ${csid} starts with fmt ${fmt}, not 0`);
    }
    h.fmt = fmt;
    h.csid = csid;
    h.stream = cs;
    if (fmt < 3) {
      h.field = buf[off + pos]! * 65536 + buf[off + pos + 1]! * 256 + buf[off + pos + 2]!;
      if (fmt < 2) {
        h.length = buf[off + pos + 3]! * 65536 + buf[off + pos + 4]! * 256 + buf[off + pos + 5]!;
        h.typeId = buf[off + pos + 6]!;
        if (fmt === 0) h.streamId = buf.readUInt32LE(off + pos + 7);
        if (h.length > this.#caps[h.typeId]!) this.#tooLarge(h.length, h.typeId, csid);
      }
      pos += MessageHeaderSize[fmt as 0 | 1 | 2];
    }
    // §5.3.1.3: a timestamp field of 0xFFFFFF means a 32-bit extended timestamp follows.
    h.extended = fmt < 3 ? h.field === 0xffffff : cs!.extended;
    if (h.extended && (fmt < 3 || this.#repeatsExtended !== false)) {
      if (avail < pos + 4) return false;
      const ext = buf.readUInt32BE(off + pos);
      if (fmt < 3) {
        h.field = ext;
        pos += 4;
      } else if (this.#repeats(ext, cs!)) {
        pos += 4;
      }
    }
    h.size = pos;
    return true;
  }

  #tooLarge(length: number, typeId: number, csid: number): never {
    const [kind, key] = typeClass(typeId);
    throw new ProtocolError(
      'RTMP_MESSAGE_TOO_LARGE',
      `${kind} message (type ${typeId}) of ${length} bytes on chunk stream ${csid} exceeds the ${this.#caps[typeId]}-byte limit (${key})`,
    );
  }

  #partialLimit(csid: number, length: number): never {
    throw new ProtocolError(
      'RTMP_PARTIAL_LIMIT',
      `a ${length}-byte message on chunk stream ${csid} would make ${this.#partial + length} bytes of partial messages, ` +
        `over the ${this.#maxPartialBytes}-byte limit (rtmp.maxPartialBytes)`,
    );
  }

  /** Decides whether a fmt 3 chunk carries the repeated extended timestamp `ext`. */
  #repeats(ext: number, cs: ChunkStream): boolean {
    if (this.#repeatsExtended === undefined) this.#repeatsExtended = ext === cs.extValue;
    return this.#repeatsExtended;
  }

  #newStream(csid: number): ChunkStream {
    if (this.#streams.size >= this.#maxChunkStreams) {
      throw new ProtocolError('RTMP_CHUNK_STREAM_LIMIT', `more than ${this.#maxChunkStreams} chunk streams in use`);
    }
    const cs: ChunkStream = {
      timestamp: 0,
      delta: 0,
      length: 0,
      typeId: 0,
      streamId: 0,
      extended: false,
      extValue: 0,
      buf: empty,
      received: 0,
      active: false,
    };
    this.#streams.set(csid, cs);
    return cs;
  }

  /** Consumes one chunk's payload; emits the message when it is complete. */
  #payload(cs: ChunkStream, csid: number, n: number, starts: boolean, out: RtmpMessage[]): boolean {
    let payload: Buffer;
    if (starts && n === cs.length) {
      // The whole message is in this chunk: hand out a view of the received bytes.
      payload = n === 0 ? empty : this.#queue.read(n);
    } else {
      if (starts) {
        cs.buf = Buffer.allocUnsafe(cs.length);
        this.#partial += cs.length;
      }
      this.#queue.readInto(cs.buf, cs.received, n);
      cs.received += n;
      cs.active = cs.received < cs.length;
      if (cs.active) return true;
      payload = cs.buf;
      this.#partial -= cs.length;
      cs.buf = empty;
      cs.received = 0;
    }
    const msg: RtmpMessage = {
      csid,
      typeId: cs.typeId,
      streamId: cs.streamId,
      timestamp: cs.timestamp,
      payload,
    };
    if (msg.typeId === TypeSetChunkSize || msg.typeId === TypeAbort) this.#control(msg);
    out.push(msg);
    return true;
  }

  /** Applies Set Chunk Size and Abort at once: the very next chunk may depend on them. */
  #control(msg: RtmpMessage): void {
    if (msg.payload.length < 4) {
      throw new ProtocolError('RTMP_MESSAGE_INVALID', `control message type ${msg.typeId} shorter than 4 bytes`);
    }
    const value = msg.payload.readUInt32BE(0);
    if (msg.typeId === TypeSetChunkSize) this.setChunkSize(value);
    else this.abort(value);
  }
}
