/**
 * SRT sequence and message number arithmetic (draft-sharabayko-srt §3.1): packet sequence numbers are
 * 31 bits and wrap, so "before" and "distance" are taken modulo 2^31 with the nearer way round winning.
 */

/** The largest packet sequence number (2^31 - 1). */
export const seqMax = 0x7fffffff;
/** Half the sequence space: two numbers further apart than this compare the other way round. */
const seqThreshold = 0x40000000;
/** The largest message number: 26 bits (libsrt MSGNO_SEQ); message numbers run 1..2^26-1. */
export const msgNoMax = 0x03ffffff;

/** Signed comparison of two sequence numbers: negative when `a` is before `b` (libsrt CSeqNo::seqcmp). */
export function seqCmp(a: number, b: number): number {
  const d = a - b;
  return Math.abs(d) < seqThreshold ? d : d < 0 ? d + seqMax + 1 : d - seqMax - 1;
}

/** The number of steps from `a` forward to `b` (negative when `b` is before `a`; libsrt CSeqNo::seqoff). */
export function seqOff(a: number, b: number): number {
  return seqCmp(b, a);
}

/** `a + n` in sequence space (n may be negative). */
export function seqAdd(a: number, n: number): number {
  const r = (a + n) % (seqMax + 1);
  return r < 0 ? r + seqMax + 1 : r;
}

/** The sequence number after `a`. */
export function seqInc(a: number): number {
  return a === seqMax ? 0 : a + 1;
}

/** The sequence number before `a`. */
export function seqDec(a: number): number {
  return a === 0 ? seqMax : a - 1;
}

/** The message number after `m`: 0 is never used (libsrt MsgNo rolls over to 1). */
export function msgNoInc(m: number): number {
  return m >= msgNoMax ? 1 : m + 1;
}
