/**
 * One subscriber's pending buffers plus the bookkeeping that bounds them together with what the sink
 * still holds: bytes, and the media-time span from the oldest unflushed frame to the newest.
 */

/** The limits a SubscriberQueue enforces. */
export interface QueueLimits {
  readonly maxQueueBytes: number;
  readonly maxQueueMs: number;
}

/**
 * Pending buffers in write order. To know the age of bytes the sink has not flushed, each write
 * leaves a mark (end offset in the written byte count, first frame timestamp): the sink has consumed
 * `written - bufferedBytes` bytes, so the first mark past that offset holds the oldest unflushed frame.
 */
export class SubscriberQueue {
  readonly #limits: QueueLimits;
  /** The hub-wide sum of pending bytes (memory budget), updated with this queue's. */
  readonly #tally: { queuedBytes: number };
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Timestamp of the first frame (not header) among the pending buffers, or -1. */
  #pendingFirstTs = -1;
  #written = 0;
  /** Flat pairs [endOffset, firstFrameTs, …] from #markHead on. */
  #marks: number[] = [];
  #markHead = 0;

  constructor(limits: QueueLimits, tally: { queuedBytes: number } = { queuedBytes: 0 }) {
    this.#limits = limits;
    this.#tally = tally;
  }

  /** Number of pending buffers. */
  get length(): number {
    return this.#pending.length;
  }

  /** Bytes pending in the hub (not yet handed to the sink). */
  get bytes(): number {
    return this.#pendingBytes;
  }

  /** Total bytes handed to the sink so far. */
  get written(): number {
    return this.#written;
  }

  /**
   * Whether `size` more bytes at media time `ts` stay within the limits, given the sink's unflushed
   * bytes. Headers and script data (`frame` false) carry old timestamps and do not count for the span.
   */
  fits(size: number, ts: number, frame: boolean, sinkBuffered: number): boolean {
    if (this.#pendingBytes + sinkBuffered + size > this.#limits.maxQueueBytes) return false;
    if (!frame) return true;
    const oldest = this.#oldestFrameTs(sinkBuffered);
    // A negative span (a new publisher restarting at 0) says nothing about lag.
    return oldest < 0 || ts - oldest <= this.#limits.maxQueueMs;
  }

  /** Appends one buffer; `ts` is its timestamp if it is a frame, else -1. */
  push(buf: Buffer, ts: number): void {
    this.#pending.push(buf);
    this.#pendingBytes += buf.length;
    this.#tally.queuedBytes += buf.length;
    if (this.#pendingFirstTs < 0 && ts >= 0) this.#pendingFirstTs = ts;
  }

  /** Takes all pending buffers for one write and records their mark; the array is the caller's. */
  take(): Buffer[] {
    const out = this.#pending;
    this.#written += this.#pendingBytes;
    this.#tally.queuedBytes -= this.#pendingBytes;
    if (this.#pendingFirstTs >= 0) this.#marks.push(this.#written, this.#pendingFirstTs);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#pendingFirstTs = -1;
    return out;
  }

  /** Drops every pending buffer; returns how many were dropped. */
  drop(): number {
    const n = this.#pending.length;
    if (n > 0) {
      this.#tally.queuedBytes -= this.#pendingBytes;
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#pendingFirstTs = -1;
    }
    return n;
  }

  /** Forgets the marks (a new publisher's timestamps are unrelated to the old one's). */
  forgetWritten(): void {
    this.#marks = [];
    this.#markHead = 0;
  }

  #oldestFrameTs(sinkBuffered: number): number {
    if (sinkBuffered > 0) {
      const consumed = this.#written - sinkBuffered;
      const marks = this.#marks;
      while (this.#markHead < marks.length && marks[this.#markHead]! <= consumed) this.#markHead += 2;
      this.#compact();
      if (this.#markHead < this.#marks.length) return this.#marks[this.#markHead + 1]!;
    } else if (this.#marks.length > 0) {
      this.forgetWritten();
    }
    return this.#pendingFirstTs;
  }

  // A reader that never quite empties its socket keeps marks coming; reclaim the consumed prefix.
  #compact(): void {
    if (this.#markHead >= this.#marks.length) this.forgetWritten();
    else if (this.#markHead >= 512) {
      this.#marks.splice(0, this.#markHead);
      this.#markHead = 0;
    }
  }
}
