/**
 * The caller side of the HSv5 handshake (draft-sharabayko-srt §4.3.1), sans I/O: an HSv4-style induction to
 * socket 0, then a conclusion with the listener's cookie, HSREQ (our latency) and the stream id; both are
 * repeated every 250 ms (libsrt's connect retry) until an answer or the connect timeout. Used by tests
 * (a caller to our listener across a lossy link) and by future relays.
 */
import { ProtocolError, type ErrorCode } from '../../errors.ts';
import { ControlType, decodePacket, encodeControl } from './srt-packet.ts';
import { decodeHandshake, encodeHandshake, HandshakeType, HsExt, SrtFlag, type Handshake } from './srt-handshake.ts';
import { srtVersion } from './srt-listener-handshake.ts';
import { rejectionOf } from './srt-reject.ts';
import { SrtConnection, type SrtConnectionSink } from './srt-connection.ts';

/** How a caller connects. */
export interface CallerOptions {
  readonly localId: number;
  readonly initialSeq: number;
  readonly streamId?: string;
  readonly latencyMs: number;
  readonly nowUs: number;
  readonly connectTimeoutUs?: number;
  readonly windowPackets?: number;
  readonly maxReceiveBytes?: number;
  readonly maxSendPackets?: number;
  readonly peerIdleTimeoutUs?: number;
}

/** What the caller tells on top of a connection's sink. */
export interface CallerSink extends SrtConnectionSink {
  /** The handshake is done: send with `caller.connection`. */
  connected(): void;
  /** The listener refused (its reason: SRT_REJ_* or SRT_REJX_*), or the handshake timed out (reason undefined). */
  rejected(reason: number | undefined, code: ErrorCode): void;
}

const retryUs = 250_000;
const callerFlags = SrtFlag.tsbpdSnd | SrtFlag.tsbpdRcv | SrtFlag.tlPktDrop | SrtFlag.periodicNak | SrtFlag.rexmitFlag;

/** One SRT caller: handshake first, then an SrtConnection. */
export class SrtCaller {
  connection: SrtConnection | undefined;
  readonly #o: CallerOptions;
  readonly #sink: CallerSink;
  #state: 'induction' | 'conclusion' | 'connected' | 'failed' = 'induction';
  #cookie = 0;
  #lastSentUs = -Infinity;

  constructor(o: CallerOptions, sink: CallerSink) {
    this.#o = o;
    this.#sink = sink;
  }

  /** Where the handshake is. */
  get state(): string {
    return this.#state;
  }

  /** Sends the induction. */
  start(nowUs: number): void {
    this.#sendHandshake(nowUs);
  }

  /** Takes one datagram from the listener. */
  receive(datagram: Buffer, nowUs: number): void {
    if (this.#state === 'connected') return this.connection!.receive(datagram, nowUs);
    if (this.#state === 'failed') return;
    const p = decodePacket(datagram);
    if (p.kind !== 'control' || p.type !== ControlType.handshake) return;
    const hs = decodeHandshake(p.cif);
    const reason = rejectionOf(hs.type);
    if (reason !== undefined) {
      this.#state = 'failed';
      return this.#sink.rejected(reason, 'SRT_REJECTED');
    }
    if (this.#state === 'induction' && hs.type === HandshakeType.induction) {
      if (hs.version !== 5)
        throw new ProtocolError('SRT_HANDSHAKE_INVALID', `listener answered the induction with version ${hs.version}`);
      this.#cookie = hs.cookie;
      this.#state = 'conclusion';
      return this.#sendHandshake(nowUs);
    }
    if (this.#state === 'conclusion' && hs.type === HandshakeType.conclusion) {
      const rsp = hs.hsrsp ?? { recvDelayMs: this.#o.latencyMs, sendDelayMs: this.#o.latencyMs };
      const o = this.#o;
      this.connection = new SrtConnection(
        {
          localId: o.localId,
          peerId: hs.socketId,
          initialSeq: o.initialSeq,
          startUs: o.nowUs,
          peerStartUs: nowUs - p.timestamp,
          recvLatencyUs: rsp.sendDelayMs * 1000,
          sendLatencyUs: rsp.recvDelayMs * 1000,
          windowPackets: o.windowPackets ?? 8192,
          maxReceiveBytes: o.maxReceiveBytes ?? 16 * 1024 * 1024,
          maxSendPackets: o.maxSendPackets ?? 8192,
          peerIdleTimeoutUs: o.peerIdleTimeoutUs ?? 5_000_000,
          nowUs,
        },
        this.#sink,
      );
      this.#state = 'connected';
      this.#sink.connected();
    }
  }

  /** Repeats the handshake, times it out, or runs the connection's timers. */
  tick(nowUs: number): void {
    if (this.#state === 'connected') return this.connection!.tick(nowUs);
    if (this.#state === 'failed') return;
    if (nowUs - this.#o.nowUs > (this.#o.connectTimeoutUs ?? 3_000_000)) {
      this.#state = 'failed';
      return this.#sink.rejected(undefined, 'SRT_HANDSHAKE_TIMEOUT');
    }
    if (nowUs - this.#lastSentUs >= retryUs) this.#sendHandshake(nowUs);
  }

  #sendHandshake(nowUs: number): void {
    this.#lastSentUs = nowUs;
    const o = this.#o;
    const induction = this.#state === 'induction';
    const hs: Handshake = {
      // HSv5 callers start with version 4 and the UDT socket type (2, DGRAM) as the extension field.
      version: induction ? 4 : 5,
      encryption: 0,
      extension: induction ? 2 : HsExt.hsreq | (o.streamId !== undefined ? HsExt.config : 0),
      initialSeq: o.initialSeq,
      mtu: 1500,
      flowWindow: o.windowPackets ?? 8192,
      type: induction ? HandshakeType.induction : HandshakeType.conclusion,
      socketId: o.localId,
      cookie: induction ? 0 : this.#cookie,
      peerIp: Buffer.alloc(16),
      hsreq: induction
        ? undefined
        : { version: srtVersion, flags: callerFlags, recvDelayMs: o.latencyMs, sendDelayMs: o.latencyMs },
      streamId: induction ? undefined : o.streamId,
    };
    this.#sink.send(
      encodeControl(ControlType.handshake, 0, Math.max(0, Math.floor(nowUs - o.nowUs)), 0, encodeHandshake(hs)),
    );
  }
}
