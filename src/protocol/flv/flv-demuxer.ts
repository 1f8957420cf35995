/**
 * A push parser for FLV streams and files (FLV 10.1 §E.2-§E.4): feed it bytes split anywhere, get the
 * complete tags as MediaMessages. Used for HTTP-FLV ingest, relays and the tests' fixtures.
 */
import { ProtocolError } from '../../errors.ts';
import { MediaType, mediaMessage, type MediaMessage } from '../media.ts';
import { FLV_HEADER_SIZE, FlvHeaderFlags } from './flv-header.ts';
import { FLV_MAX_DATA_SIZE, FLV_TAG_HEADER_SIZE } from './flv-tag.ts';

/** Limits for FlvDemuxer. */
export interface FlvDemuxerOptions {
  /** Largest tag body accepted, in bytes; default 16 MiB (all that DataSize's 24 bits can say). */
  maxTagSize?: number;
}

/** The FLV header's TypeFlags; informational only, since encoders set them loosely. */
export interface FlvHeaderInfo {
  readonly audio: boolean;
  readonly video: boolean;
}

/** A DataOffset beyond this is not a header we understand: version 1 headers are 9 bytes. */
const MAX_DATA_OFFSET = 4096;

type Stage = 'header' | 'skip' | 'tag-header' | 'tag-body';

/** Splits an FLV byte stream into MediaMessages; payloads are zero-copy views where a tag lies in one chunk. */
export class FlvDemuxer {
  private readonly maxTagSize: number;
  private readonly chunks: Buffer[] = [];
  private offset = 0; // read position in chunks[0]
  private buffered = 0;
  private stage: Stage = 'header';
  private need = FLV_HEADER_SIZE;
  private tagType: MediaType = MediaType.Data;
  private tagTimestamp = 0;
  private failure: ProtocolError | undefined;
  private info: FlvHeaderInfo | undefined;

  constructor(options: FlvDemuxerOptions = {}) {
    this.maxTagSize = Math.min(options.maxTagSize ?? FLV_MAX_DATA_SIZE, FLV_MAX_DATA_SIZE);
  }

  /** The header's TypeFlags once the header has arrived. */
  get header(): FlvHeaderInfo | undefined {
    return this.info;
  }

  /**
   * Appends `chunk` (which must not be modified afterwards: messages may be views of it) and returns
   * the tags it completed. Throws ProtocolError FLV_INVALID on invalid input, and again on every later push.
   */
  push(chunk: Buffer): MediaMessage[] {
    if (this.failure) throw this.failure;
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: MediaMessage[] = [];
    try {
      while (this.buffered >= this.need) this.step(out);
    } catch (err) {
      if (err instanceof ProtocolError) this.failure = err;
      throw err;
    }
    return out;
  }

  private step(out: MediaMessage[]): void {
    switch (this.stage) {
      case 'header':
        return this.readHeader(this.take(FLV_HEADER_SIZE));
      case 'skip':
        this.drop(this.need);
        return this.expect('tag-header', FLV_TAG_HEADER_SIZE);
      case 'tag-header':
        return this.readTagHeader(this.take(FLV_TAG_HEADER_SIZE));
      case 'tag-body': {
        const size = this.need - 4;
        out.push(mediaMessage(this.tagType, this.tagTimestamp, this.take(size)));
        // PreviousTagSize is not checked: it is redundant and some muxers have written it wrong.
        this.drop(4);
        return this.expect('tag-header', FLV_TAG_HEADER_SIZE);
      }
    }
  }

  private readHeader(h: Buffer): void {
    if (h[0] !== 0x46 || h[1] !== 0x4c || h[2] !== 0x56) this.fail('not an FLV stream (no "FLV" signature)');
    const dataOffset = h.readUInt32BE(5);
    if (dataOffset < FLV_HEADER_SIZE || dataOffset > MAX_DATA_OFFSET) this.fail(`absurd FLV DataOffset ${dataOffset}`);
    this.info = { audio: (h[4]! & FlvHeaderFlags.Audio) !== 0, video: (h[4]! & FlvHeaderFlags.Video) !== 0 };
    // Skip any header extension and PreviousTagSize0.
    this.expect('skip', dataOffset - FLV_HEADER_SIZE + 4);
  }

  private readTagHeader(h: Buffer): void {
    const type = h[0]!;
    // Reserved(2) and Filter(1) must be 0: Filter marks encrypted tags, which we cannot pass on (FLV 10.1 §E.4.1).
    if (type !== MediaType.Audio && type !== MediaType.Video && type !== MediaType.Data) {
      this.fail(`invalid FLV tag type 0x${type.toString(16)}`);
    }
    const size = h.readUIntBE(1, 3);
    if (size > this.maxTagSize) this.fail(`FLV tag of ${size} bytes exceeds the ${this.maxTagSize}-byte limit`);
    this.tagType = type;
    this.tagTimestamp = (h.readUIntBE(4, 3) | (h[7]! << 24)) >>> 0;
    this.expect('tag-body', size + 4);
  }

  private expect(stage: Stage, need: number): void {
    this.stage = stage;
    this.need = need;
  }

  /** Consumes `n` buffered bytes: a view when they lie in one chunk, else one copy. */
  private take(n: number): Buffer {
    const head = this.chunks[0];
    if (head !== undefined && head.length - this.offset >= n) {
      const view = head.subarray(this.offset, this.offset + n);
      this.drop(n);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    while (copied < n) {
      const chunk = this.chunks[0]!;
      const len = Math.min(chunk.length - this.offset, n - copied);
      chunk.copy(out, copied, this.offset, this.offset + len);
      copied += len;
      this.drop(len);
    }
    return out;
  }

  /** Discards `n` buffered bytes. */
  private drop(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const left = this.chunks[0]!.length - this.offset;
      if (n < left) {
        this.offset += n;
        return;
      }
      n -= left;
      this.chunks.shift();
      this.offset = 0;
    }
  }

  private fail(message: string): never {
    throw new ProtocolError('FLV_INVALID', message);
  }
}
