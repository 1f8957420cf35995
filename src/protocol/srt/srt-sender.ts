/**
 * The live-mode sender (draft-sharabayko-srt §4.6, §4.8): numbers each payload, keeps what it sent in a
 * bounded buffer until it is acknowledged, retransmits what a NAK names (R flag set), and drops packets
 * too old to be played in time, telling the receiver with a message-drop request (libsrt sender TLPKTDROP).
 */
import { encodeData, Position, writeDataHeader, type DataFields } from './srt-packet.ts';
import type { LossRange } from './srt-control.ts';
import { msgNoInc, seqCmp, seqInc, seqOff } from './srt-seq.ts';
import type { SrtCrypto } from './srt-crypto.ts';

/** How the sender is set up at the handshake. */
export interface SenderOptions {
  readonly initialSeq: number;
  readonly peerId: number;
  /** Packets kept for retransmission at most; the oldest go first. */
  readonly maxPackets: number;
  /** A packet older than this (µs) is dropped instead of retransmitted (latency × 1.25 + margin, at least 1 s). */
  readonly dropAfterUs: number;
  /** When the connection is encrypted: payloads leave AES-CTR encrypted with its send key (srt-crypto.ts). */
  readonly crypto?: SrtCrypto | undefined;
}

/** The sender's counters. */
export interface SenderStats {
  packets: number;
  bytes: number;
  retransmitted: number;
  /** Dropped unacknowledged: too old, or pushed out of the buffer. */
  dropped: number;
}

interface Sent {
  readonly seq: number;
  readonly msgNo: number;
  readonly sentAtUs: number;
  readonly datagram: Buffer;
  readonly fields: DataFields;
}

/** The sending half of a live SRT connection. */
export class Sender {
  readonly stats: SenderStats = { packets: 0, bytes: 0, retransmitted: 0, dropped: 0 };
  readonly #o: SenderOptions;
  /** Unacknowledged packets in sequence order: a FIFO ring (index `#head`). */
  #buf: Sent[] = [];
  #head = 0;
  #nextSeq: number;
  #msgNo = 0;

  constructor(o: SenderOptions) {
    this.#o = o;
    this.#nextSeq = o.initialSeq;
  }

  /** Packets waiting for an ACK. */
  get unacknowledged(): number {
    return this.#buf.length - this.#head;
  }

  /** Numbers one payload (one message, one packet: live mode) and returns its datagram. */
  send(payload: Uint8Array, timestamp: number, nowUs: number): Buffer {
    this.#msgNo = msgNoInc(this.#msgNo);
    const crypto = this.#o.crypto;
    const fields: DataFields = {
      seq: this.#nextSeq,
      msgNo: this.#msgNo,
      timestamp,
      destId: this.#o.peerId,
      position: Position.solo,
      inOrder: false,
      key: crypto ? crypto.sendKey : 0,
    };
    const datagram = encodeData(fields, crypto ? crypto.encrypt(this.#nextSeq, payload) : payload);
    if (this.unacknowledged >= this.#o.maxPackets) {
      this.#head++;
      this.stats.dropped++;
    }
    this.#buf.push({ seq: this.#nextSeq, msgNo: this.#msgNo, sentAtUs: nowUs, datagram, fields });
    this.#compact();
    this.#nextSeq = seqInc(this.#nextSeq);
    this.stats.packets++;
    this.stats.bytes += payload.length;
    return datagram;
  }

  /** The receiver has everything before `ackSeq`: forget it. */
  onAck(ackSeq: number): void {
    while (this.#head < this.#buf.length && seqCmp(this.#buf[this.#head]!.seq, ackSeq) < 0) this.#head++;
    this.#compact();
  }

  /**
   * The datagrams a NAK asks for again (R flag set), and the ranges no longer held (to answer with a
   * message-drop request). At most `maxPackets` are resent per NAK: a lying NAK cannot make us loop.
   */
  onNak(ranges: readonly LossRange[]): { resend: Buffer[]; gone: LossRange[] } {
    const resend: Buffer[] = [];
    const gone: LossRange[] = [];
    const oldest = this.#head < this.#buf.length ? this.#buf[this.#head]!.seq : this.#nextSeq;
    for (const r of ranges) {
      if (seqCmp(r.first, oldest) < 0) {
        const lastGone = seqCmp(r.last, oldest) < 0 ? r.last : (oldest - 1) & 0x7fffffff;
        if (seqCmp(lastGone, r.first) >= 0) gone.push({ first: r.first, last: lastGone });
      }
      const from = Math.max(0, seqOff(oldest, r.first));
      const to = Math.min(this.unacknowledged - 1, seqOff(oldest, r.last));
      for (let i = from; i <= to && resend.length < this.#o.maxPackets; i++) {
        const p = this.#buf[this.#head + i]!;
        if (!p.fields.retransmitted) {
          (p.fields as { retransmitted: boolean }).retransmitted = true;
          writeDataHeader(p.datagram, p.fields);
        }
        resend.push(p.datagram);
        this.stats.retransmitted++;
      }
    }
    return { resend, gone };
  }

  /** Drops packets sent longer ago than the drop threshold; returns the dropped range (for a DROPREQ). */
  dropOld(nowUs: number): { range: LossRange; msgNo: number } | undefined {
    let first: Sent | undefined;
    let last: Sent | undefined;
    while (this.#head < this.#buf.length && nowUs - this.#buf[this.#head]!.sentAtUs > this.#o.dropAfterUs) {
      last = this.#buf[this.#head++]!;
      first ??= last;
      this.stats.dropped++;
    }
    this.#compact();
    return first && last ? { range: { first: first.seq, last: last.seq }, msgNo: first.msgNo } : undefined;
  }

  /** Keeps the ring's dead prefix from growing: shift once it is half the array. */
  #compact(): void {
    if (this.#head > 64 && this.#head * 2 >= this.#buf.length) {
      this.#buf = this.#buf.slice(this.#head);
      this.#head = 0;
    }
  }
}
