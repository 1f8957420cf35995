/**
 * One established live SRT connection, sans I/O (draft-sharabayko-srt §4): datagrams in through `receive`,
 * payloads out through `send`, time as a number (µs) in every call, and `tick` for the timers (full ACK
 * every 10 ms, periodic NAK, TSBPD release, sender drop, keepalive after 1 s of silence, peer idle
 * timeout). What it writes and delivers goes to the `SrtConnectionSink`.
 */
import { LiveError, ProtocolError, type ErrorCode } from '../../errors.ts';
import { ControlType, decodePacket, encodeControl, type ControlPacket } from './srt-packet.ts';
import {
  decodeAck,
  decodeDropRequest,
  decodeLossList,
  encodeAck,
  encodeDropRequest,
  encodeLossList,
  type LossRange,
} from './srt-control.ts';
import { Receiver } from './srt-receiver.ts';
import { Sender } from './srt-sender.ts';
import type { SrtCrypto } from './srt-crypto.ts';
import { KmState } from './srt-handshake.ts';

/** UMSG_EXT subtypes of the key refresh (libsrt SRT_CMD_KMREQ / SRT_CMD_KMRSP). */
const extKmReq = 3;
const extKmRsp = 4;

/** libsrt COMM_SYN_INTERVAL_US: the full-ACK period. */
export const synIntervalUs = 10_000;
/** libsrt COMM_KEEPALIVE_PERIOD_US. */
export const keepaliveUs = 1_000_000;
/** libsrt's minimum NAK period (m_tdMinNakInterval, 20 ms). */
const minNakIntervalUs = 20_000;
/** Loss ranges one NAK carries at most: it must fit one datagram (1456 bytes of CIF). */
const maxNakRanges = 180;

/** Where a connection's output goes. */
export interface SrtConnectionSink {
  /** A datagram for the peer. */
  send(datagram: Buffer): void;
  /** A payload released by TSBPD, in order. */
  deliver(payload: Buffer): void;
  /** The connection ended: `code` undefined for a clean shutdown by either side. */
  closed(code: ErrorCode | undefined, reason: string): void;
}

/** What the handshake settled. */
export interface SrtConnectionOptions {
  readonly localId: number;
  readonly peerId: number;
  /** Both directions start at the caller's initial sequence number (HSv5). */
  readonly initialSeq: number;
  /** Local µs at which our own timestamps are 0 (our socket's start). */
  readonly startUs: number;
  /** Local µs at which the peer's timestamps were 0 (the TSBPD base). */
  readonly peerStartUs: number;
  /** Negotiated latency of what we receive and of what we send (µs). */
  readonly recvLatencyUs: number;
  readonly sendLatencyUs: number;
  readonly windowPackets: number;
  readonly maxReceiveBytes: number;
  readonly maxSendPackets: number;
  /** No packet from the peer for this long closes the connection (libsrt SRTO_PEERIDLETIMEO, 5 s). */
  readonly peerIdleTimeoutUs: number;
  readonly nowUs: number;
  /** The keys agreed in the handshake (KMREQ/KMRSP): data both ways is AES-CTR encrypted. */
  readonly crypto?: SrtCrypto | undefined;
}

/** An established SRT connection in live mode (both directions; a publisher only sends, a listener only receives). */
export class SrtConnection {
  readonly receiver: Receiver;
  readonly sender: Sender;
  readonly #o: SrtConnectionOptions;
  readonly #sink: SrtConnectionSink;
  #lastRecvUs: number;
  #lastSendUs: number;
  #nextAckUs: number;
  #nextNakUs: number;
  #closed = false;
  /** NAKs sent and received, keepalives, and control packets ignored (unknown types). */
  readonly control = { naksSent: 0, naksReceived: 0, acksSent: 0, ignored: 0 };

  constructor(o: SrtConnectionOptions, sink: SrtConnectionSink) {
    this.#o = o;
    this.#sink = sink;
    this.receiver = new Receiver({
      initialSeq: o.initialSeq,
      latencyUs: o.recvLatencyUs,
      baseUs: o.peerStartUs,
      windowPackets: o.windowPackets,
      maxBytes: o.maxReceiveBytes,
      tooLateDrop: true,
    });
    this.sender = new Sender({
      initialSeq: o.initialSeq,
      peerId: o.peerId,
      maxPackets: o.maxSendPackets,
      crypto: o.crypto,
      dropAfterUs: Math.max(1_000_000, o.sendLatencyUs * 1.25 + 2 * synIntervalUs),
    });
    this.#lastRecvUs = o.nowUs;
    this.#lastSendUs = o.nowUs;
    this.#nextAckUs = o.nowUs + synIntervalUs;
    this.#nextNakUs = o.nowUs + minNakIntervalUs;
  }

  /** True once shut down, timed out or failed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The peer's socket id (what our datagrams carry as destination). */
  get peerId(): number {
    return this.#o.peerId;
  }

  /** Our timestamp for `nowUs` (32 bits, wraps). */
  timestamp(nowUs: number): number {
    return Math.max(0, Math.floor(nowUs - this.#o.startUs)) >>> 0;
  }

  /** Takes one datagram addressed to this connection. Throws ProtocolError on malformed bytes (the caller counts and closes). */
  receive(datagram: Buffer, nowUs: number): void {
    if (this.#closed) return;
    const p = decodePacket(datagram);
    this.#lastRecvUs = nowUs;
    if (p.kind === 'data') {
      let packet = p;
      if (p.key !== 0) {
        const crypto = this.#o.crypto;
        if (!crypto)
          throw new ProtocolError('SRT_ENCRYPTION_UNSUPPORTED', 'encrypted data packet, but no key was agreed');
        const clear = crypto.decrypt(p.seq, p.key, p.payload);
        if (!clear) return; // a key never announced: dropped (counted in crypto.stats), NAKed like a loss later
        packet = { ...p, payload: clear };
      }
      const gap = this.receiver.onData(packet);
      if (gap) this.#nak([gap], nowUs);
      return;
    }
    this.#control(p, nowUs);
  }

  #control(p: ControlPacket, nowUs: number): void {
    switch (p.type) {
      case ControlType.ack: {
        const ack = decodeAck(p.cif);
        this.sender.onAck(ack.ackSeq);
        // A full ACK carries an ACK number to answer (a light ACK's is 0) and the receiver's RTT.
        if (p.info !== 0 && p.cif.length >= 16) {
          this.#write(encodeControl(ControlType.ackack, p.info, this.timestamp(nowUs), this.#o.peerId), nowUs);
          if (ack.rttUs !== undefined) this.receiver.rtt.update(ack.rttUs);
        }
        return;
      }
      case ControlType.ackack:
        this.receiver.onAckAck(p.info, p.timestamp, nowUs);
        return;
      case ControlType.nak: {
        this.control.naksReceived++;
        const { resend, gone } = this.sender.onNak(decodeLossList(p.cif));
        for (const d of resend) this.#write(d, nowUs);
        for (const r of gone)
          this.#write(
            encodeControl(
              ControlType.dropreq,
              0,
              this.timestamp(nowUs),
              this.#o.peerId,
              encodeDropRequest(r.first, r.last),
            ),
            nowUs,
          );
        return;
      }
      case ControlType.dropreq: {
        const r = decodeDropRequest(p.cif);
        this.receiver.onDropRequest(r.first, r.last);
        return;
      }
      case ControlType.shutdown:
        this.#end(undefined, 'peer shut down');
        return;
      case ControlType.keepalive:
        return;
      case ControlType.userDefined:
        if (p.subtype === extKmReq) return this.#keyRefresh(p, nowUs);
        if (p.subtype !== extKmRsp) this.control.ignored++;
        return;
      case ControlType.handshake:
        return; // a repeated conclusion: the listener answers it from its cache before it reaches here
      default:
        this.control.ignored++;
    }
  }

  /** Sends one payload (at most the peer's payload size, 1316 bytes in live mode) as one data packet. */
  send(payload: Uint8Array, nowUs: number): void {
    if (this.#closed) return;
    this.#write(this.sender.send(payload, this.timestamp(nowUs), nowUs), nowUs);
  }

  /** Runs the timers due at `nowUs`; call at least every 10 ms. */
  tick(nowUs: number): void {
    if (this.#closed) return;
    if (nowUs - this.#lastRecvUs > this.#o.peerIdleTimeoutUs) {
      this.#write(
        encodeControl(ControlType.shutdown, 0, this.timestamp(nowUs), this.#o.peerId, Buffer.alloc(4)),
        nowUs,
      );
      this.#end(
        'SRT_PEER_IDLE_TIMEOUT',
        `no packet from the peer for ${Math.round(this.#o.peerIdleTimeoutUs / 1000)} ms`,
      );
      return;
    }
    this.receiver.release(nowUs, (payload) => this.#sink.deliver(payload));
    if (this.#closed) return;
    if (nowUs >= this.#nextAckUs) {
      this.#nextAckUs = nowUs + synIntervalUs;
      const ack = this.receiver.nextAck(nowUs);
      if (ack) {
        this.control.acksSent++;
        const cif = encodeAck({
          ackSeq: ack.ackSeq,
          rttUs: ack.rttUs,
          rttVarUs: ack.rttVarUs,
          availableBuffer: ack.available,
          packetsPerSecond: 0,
          linkCapacity: 0,
          bytesPerSecond: 0,
        });
        this.#write(encodeControl(ControlType.ack, ack.ackNo, this.timestamp(nowUs), this.#o.peerId, cif), nowUs);
      }
    }
    if (nowUs >= this.#nextNakUs) {
      const { rttUs, rttVarUs } = this.receiver.rtt;
      this.#nextNakUs = nowUs + Math.max(minNakIntervalUs, (rttUs + 4 * rttVarUs) / 2);
      if (this.receiver.loss.length > 0) this.#nak(this.receiver.loss.ranges(maxNakRanges), nowUs);
    }
    const dropped = this.sender.dropOld(nowUs);
    if (dropped)
      this.#write(
        encodeControl(
          ControlType.dropreq,
          dropped.msgNo,
          this.timestamp(nowUs),
          this.#o.peerId,
          encodeDropRequest(dropped.range.first, dropped.range.last),
        ),
        nowUs,
      );
    if (nowUs - this.#lastSendUs >= keepaliveUs)
      this.#write(
        encodeControl(ControlType.keepalive, 0, this.timestamp(nowUs), this.#o.peerId, Buffer.alloc(4)),
        nowUs,
      );
  }

  /** Sends a shutdown and ends the connection; idempotent. */
  close(nowUs: number, code?: ErrorCode, reason = 'closed'): void {
    if (this.#closed) return;
    this.#write(encodeControl(ControlType.shutdown, 0, this.timestamp(nowUs), this.#o.peerId, Buffer.alloc(4)), nowUs);
    this.#end(code, reason);
  }

  /** Ends the connection without telling the peer (a protocol error the caller already counted). */
  fail(err: LiveError): void {
    this.#end(err.code, err.message);
  }

  /** A KMREQ after the handshake (libsrt regenCryptoKm, key refresh): take the new key, echo it as KMRSP. */
  #keyRefresh(p: ControlPacket, nowUs: number): void {
    const crypto = this.#o.crypto;
    const outcome = crypto ? crypto.take(p.cif) : 'noSecret';
    const state = Buffer.alloc(4);
    state.writeUInt32BE(
      outcome === 'badSecret' ? KmState.badSecret : outcome === 'badCipher' ? KmState.badCryptoMode : KmState.noSecret,
    );
    const answer = outcome === 'ok' ? p.cif : state;
    this.#write(
      encodeControl(ControlType.userDefined, 0, this.timestamp(nowUs), this.#o.peerId, answer, extKmRsp),
      nowUs,
    );
  }

  #nak(ranges: LossRange[], nowUs: number): void {
    this.control.naksSent++;
    this.#write(
      encodeControl(ControlType.nak, 0, this.timestamp(nowUs), this.#o.peerId, encodeLossList(ranges)),
      nowUs,
    );
  }

  #write(datagram: Buffer, nowUs: number): void {
    this.#lastSendUs = nowUs;
    this.#sink.send(datagram);
  }

  #end(code: ErrorCode | undefined, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sink.closed(code, reason);
  }
}
