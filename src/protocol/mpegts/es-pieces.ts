/**
 * An elementary-stream payload described as a list of byte ranges (start codes, parameter sets, views of
 * the FLV payload) instead of one joined buffer, so a frame is copied once: straight into its TS packets.
 */

/** A reusable gather list of byte ranges, read once front to back; reset before each frame. */
export class EsPieces {
  private readonly bufs: Buffer[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private count = 0;
  private total = 0;
  private index = 0; // read cursor: piece
  private offset = 0; // read cursor: byte in that piece

  /** Total bytes in the list. */
  get length(): number {
    return this.total;
  }

  /** Empties the list for the next frame (the last frame's buffers stay referenced until overwritten). */
  reset(): void {
    this.count = 0;
    this.total = 0;
    this.index = 0;
    this.offset = 0;
  }

  /** Appends `buf[start..end)`; empty ranges are skipped. */
  add(buf: Buffer, start = 0, end = buf.length): void {
    if (end <= start) return;
    const i = this.count++;
    this.bufs[i] = buf;
    this.starts[i] = start;
    this.ends[i] = end;
    this.total += end - start;
  }

  /** Copies the next `n` unread bytes to `out` at `at`; the caller never asks for more than remain. */
  read(out: Buffer, at: number, n: number): void {
    while (n > 0) {
      const start = this.starts[this.index]! + this.offset;
      const take = Math.min(this.ends[this.index]! - start, n);
      this.bufs[this.index]!.copy(out, at, start, start + take);
      at += take;
      n -= take;
      this.offset += take;
      if (start + take === this.ends[this.index]) {
        this.index++;
        this.offset = 0;
      }
    }
  }
}
