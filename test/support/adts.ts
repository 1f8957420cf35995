/** Splits an ADTS file into its raw AAC frames, for tests that feed real ffmpeg AAC to the transcoder. */

/** The raw AAC frames of an ADTS file (7-byte headers, no CRC, as ffmpeg's ADTS muxer writes). */
export function adtsFrames(adts: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p + 7 <= adts.length;) {
    const len = ((adts[p + 3]! & 3) << 11) | (adts[p + 4]! << 3) | (adts[p + 5]! >> 5);
    out.push(adts.subarray(p + 7, p + len));
    p += len;
  }
  return out;
}
