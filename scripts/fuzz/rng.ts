/** A small seeded PRNG (sfc32): fast, deterministic, so a run is repeatable from its --seed. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }

  /** True with probability 1/n. */
  oneIn(n: number): boolean {
    return this.below(n) === 0;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  /** `n` random bytes. */
  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

/** Cuts `buf` into pieces at positions drawn from a PRNG seeded by the input itself, so a replay cuts alike. */
export function splitDeterministic(buf: Buffer, maxPieces = 8): Buffer[] {
  const rng = new Rng(buf.length * 2654435761 + (buf[0] ?? 0) + ((buf[buf.length >> 1] ?? 0) << 8));
  const pieces: Buffer[] = [];
  let at = 0;
  for (let i = 1; i < maxPieces && at < buf.length; i++) {
    const n = rng.oneIn(3) ? 1 + rng.below(3) : 1 + rng.below(Math.max(1, buf.length - at));
    pieces.push(buf.subarray(at, at + n));
    at += n;
  }
  if (at < buf.length) pieces.push(buf.subarray(at));
  return pieces;
}
