/**
 * The video leg of one WHEP viewer without werift's per-packet `RTCRtpSender.sendRtp` (header objects, header
 * extensions rebuilt and sorted, bandwidth-estimator bookkeeping and three awaited layers per packet): each
 * shared frame (rtp-frame-cache.ts) gets this viewer's sequence numbers, SSRC and payload type on one
 * reused werift `RtpHeader`, is protected by werift's own SRTP session (`RTCDtlsTransport.srtp`, with its
 * keys imported once: srtp-keys.ts) and goes to the ICE-nominated address in one datagram per packet.
 * werift still answers RTCP: PLI reaches `onPictureLossIndication`, and NACKs (RFC 4585 §6.2.1) are
 * answered here from a bounded ring of the last packets (the shared payload and this viewer's header
 * fields, re-protected on demand: SRTP gives a resent index the same keystream). The packet and octet
 * counts are kept on werift's sender; the Sender Reports are openlive's (sender-reports.ts), sent through
 * `sendRtcp`, not werift's loop.
 */
import type * as Werift from 'werift';
import type { GenericNack, RTCPeerConnection, RTCRtpSender } from 'werift';
import { lazyModule } from '../../lazy-module.ts';

import type { RtpFrame } from './rtp-frame-cache.ts';
import type { MuxSession } from './udp-mux.ts';

/** werift, loaded with the first session (lazy-module.ts). */
const werift = lazyModule<typeof Werift>('werift');

/** Sends one SRTP datagram to the viewer. */
export type DatagramSend = (datagram: Buffer) => void;

/** Packets kept for NACK answers: 2 s of a 2.5 Mb/s stream at ~1200-byte packets. */
export const NACK_RING_SIZE = 512;
/**
 * A packet is resent at most once in this long. werift NACKs every missing packet every 5 ms, up to 10
 * times, and a viewer that lags sends them all before a resend arrives: answering each one tripled what the
 * server sent to it on a starved machine, and the extra loss that caused cost viewers their ICE consent.
 * A browser repeats a NACK only after an RTT (libwebrtc), so it is not held back by this on any real path.
 */
export const RESEND_MIN_INTERVAL_MS = 30;
const SDES_MID_URI = 'urn:ietf:params:rtp-hdrext:sdes:mid';

/** The werift internals used (werift 0.24 `RTCRtpSender` and `RTCDtlsTransport`), checked at construction. */
interface SenderInternals {
  ssrc: number;
  codec?: { payloadType: number };
  mid?: string;
  headerExtensions?: readonly { uri: string; id: number }[];
  packetCount: number;
  octetCount: number;
  onGenericNack: RTCRtpSender['onGenericNack'];
  dtlsTransport?: {
    state: string;
    srtp?: SrtpInternals;
    srtcp?: { encrypt(rtcp: Buffer): Buffer };
  };
}

/** werift's SRTP session: `encrypt` tracks the rollover counter itself; its cipher takes one given. */
interface SrtpInternals {
  encrypt(payload: Buffer, header: Werift.RtpHeader): Buffer;
  localContext?: { cipher?: { encryptRtp?(header: Werift.RtpHeader, payload: Buffer, roc: number): Buffer } };
}

/** One viewer's H.264 RTP stream. */
export class VideoRtpSender {
  /** The werift sender this one stands in for (its SSRC, counts and RTCP). */
  readonly sender: RTCRtpSender;
  readonly #sender: SenderInternals;
  readonly #send: DatagramSend;
  readonly #header: Werift.RtpHeader;
  #seq: number;
  /** The SRTP rollover counter of `#seq` (RFC 3711 §3.3.1): this sender's, not werift's guess. */
  #roc = 0;
  readonly #ringRoc = new Uint32Array(NACK_RING_SIZE);
  readonly #ringSeq = new Int32Array(NACK_RING_SIZE).fill(-1);
  readonly #ringTs = new Uint32Array(NACK_RING_SIZE);
  readonly #ringMarker = new Uint8Array(NACK_RING_SIZE);
  readonly #ringResentAt = new Float64Array(NACK_RING_SIZE).fill(-Infinity);
  readonly #now: () => number;
  readonly #ringPayload: (Buffer | undefined)[] = new Array<Buffer | undefined>(NACK_RING_SIZE);
  readonly #unsubscribe: () => void;
  /** Packets sent (first transmissions) and NACK retransmissions, for stats and tests. */
  packetsSent = 0;
  retransmitted = 0;
  /** NACKed packets not resent because they were resent less than RESEND_MIN_INTERVAL_MS ago. */
  resendsHeldBack = 0;
  /** Frames not sent because DTLS was not (or no longer) connected with SRTP keys. */
  framesNotReady = 0;
  /** performance.now() of the last frame handed to the socket (0: none yet). */
  lastSentAt = 0;

  constructor(sender: RTCRtpSender, send: DatagramSend, o: { firstSequenceNumber?: number; now?: () => number } = {}) {
    this.sender = sender;
    this.#now = o.now ?? (() => performance.now());
    this.#seq = o.firstSequenceNumber ?? Math.floor(Math.random() * 0x10000);
    this.#sender = sender as unknown as SenderInternals;
    this.#send = send;
    const mid = this.#sender.headerExtensions?.find((e) => e.uri === SDES_MID_URI);
    this.#header = new (werift().RtpHeader)({
      ssrc: sender.ssrc,
      payloadType: this.#sender.codec?.payloadType ?? 96,
      // RFC 8843 §15: the MID header extension lets a BUNDLE receiver route the packets before it knows the SSRC.
      extensions: mid && this.#sender.mid ? [{ id: mid.id, payload: Buffer.from(this.#sender.mid) }] : [],
    });
    this.#unsubscribe = sender.onGenericNack.subscribe((nack: GenericNack) => this.#resend(nack.lost)).unSubscribe;
  }

  /** Whether werift's DTLS is up with an SRTP session (media sent before would be dropped anyway). */
  get ready(): boolean {
    const d = this.#sender.dtlsTransport;
    return d?.state === 'connected' && d.srtp !== undefined;
  }

  /** Sends one frame; returns the bytes handed to the socket. */
  sendFrame(frame: RtpFrame): number {
    const srtp = this.#sender.dtlsTransport?.srtp;
    if (!this.ready || !srtp) {
      this.framesNotReady++;
      return 0;
    }
    this.lastSentAt = performance.now();
    const h = this.#header;
    const last = frame.payloads.length - 1;
    let bytes = 0;
    let payloadBytes = 0;
    for (let i = 0; i <= last; i++) {
      const payload = frame.payloads[i]!;
      const seq = this.#seq;
      const roc = this.#roc;
      this.#seq = (seq + 1) & 0xffff;
      if (this.#seq === 0) this.#roc = (roc + 1) >>> 0;
      h.sequenceNumber = seq;
      h.timestamp = frame.rtpTimestamp;
      h.marker = i === last;
      const datagram = protect(srtp, h, payload, roc);
      this.#send(datagram);
      bytes += datagram.length;
      payloadBytes += payload.length;
      const slot = seq % NACK_RING_SIZE;
      this.#ringSeq[slot] = seq;
      this.#ringRoc[slot] = roc;
      this.#ringTs[slot] = frame.rtpTimestamp;
      this.#ringMarker[slot] = i === last ? 1 : 0;
      this.#ringPayload[slot] = payload;
      this.#ringResentAt[slot] = -Infinity;
    }
    this.packetsSent += last + 1;
    // The Sender Report's counts (RFC 3550 §6.4.1), where werift's stats read them too.
    const s = this.#sender;
    s.packetCount = (s.packetCount + last + 1) >>> 0;
    s.octetCount = (s.octetCount + payloadBytes) >>> 0;
    return bytes;
  }

  /** Sends one compound RTCP packet (the Sender Reports) through the session's SRTCP; false before DTLS. */
  sendRtcp(rtcp: Buffer): boolean {
    const srtcp = this.#sender.dtlsTransport?.srtcp;
    if (!this.ready || !srtcp) return false;
    this.#send(srtcp.encrypt(rtcp));
    return true;
  }

  /** The next sequence number and its rollover counter (for the session's end line). */
  get index(): { seq: number; roc: number } {
    return { seq: this.#seq, roc: this.#roc };
  }

  /** Stops answering NACKs and lets go of the ring; idempotent. */
  close(): void {
    this.#unsubscribe();
    this.#ringPayload.fill(undefined);
    this.#ringSeq.fill(-1);
  }

  #resend(lost: readonly number[]): void {
    const srtp = this.#sender.dtlsTransport?.srtp;
    if (!this.ready || !srtp) return;
    const h = this.#header;
    const seqNow = h.sequenceNumber;
    const now = this.#now();
    for (const seq of lost) {
      const slot = seq % NACK_RING_SIZE;
      const payload = this.#ringPayload[slot];
      if (this.#ringSeq[slot] !== seq || !payload) continue;
      if (now - this.#ringResentAt[slot]! < RESEND_MIN_INTERVAL_MS) {
        this.resendsHeldBack++;
        continue;
      }
      this.#ringResentAt[slot] = now;
      h.sequenceNumber = seq;
      h.timestamp = this.#ringTs[slot]!;
      h.marker = this.#ringMarker[slot] === 1;
      this.#send(protect(srtp, h, payload, this.#ringRoc[slot]!));
      this.retransmitted++;
    }
    h.sequenceNumber = seqNow;
  }
}

/**
 * SRTP-protects one packet at index `roc`·2^16 + seq. werift's `encrypt` guesses the rollover counter from
 * the previous call's sequence number, and a resend from before the wrap (or of seq 0) more than 100 packets
 * late moves that guess for good: every later packet then fails the viewer's authentication (it goes silent).
 * The sender knows the index, so it hands it to werift's cipher; `encrypt` only if werift has no such cipher.
 */
function protect(srtp: SrtpInternals, h: Werift.RtpHeader, payload: Buffer, roc: number): Buffer {
  const cipher = srtp.localContext?.cipher;
  return cipher?.encryptRtp ? cipher.encryptRtp(h, payload, roc) : srtp.encrypt(payload, h);
}

/**
 * How a viewer's datagrams leave: on the shared port straight to the mux socket at the address ICE
 * nominated (read per packet: the client may nominate another pair); on werift's own sockets through its
 * ICE connection.
 */
export function datagramSender(
  pc: RTCPeerConnection,
  mux: MuxSession | undefined,
  stats: { unsent: number } = { unsent: 0 },
): DatagramSend {
  const connection = pc.iceTransports[0]?.connection as unknown as
    { nominated?: { remoteAddr: readonly [string, number] }; send(data: Buffer): Promise<void> } | undefined;
  if (!connection) return () => void stats.unsent++;
  if (mux) {
    return (datagram) => {
      const pair = connection.nominated;
      if (pair) mux.send(datagram, pair.remoteAddr);
      else stats.unsent++;
    };
  }
  return (datagram) => void connection.send(datagram).catch(() => {});
}
