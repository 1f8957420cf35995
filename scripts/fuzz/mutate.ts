/**
 * The byte mutator (AFL/libFuzzer style): bit flips, interesting integers for length fields, byte
 * insert/delete/duplicate, splices with other corpus entries, stacked a few at a time.
 */
import type { Rng } from './rng.ts';

/** A target-specific structural mutation (e.g. a forged RTMP chunk header), applied now and then. */
export type ExtraMutation = (input: Buffer, rng: Rng) => Buffer;

const interesting8 = [0, 1, 2, 3, 4, 0x7f, 0x80, 0xfe, 0xff, 0x3f, 0x40, 0xc0];
const interesting16 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x3ff, 0x7fff, 0x8000, 0xfffe, 0xffff, 128, 4096];
const interesting32 = [
  0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0xffffff, 0x1000000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 128,
  4096, 65599,
];

function write(buf: Buffer, at: number, value: number, bytes: number, little: boolean): void {
  for (let i = 0; i < bytes && at + i < buf.length; i++) {
    const shift = 8 * (little ? i : bytes - 1 - i);
    buf[at + i] = Math.floor(value / 2 ** shift) & 0xff;
  }
}

/** Applies one random mutation, returning a new buffer (the input is not modified). */
export function mutateOnce(
  input: Buffer,
  rng: Rng,
  corpus: readonly Buffer[],
  maxLen: number,
  extra?: ExtraMutation,
): Buffer {
  const len = input.length;
  const at = rng.below(len + 1);
  const op = extra !== undefined && rng.oneIn(6) ? -1 : rng.below(11);
  let out: Buffer;
  switch (op) {
    case -1:
      return extra!(input, rng);
    case 0: // flip a bit
      out = Buffer.from(input);
      if (len > 0) out[at % len]! ^= 1 << rng.below(8);
      return out;
    case 1: // a random byte
      out = Buffer.from(input);
      if (len > 0) out[at % len] = rng.u32() & 0xff;
      return out;
    case 2: {
      // an interesting integer, 1..4 bytes, either byte order (length and size fields)
      out = Buffer.from(input);
      const size = rng.pick([1, 2, 3, 4]);
      const value =
        size === 1 ? rng.pick(interesting8) : size === 2 ? rng.pick(interesting16) : rng.pick(interesting32);
      if (len > 0) write(out, at % len, value, size, rng.oneIn(3));
      return out;
    }
    case 3: {
      // add or subtract a little
      out = Buffer.from(input);
      if (len > 0) out[at % len] = (out[at % len]! + rng.below(33) - 16) & 0xff;
      return out;
    }
    case 4: // insert random bytes
      return Buffer.concat([
        input.subarray(0, at),
        rng.bytes(1 + rng.below(rng.oneIn(8) ? 256 : 8)),
        input.subarray(at),
      ]).subarray(0, maxLen);
    case 5: {
      // delete a range
      const n = 1 + rng.below(rng.oneIn(4) ? Math.max(1, len >> 1) : 16);
      return Buffer.concat([input.subarray(0, at), input.subarray(at + n)]);
    }
    case 6: {
      // duplicate a range somewhere else
      const from = rng.below(len + 1);
      const n = 1 + rng.below(64);
      return Buffer.concat([input.subarray(0, at), input.subarray(from, from + n), input.subarray(at)]).subarray(
        0,
        maxLen,
      );
    }
    case 7: {
      // splice: our head, another entry's tail
      const other = rng.pick(corpus);
      return Buffer.concat([input.subarray(0, at), other.subarray(rng.below(other.length + 1))]).subarray(0, maxLen);
    }
    case 8: // truncate
      return input.subarray(0, at);
    case 9: {
      // overwrite a range with one repeated byte
      out = Buffer.from(input);
      out.fill(rng.pick(interesting8), Math.min(at, len), Math.min(len, at + 1 + rng.below(32)));
      return out;
    }
    default: {
      // swap two bytes
      out = Buffer.from(input);
      if (len > 1) {
        const b = rng.below(len);
        const x = out[at % len]!;
        out[at % len] = out[b]!;
        out[b] = x;
      }
      return out;
    }
  }
}

/** A mutated copy of a random corpus entry: 1 to 8 stacked mutations, exponentially fewer of many. */
export function mutate(corpus: readonly Buffer[], rng: Rng, maxLen: number, extra?: ExtraMutation): Buffer {
  let out = rng.pick(corpus);
  let n = 1;
  while (n < 8 && rng.oneIn(2)) n++;
  for (let i = 0; i < n; i++) out = mutateOnce(out, rng, corpus, maxLen, extra);
  return out;
}
