/**
 * RTCP Sender Reports (RFC 3550 §6.4.1) with an SDES CNAME (§6.5: a compound packet starts with a report
 * and carries the CNAME), and the media clock that fills them. A receiver aligns its tracks by each SR's
 * pair (NTP wall clock, RTP timestamp): lip sync holds when the same media time maps to the same NTP time
 * on every track, so the pair must come from the stream's media timeline, not from when a packet was sent.
 */

/** Seconds from the NTP era (1900-01-01) to the Unix epoch (RFC 5905 §6). */
export const NTP_UNIX_OFFSET_S = 2_208_988_800;
const TWO_32 = 2 ** 32;

/** What one SR says about one RTP stream. */
export interface SenderReport {
  readonly ssrc: number;
  /** The wall-clock instant of the report, Unix milliseconds (fractions allowed). */
  readonly wallMs: number;
  /** The RTP timestamp of that instant, on the stream's RTP clock. */
  readonly rtpTimestamp: number;
  /** RTP data packets and payload octets sent since the stream began (mod 2^32). */
  readonly packetCount: number;
  readonly octetCount: number;
  /** The SDES CNAME (§6.5.1) added after the SR; none when absent or empty. */
  readonly cname?: string;
}

/** NTP 32.32 fixed point of a Unix time in ms: seconds since 1900 (mod 2^32) and the binary fraction. */
export function ntpOfUnixMs(ms: number): { seconds: number; fraction: number } {
  const whole = Math.floor(ms / 1000);
  const fraction = Math.min(TWO_32 - 1, Math.floor(((ms - whole * 1000) / 1000) * TWO_32));
  return { seconds: ((whole + NTP_UNIX_OFFSET_S) % TWO_32) >>> 0, fraction: fraction >>> 0 };
}

/** The middle 32 bits of the NTP timestamp (§6.4.1 "LSR"), what a receiver's report echoes. */
export function compactNtp(ms: number): number {
  const { seconds, fraction } = ntpOfUnixMs(ms);
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}

/** One compound RTCP packet: the SR without report blocks (RC = 0), then SDES with the CNAME. */
export function encodeSenderReport(sr: SenderReport): Buffer {
  const cname = sr.cname ? Buffer.from(sr.cname, 'utf8').subarray(0, 255) : undefined;
  // SDES chunk: SSRC, CNAME item (type, length, text), END (a zero octet), padded to 32 bits (§6.5).
  const chunk = cname ? Math.ceil((4 + 2 + cname.length + 1) / 4) * 4 : 0;
  const out = Buffer.alloc(28 + (cname ? 4 + chunk : 0));
  out[0] = 0x80; // V=2, P=0, RC=0
  out[1] = 200; // PT=SR
  out.writeUInt16BE(6, 2); // length in 32-bit words minus one
  out.writeUInt32BE(sr.ssrc >>> 0, 4);
  const ntp = ntpOfUnixMs(sr.wallMs);
  out.writeUInt32BE(ntp.seconds, 8);
  out.writeUInt32BE(ntp.fraction, 12);
  out.writeUInt32BE(sr.rtpTimestamp >>> 0, 16);
  out.writeUInt32BE(sr.packetCount >>> 0, 20);
  out.writeUInt32BE(sr.octetCount >>> 0, 24);
  if (cname) {
    out[28] = 0x81; // V=2, SC=1
    out[29] = 202; // PT=SDES
    out.writeUInt16BE(chunk / 4, 30);
    out.writeUInt32BE(sr.ssrc >>> 0, 32);
    out[36] = 1; // CNAME
    out[37] = cname.length;
    cname.copy(out, 38);
    // The END item and the padding are the zeros Buffer.alloc left.
  }
  return out;
}

/** How far (ms) a frame's media time may stray from the clock's mapping before the mapping is rebased. */
export const MEDIA_CLOCK_REBASE_MS = 10_000;

/**
 * One viewer's mapping from media time (the stream's FLV milliseconds, the base every RTP timestamp it is
 * sent is computed from: RTP = media ms × rate) to wall-clock time: fixed when the first frame is sent,
 * so NTP(t) = anchor + t is the same for every track; rebased only when the media time jumps by more than
 * MEDIA_CLOCK_REBASE_MS (a publisher that reset its timestamps), never for ordinary send lag.
 */
export class MediaClock {
  #anchorMs: number | undefined;
  /** Times the mapping was rebased after a jump. */
  rebases = 0;

  /** Whether a frame has fixed the mapping. */
  get anchored(): boolean {
    return this.#anchorMs !== undefined;
  }

  /** A frame at media time `mediaMs` was sent at wall time `wallMs`. */
  sent(wallMs: number, mediaMs: number): void {
    const anchor = this.#anchorMs;
    if (anchor !== undefined && Math.abs(wallMs - anchor - mediaMs) <= MEDIA_CLOCK_REBASE_MS) return;
    if (anchor !== undefined) this.rebases++;
    this.#anchorMs = wallMs - mediaMs;
  }

  /** The RTP timestamp at `rate` Hz of wall time `wallMs` (the media time playing then); undefined before a frame. */
  rtpAt(wallMs: number, rate: number): number | undefined {
    if (this.#anchorMs === undefined) return undefined;
    const ticks = Math.round((wallMs - this.#anchorMs) * (rate / 1000));
    return ((ticks % TWO_32) + TWO_32) % TWO_32;
  }
}
