/**
 * H.264 over RTP in (RFC 6184): single NAL unit packets (§5.6), STAP-A (§5.7.1) and FU-A (§5.8) in
 * non-interleaved mode, reassembled into access units (all NAL units of one RTP timestamp, ended by the
 * marker bit or by the next timestamp). A lost or late packet breaks the picture it belongs to and every
 * picture predicted from it, so after a loss nothing goes out until the next IDR (and `keyframeWanted`
 * asks the glue to send a PLI). Pure: packets in, access units out.
 */
import type { ErrorCode } from '../../errors.ts';

/** What the depacketizer reads of an RTP packet. */
export interface RtpInput {
  readonly payload: Buffer;
  readonly timestamp: number;
  readonly sequenceNumber: number;
  readonly marker: boolean;
}

/** One access unit: its NAL units (with their one-byte headers, no start codes) and RTP time. */
export interface H264AccessUnit {
  readonly rtpTimestamp: number;
  readonly nalus: readonly Buffer[];
  /** Holds an IDR slice (nal_unit_type 5): a decoder can start here. */
  readonly keyframe: boolean;
}

/** The depacketizer's limit and where it reports bad input (by code, never thrown). */
export interface H264DepacketizerOptions {
  /** An access unit larger than this is dropped (RTP_FRAME_TOO_LARGE) and the stream waits for an IDR. */
  readonly maxAccessUnitBytes: number;
  readonly onError?: (code: ErrorCode) => void;
}

/** NAL unit types of RFC 6184 Table 1 and H.264 Table 7-1 the depacketizer acts on. */
const NAL_IDR = 5;
const STAP_A = 24;
const FU_A = 28;

/** Reassembles H.264 access units from RTP payloads in arrival order. */
export class H264Depacketizer {
  readonly #o: H264DepacketizerOptions;
  #nalus: Buffer[] = [];
  #bytes = 0;
  #timestamp: number | undefined;
  #fu: Buffer[] | undefined;
  #fuBytes = 0;
  #lastSeq: number | undefined;
  /** The current access unit lost a packet: it is dropped at its end. */
  #broken = false;
  /** Nothing goes out until an IDR: at the start and after a loss. */
  #waitIdr = true;
  /** Packets found missing (sequence gaps). */
  lost = 0;
  /** Access units dropped (broken, too large, or predicted from a lost one). */
  dropped = 0;
  /** Set while pictures are dropped waiting for an IDR (a loss, or a start without one): the glue sends a PLI (rate-limited). */
  keyframeWanted = false;

  constructor(options: H264DepacketizerOptions) {
    this.#o = options;
  }

  /** Takes one packet; any access unit it completes is appended to `out`. */
  push(p: RtpInput, out: H264AccessUnit[]): void {
    const seq = p.sequenceNumber & 0xffff;
    let gap = 1;
    if (this.#lastSeq !== undefined) {
      gap = (seq - this.#lastSeq) & 0xffff;
      // 0 is a duplicate, above half the space a late packet (RFC 3550 §A.1): its picture is already gone.
      if (gap === 0 || gap > 0x8000) return;
      if (gap !== 1) {
        this.lost += gap - 1;
        this.#loss(); // the open picture may have lost its tail
      }
    }
    this.#lastSeq = seq;
    if (this.#timestamp !== undefined && p.timestamp !== this.#timestamp) {
      this.#flush(out);
      if (gap !== 1) this.#loss(); // and this one its head
    }
    this.#timestamp = p.timestamp;
    this.#payload(p.payload);
    if (p.marker) this.#flush(out);
  }

  #payload(b: Buffer): void {
    if (b.length < 1 || b[0]! & 0x80) return this.#bad('RTP_PACKET_INVALID'); // forbidden_zero_bit
    const type = b[0]! & 0x1f;
    if (type >= 1 && type <= 23) return this.#add(b);
    if (type === STAP_A) {
      // §5.7.1: after the STAP-A header, 16-bit NALU sizes each followed by the unit.
      let pos = 1;
      while (pos < b.length) {
        if (pos + 2 > b.length) return this.#bad('RTP_PACKET_INVALID');
        const size = b.readUInt16BE(pos);
        pos += 2;
        if (size === 0 || pos + size > b.length) return this.#bad('RTP_PACKET_INVALID');
        this.#add(b.subarray(pos, pos + size));
        pos += size;
      }
      return;
    }
    if (type === FU_A) return this.#fragment(b);
    // STAP-B, MTAP16/24, FU-B are interleaved mode only (§5.2), which SDP never negotiated.
    this.#bad('RTP_PACKET_INVALID');
  }

  #fragment(b: Buffer): void {
    if (b.length < 3) return this.#bad('RTP_PACKET_INVALID');
    const fuHeader = b[1]!;
    const start = (fuHeader & 0x80) !== 0;
    const end = (fuHeader & 0x40) !== 0;
    if (start) {
      // §5.8: the NAL header is rebuilt from the indicator's F and NRI and the FU header's type.
      const header = Buffer.of((b[0]! & 0xe0) | (fuHeader & 0x1f));
      this.#fu = [header, b.subarray(2)];
      this.#fuBytes = 1 + b.length - 2;
    } else {
      if (this.#fu === undefined) return this.#loss(); // a middle without its start: the start was lost
      this.#fu.push(b.subarray(2));
      this.#fuBytes += b.length - 2;
    }
    if (this.#bytes + this.#fuBytes > this.#o.maxAccessUnitBytes) return this.#tooLarge();
    if (end) {
      const nal = Buffer.concat(this.#fu, this.#fuBytes);
      this.#fu = undefined;
      this.#fuBytes = 0;
      this.#add(nal);
    }
  }

  #add(nal: Buffer): void {
    if (this.#broken) return;
    this.#bytes += nal.length;
    if (this.#bytes > this.#o.maxAccessUnitBytes) return this.#tooLarge();
    this.#nalus.push(nal);
  }

  #tooLarge(): void {
    this.#o.onError?.('RTP_FRAME_TOO_LARGE');
    this.#loss();
  }

  #bad(code: ErrorCode): void {
    this.#o.onError?.(code);
    this.#loss();
  }

  /** The picture being assembled is broken, and so is everything until the next IDR. */
  #loss(): void {
    this.#broken = true;
    this.#fu = undefined;
    this.#fuBytes = 0;
    this.keyframeWanted = true;
    this.#waitIdr = true;
  }

  #flush(out: H264AccessUnit[]): void {
    const nalus = this.#nalus;
    const broken = this.#broken || this.#fu !== undefined;
    this.#nalus = [];
    this.#bytes = 0;
    this.#fu = undefined;
    this.#fuBytes = 0;
    this.#broken = false;
    if (nalus.length === 0) return;
    if (broken) {
      this.dropped++;
      this.#waitIdr = true;
      return;
    }
    const keyframe = nalus.some((n) => (n[0]! & 0x1f) === NAL_IDR);
    if (this.#waitIdr && !keyframe) {
      this.dropped++;
      this.keyframeWanted = true;
      return;
    }
    this.#waitIdr = false;
    this.keyframeWanted = false;
    out.push({ rtpTimestamp: this.#timestamp ?? 0, nalus, keyframe });
  }
}
