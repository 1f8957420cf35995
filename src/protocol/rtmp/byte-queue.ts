/**
 * A ws-style queue of received Buffers that parsers consume synchronously, handing out zero-copy
 * views whenever the bytes asked for sit inside one received Buffer.
 */

import { Buffer } from 'node:buffer';

const empty = Buffer.alloc(0);

/** ByteQueue is a FIFO of Buffers with a read offset into the first one; it never copies on push. */
export class ByteQueue {
  /** Unread bytes in the queue. */
  length = 0;
  #buffers: Buffer[] = [];
  /** Read offset into #buffers[0]. */
  #offset = 0;

  /** Appends received bytes; the caller must not modify them afterwards. */
  push(buf: Buffer): void {
    if (buf.length === 0) return;
    this.#buffers.push(buf);
    this.length += buf.length;
  }

  /** The first Buffer and the read offset into it, for parsers that read headers in place. */
  get head(): Buffer {
    return this.#buffers[0] ?? empty;
  }

  /** The read offset into `head`. */
  get headOffset(): number {
    return this.#offset;
  }

  /** The byte at `index` from the read position; the caller guarantees `index < length`. */
  peekUInt8(index: number): number {
    let i = index + this.#offset;
    for (const buf of this.#buffers) {
      if (i < buf.length) return buf[i]!;
      i -= buf.length;
    }
    throw new RangeError('ByteQueue.peekUInt8 past the end');
  }

  /** Copies the first `n` unread bytes into `target` without consuming them; returns `target`. */
  copyPrefix(target: Buffer, n: number): Buffer {
    let copied = 0;
    let offset = this.#offset;
    for (const buf of this.#buffers) {
      if (copied >= n) break;
      copied += buf.copy(target, copied, offset, Math.min(buf.length, offset + n - copied));
      offset = 0;
    }
    return target;
  }

  /** Drops `n` bytes; the caller guarantees `n <= length`. */
  skip(n: number): void {
    this.length -= n;
    while (n > 0) {
      const buf = this.#buffers[0]!;
      const left = buf.length - this.#offset;
      if (n < left) {
        this.#offset += n;
        return;
      }
      n -= left;
      this.#buffers.shift();
      this.#offset = 0;
    }
  }

  /** Consumes `n` bytes as one Buffer: a view when they lie in one received Buffer, else a copy. */
  read(n: number): Buffer {
    const buf = this.#buffers[0];
    if (buf !== undefined && buf.length - this.#offset >= n) {
      const view = buf.subarray(this.#offset, this.#offset + n);
      this.skip(n);
      return view;
    }
    const out = this.copyPrefix(Buffer.allocUnsafe(n), n);
    this.skip(n);
    return out;
  }

  /**
   * Consumes `n` bytes by copying them into `target` at `at`; the caller guarantees `n <= length`
   * and room in `target`. No view is made, so nothing keeps the received Buffers alive afterwards.
   */
  readInto(target: Buffer, at: number, n: number): void {
    this.length -= n;
    while (n > 0) {
      const buf = this.#buffers[0]!;
      const left = buf.length - this.#offset;
      if (n < left) {
        buf.copy(target, at, this.#offset, this.#offset + n);
        this.#offset += n;
        return;
      }
      buf.copy(target, at, this.#offset);
      at += left;
      n -= left;
      this.#buffers.shift();
      this.#offset = 0;
    }
  }

  /** Consumes everything left as one Buffer (a view when possible). */
  readAll(): Buffer {
    return this.read(this.length);
  }
}
