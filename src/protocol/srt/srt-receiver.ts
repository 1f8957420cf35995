/**
 * The live-mode receiver (draft-sharabayko-srt §4.5, §4.6, §4.8): stores data packets by sequence number in a
 * bounded window, detects gaps (immediate NAK, then periodic NAK), acknowledges every 10 ms with a full ACK
 * that the sender answers with an ACKACK (RTT), releases packets at their timestamp + latency (TSBPD) and
 * drops packets still missing when a later one is due (too-late packet drop), counting each.
 */
import type { DataPacket } from './srt-packet.ts';
import { LossList } from './srt-loss-list.ts';
import type { LossRange } from './srt-control.ts';
import { RttEstimator } from './srt-rtt.ts';
import { seqAdd, seqCmp, seqDec, seqInc, seqOff } from './srt-seq.ts';
import { TimeBase } from './srt-time-base.ts';

/** How the receiver is set up at the handshake. */
export interface ReceiverOptions {
  readonly initialSeq: number;
  /** Negotiated TSBPD latency of this direction (µs). */
  readonly latencyUs: number;
  /** Local time of the peer's timestamp 0 (µs). */
  readonly baseUs: number;
  /** Packets held at most (the flow window we advertised). */
  readonly windowPackets: number;
  /** Payload bytes held at most (srt.maxReceiveBufferBytes). */
  readonly maxBytes: number;
  /** Too-late packet drop (SRT_OPT_TLPKTDROP); on in live mode. */
  readonly tooLateDrop?: boolean;
}

/** The receiver's counters (libsrt SRT_TRACEBSTATS names in brackets). */
export interface ReceiverStats {
  packets: number;
  bytes: number;
  /** [pktRcvRetrans] */
  retransmitted: number;
  /** [pktRcvLoss] gaps detected. */
  lost: number;
  /** [pktRcvDrop] never delivered: too late or dropped by request. */
  dropped: number;
  /** [pktRcvBelated] arrived after their slot was delivered or dropped. */
  belated: number;
  duplicates: number;
  /** Refused for the window or the byte bound. */
  overflow: number;
  delivered: number;
}

/** What a stored slot holds; `null` marks a number the sender asked us to drop. */
type Slot = { payload: Buffer; time: number } | null;

/** The receiving half of a live SRT connection. */
export class Receiver {
  readonly stats: ReceiverStats = {
    packets: 0,
    bytes: 0,
    retransmitted: 0,
    lost: 0,
    dropped: 0,
    belated: 0,
    duplicates: 0,
    overflow: 0,
    delivered: 0,
  };
  readonly rtt = new RttEstimator();
  readonly time: TimeBase;
  readonly loss = new LossList();
  readonly #o: ReceiverOptions;
  readonly #slots = new Map<number, Slot>();
  #bytes = 0;
  /** Next number to hand to the application. */
  #next: number;
  /** Highest number received (or skipped over). */
  #max: number;
  #ackNo = 0;
  /** Sent ACK numbers and when, for the RTT of their ACKACK (libsrt ACK window, 1024 entries). */
  readonly #acks = new Map<number, { atUs: number; seq: number }>();
  #lastAckUs = 0;
  /** The ACK sequence number of the newest ACK the sender answered. */
  #ackAckedSeq = -1;
  #lastAckSeq = -1;
  #firstRttUs: number | undefined;

  constructor(o: ReceiverOptions) {
    this.#o = o;
    this.#next = o.initialSeq;
    this.#max = seqDec(o.initialSeq);
    this.time = new TimeBase(o.baseUs);
  }

  /** Payload bytes held now. */
  get bufferedBytes(): number {
    return this.#bytes;
  }

  /** Packets held now. */
  get bufferedPackets(): number {
    return this.#slots.size;
  }

  /**
   * Takes one data packet; returns the fresh gap it revealed (to NAK at once), if any. Packets before the
   * delivery point, outside the window or past the byte bound are counted and dropped.
   */
  onData(p: DataPacket): LossRange | undefined {
    const off = seqOff(this.#next, p.seq);
    if (off < 0) {
      this.stats.belated++;
      return undefined;
    }
    if (this.#slots.has(p.seq)) {
      this.stats.duplicates++;
      return undefined;
    }
    if (off >= this.#o.windowPackets || this.#bytes + p.payload.length > this.#o.maxBytes) {
      this.stats.overflow++;
      return undefined;
    }
    // Copy: the datagram buffer may be pooled by the socket layer, and the slot outlives it by the latency.
    this.#slots.set(p.seq, {
      payload: Buffer.from(p.payload),
      time: this.time.localTime(p.timestamp) + this.#o.latencyUs,
    });
    this.#bytes += p.payload.length;
    this.stats.packets++;
    this.stats.bytes += p.payload.length;
    if (p.retransmitted) this.stats.retransmitted++;
    const ahead = seqCmp(p.seq, this.#max);
    if (ahead > 0) {
      const gapFirst = seqInc(this.#max);
      this.#max = p.seq;
      if (gapFirst !== p.seq) {
        const gap = { first: gapFirst, last: seqDec(p.seq) };
        this.loss.append(gap.first, gap.last);
        this.stats.lost += seqCmp(gap.last, gap.first) + 1;
        return gap;
      }
    } else {
      this.loss.remove(p.seq);
    }
    return undefined;
  }

  /** The number a full ACK acknowledges: the first one not yet received (or given up). */
  get ackSeq(): number {
    return this.loss.first ?? seqInc(this.#max);
  }

  /**
   * A full ACK to send now, or undefined when nothing new was acknowledged since the last one and that one
   * was answered by an ACKACK or is younger than 2 RTT (libsrt sendCtrlAck: a lost ACK is sent again). The
   * ACK number and time are kept for the ACKACK's RTT.
   */
  nextAck(
    nowUs: number,
  ): { ackNo: number; ackSeq: number; rttUs: number; rttVarUs: number; available: number } | undefined {
    const ackSeq = this.ackSeq;
    if (ackSeq === this.#lastAckSeq && (ackSeq === this.#ackAckedSeq || nowUs - this.#lastAckUs < 2 * this.rtt.rttUs))
      return undefined;
    this.#lastAckSeq = ackSeq;
    this.#lastAckUs = nowUs;
    this.#ackNo = (this.#ackNo + 1) & 0x7fffffff || 1;
    this.#acks.set(this.#ackNo, { atUs: nowUs, seq: ackSeq });
    if (this.#acks.size > 1024) this.#acks.delete(this.#acks.keys().next().value!);
    const available = Math.max(2, this.#o.windowPackets - this.#slots.size);
    return {
      ackNo: this.#ackNo,
      ackSeq,
      rttUs: Math.round(this.rtt.rttUs),
      rttVarUs: Math.round(this.rtt.rttVarUs),
      available,
    };
  }

  /** An ACKACK for `ackNo` arrived: one RTT sample, and one drift sample from its timestamp. */
  onAckAck(ackNo: number, timestamp: number, nowUs: number): void {
    const sent = this.#acks.get(ackNo);
    if (sent === undefined) return;
    this.#acks.delete(ackNo);
    this.#ackAckedSeq = sent.seq;
    const sample = nowUs - sent.atUs;
    this.rtt.update(sample);
    this.#firstRttUs ??= sample;
    this.time.sample(timestamp, nowUs, (sample - this.#firstRttUs) / 2);
  }

  /** The sender gave up `first..last` (a message-drop request): stop asking for them and skip them. */
  onDropRequest(first: number, last: number): void {
    if (seqCmp(last, this.#next) < 0) return;
    const lo = seqCmp(first, this.#next) < 0 ? this.#next : first;
    const n = Math.min(seqOff(lo, last) + 1, this.#o.windowPackets);
    this.loss.removeRange(lo, seqAdd(lo, n - 1));
    for (let i = 0, s = lo; i < n; i++, s = seqInc(s)) {
      if (this.#slots.has(s)) continue;
      if (seqCmp(s, this.#max) > 0) break;
      this.#slots.set(s, null);
    }
  }

  /**
   * Hands every packet whose time has come to `deliver`, in order. A missing packet blocks only until the
   * next held one is due: then (too-late drop) the missing ones are dropped and counted.
   */
  release(nowUs: number, deliver: (payload: Buffer) => void): void {
    for (;;) {
      const slot = this.#slots.get(this.#next);
      if (slot === null) {
        this.#slots.delete(this.#next);
        this.stats.dropped++;
        this.#next = seqInc(this.#next);
        continue;
      }
      if (slot !== undefined) {
        if (slot.time > nowUs) return;
        this.#slots.delete(this.#next);
        this.#bytes -= slot.payload.length;
        this.#next = seqInc(this.#next);
        this.stats.delivered++;
        this.loss.removeBefore(this.#next);
        deliver(slot.payload);
        continue;
      }
      // The head is missing: it is the first lost number (every number up to #max is held or lost).
      if (seqCmp(this.#next, this.#max) > 0 || this.#o.tooLateDrop === false) return;
      const firstLoss = this.loss.first;
      const resume = firstLoss === this.#next ? seqInc(this.loss.ranges(1)[0]!.last) : this.#next;
      const after = this.#slots.get(resume);
      if (resume === this.#next || after === undefined || (after !== null && after.time > nowUs)) return;
      const skipped = seqOff(this.#next, resume);
      this.loss.removeBefore(resume);
      this.stats.dropped += skipped;
      this.#next = resume;
    }
  }

  /** The earliest time `release` would hand something out or drop (µs), or undefined when nothing is held. */
  nextReleaseUs(): number | undefined {
    const head = this.#slots.get(this.#next);
    if (head) return head.time;
    if (head === null) return 0;
    const r = this.loss.ranges(1)[0];
    if (!r || r.first !== this.#next) return undefined;
    const after = this.#slots.get(seqInc(r.last));
    return after ? after.time : after === null ? 0 : undefined;
  }
}
