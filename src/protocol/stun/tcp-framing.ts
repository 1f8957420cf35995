/**
 * RFC 4571 framing as ICE-TCP uses it (RFC 6544 §3): every STUN, DTLS, RTP or RTCP packet on a TCP
 * connection is prefixed with its 16-bit big-endian length. The decoder takes the stream in whatever
 * chunks TCP delivers and returns whole frames; it holds at most one partial frame, and a length above
 * its limit is an error at once (before any of that frame is buffered), so a lying length cannot make it grow.
 */

/** Why a stream can no longer be decoded. */
export type FramingError = 'too-large';

/** The result of feeding a chunk: the whole frames it completed, or the error that ends the stream. */
export type FramingResult =
  | { readonly frames: Buffer[]; readonly error?: undefined }
  | { readonly frames: Buffer[]; readonly error: FramingError };

/** Splits an RFC 4571 stream into frames of at most `maxFrameBytes` (changeable: a bound connection takes larger ones). */
export class FrameDecoder {
  #pending: Buffer = Buffer.alloc(0);
  #failed = false;
  /** Largest frame accepted; a longer announced length is `too-large`. */
  maxFrameBytes: number;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes held for a frame not yet complete (at most 2 + maxFrameBytes). */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  /** Feeds a chunk; after an error every later chunk yields the same error and no frames. */
  push(chunk: Buffer): FramingResult {
    if (this.#failed) return { frames: [], error: 'too-large' };
    const data = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: Buffer[] = [];
    let at = 0;
    while (data.length - at >= 2) {
      const length = data.readUInt16BE(at);
      if (length > this.maxFrameBytes) {
        this.#failed = true;
        this.#pending = Buffer.alloc(0);
        return { frames, error: 'too-large' };
      }
      if (data.length - at - 2 < length) break;
      // A copy: the chunk's memory is TCP's, and a frame may be kept (werift queues DTLS records).
      frames.push(Buffer.from(data.subarray(at + 2, at + 2 + length)));
      at += 2 + length;
    }
    this.#pending = at === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(at));
    return { frames };
  }
}

/** One packet framed for the connection: its 16-bit length, then the packet (at most 65535 bytes). */
export function frame(packet: Buffer): Buffer {
  if (packet.length > 0xffff) throw new RangeError(`an RFC 4571 frame holds at most 65535 bytes, not ${packet.length}`);
  const out = Buffer.allocUnsafe(2 + packet.length);
  out.writeUInt16BE(packet.length, 0);
  packet.copy(out, 2);
  return out;
}
