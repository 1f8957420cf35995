/**
 * H.264 access units to RTP payloads (RFC 6184 non-interleaved mode): a NAL unit that fits the MTU is a
 * single NAL unit packet (§5.6), a larger one is split into FU-A fragments (§5.8); the marker bit goes on
 * the last packet of the access unit (§5.1). SPS and PPS go in front of every IDR so a player that joins
 * (or lost a packet) can decode from the next keyframe without out-of-band parameter sets.
 */

/** One RTP payload and whether it ends its access unit (the RTP marker bit). */
export interface H264RtpPayload {
  readonly payload: Buffer;
  readonly marker: boolean;
}

const NAL_IDR = 5;
const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_AUD = 9;
const FU_A = 28;

/** Splits one access unit into RTP payloads of at most `maxPayload` bytes (at least 3: FU indicator, header, one byte). */
export function packetizeH264(
  nalus: readonly Buffer[],
  maxPayload: number,
  params: { readonly sps: readonly Buffer[]; readonly pps: readonly Buffer[] },
  out: H264RtpPayload[],
): void {
  const limit = Math.max(3, maxPayload);
  const units: Buffer[] = [];
  const idr = nalus.some((n) => (n[0]! & 0x1f) === NAL_IDR);
  const inBand = nalus.some((n) => (n[0]! & 0x1f) === NAL_SPS);
  if (idr && !inBand) units.push(...params.sps, ...params.pps);
  for (const n of nalus) {
    if (n.length === 0 || (n[0]! & 0x1f) === NAL_AUD) continue; // an AUD tells RTP nothing (§5.1)
    units.push(n);
  }
  const first = out.length;
  for (const n of units) {
    if (n.length <= limit) {
      out.push({ payload: n, marker: false });
      continue;
    }
    const indicator = (n[0]! & 0xe0) | FU_A;
    const type = n[0]! & 0x1f;
    const chunk = limit - 2;
    for (let pos = 1; pos < n.length; pos += chunk) {
      const end = Math.min(n.length, pos + chunk);
      const p = Buffer.allocUnsafe(2 + end - pos);
      p[0] = indicator;
      p[1] = (pos === 1 ? 0x80 : 0) | (end === n.length ? 0x40 : 0) | type;
      n.copy(p, 2, pos, end);
      out.push({ payload: p, marker: false });
    }
  }
  if (out.length > first) out[out.length - 1] = { payload: out[out.length - 1]!.payload, marker: true };
}

/** Whether a parameter-set NAL unit (SPS or PPS). */
export function isParameterSet(nal: Buffer): boolean {
  const t = nal[0]! & 0x1f;
  return t === NAL_SPS || t === NAL_PPS;
}
