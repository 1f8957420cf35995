/**
 * Shrinks a failing byte input while it keeps failing the same way (same signature): delta
 * debugging over ranges, then bytes simplified to zero. Bounded in tries, as a fuzz run must end.
 */

/** Whether a candidate still fails with the signature being minimized. */
export type StillFails = (input: Buffer) => boolean | Promise<boolean>;

/** The smallest input found that still fails, within `maxTries` runs. */
export async function minimizeBytes(input: Buffer, stillFails: StillFails, maxTries = 4000): Promise<Buffer> {
  let best = input;
  let tries = 0;
  const attempt = async (candidate: Buffer): Promise<boolean> => {
    if (tries++ >= maxTries) return false;
    if (!(await stillFails(candidate))) return false;
    best = candidate;
    return true;
  };
  // Remove ranges, halving their size; restart a size after every success.
  for (let size = best.length >> 1; size >= 1 && tries < maxTries; size = size >> 1) {
    for (let at = 0; at + size <= best.length && tries < maxTries;) {
      const candidate = Buffer.concat([best.subarray(0, at), best.subarray(at + size)]);
      if (!(await attempt(candidate))) at += size;
    }
  }
  // Zero the bytes that do not matter, so the ones that do stand out in a hex dump.
  for (let at = 0; at < best.length && tries < maxTries; at++) {
    if (best[at] === 0) continue;
    const candidate = Buffer.from(best);
    candidate[at] = 0;
    await attempt(candidate);
  }
  return best;
}
