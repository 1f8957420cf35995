/**
 * The receiver's loss list (draft-sharabayko-srt §4.5.2): sorted, disjoint ranges of sequence numbers that
 * were skipped and not yet received, dropped or given up. New gaps only ever appear after the last range.
 */
import type { LossRange } from './srt-control.ts';
import { seqCmp, seqDec, seqInc } from './srt-seq.ts';

/** Sorted disjoint loss ranges with O(ranges) removal; ranges are few on a live link. */
export class LossList {
  #ranges: { first: number; last: number }[] = [];
  #count = 0;

  /** Lost sequence numbers held. */
  get length(): number {
    return this.#count;
  }

  /** The first lost sequence number, or undefined. */
  get first(): number | undefined {
    return this.#ranges[0]?.first;
  }

  /** The ranges, oldest first (a copy callers may keep). */
  ranges(max = Infinity): LossRange[] {
    return this.#ranges.slice(0, max).map((r) => ({ first: r.first, last: r.last }));
  }

  /** Appends a gap after everything held (the caller saw `last + 1` arrive ahead of order). */
  append(first: number, last: number): void {
    const tail = this.#ranges.at(-1);
    if (tail && seqInc(tail.last) === first) tail.last = last;
    else this.#ranges.push({ first, last });
    this.#count += seqCmp(last, first) + 1;
  }

  /** Removes one number (it arrived); true when it was lost. */
  remove(seq: number): boolean {
    const rs = this.#ranges;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!;
      if (seqCmp(seq, r.first) < 0) return false;
      if (seqCmp(seq, r.last) > 0) continue;
      this.#count--;
      if (r.first === r.last) rs.splice(i, 1);
      else if (seq === r.first) r.first = seqInc(seq);
      else if (seq === r.last) r.last = seqDec(seq);
      else {
        rs.splice(i + 1, 0, { first: seqInc(seq), last: r.last });
        r.last = seqDec(seq);
      }
      return true;
    }
    return false;
  }

  /** Removes every number before `seq` (delivered past, or dropped as too late); returns how many. */
  removeBefore(seq: number): number {
    const rs = this.#ranges;
    let removed = 0;
    while (rs.length > 0) {
      const r = rs[0]!;
      if (seqCmp(r.first, seq) >= 0) break;
      if (seqCmp(r.last, seq) < 0) {
        removed += seqCmp(r.last, r.first) + 1;
        rs.shift();
      } else {
        removed += seqCmp(seq, r.first);
        r.first = seq;
        break;
      }
    }
    this.#count -= removed;
    return removed;
  }

  /** Removes every number of a range (a message-drop request); returns how many were held. */
  removeRange(first: number, last: number): number {
    let removed = 0;
    const keep: { first: number; last: number }[] = [];
    for (const r of this.#ranges) {
      if (seqCmp(r.last, first) < 0 || seqCmp(r.first, last) > 0) {
        keep.push(r);
        continue;
      }
      if (seqCmp(r.first, first) < 0) keep.push({ first: r.first, last: seqDec(first) });
      if (seqCmp(r.last, last) > 0) keep.push({ first: seqInc(last), last: r.last });
      const lo = seqCmp(r.first, first) < 0 ? first : r.first;
      const hi = seqCmp(r.last, last) > 0 ? last : r.last;
      removed += seqCmp(hi, lo) + 1;
    }
    this.#ranges = keep;
    this.#count -= removed;
    return removed;
  }
}
