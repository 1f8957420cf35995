/**
 * The SRT listener (docs/srt.md): one UDP socket, datagrams demultiplexed by destination socket id (0 =
 * the listener's handshake), callers admitted through the connection gate, a handshake rate bound and the
 * one admission path, their TS payloads handed to a TsPayloadSink. One timer drives every connection.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { randomBytes, randomInt } from 'node:crypto';
import type { Admission } from '../../control/admission.ts';
import { breakCodes } from '../../control/break-codes.ts';
import { toLiveError, type ErrorCode } from '../../errors.ts';
import type { Log } from '../../log.ts';
import { ControlType, decodePacket, peekDestId } from '../../protocol/srt/srt-packet.ts';
import {
  acceptConclusion,
  listenerStep,
  negotiateLatency,
  rejectConclusion,
} from '../../protocol/srt/srt-listener-handshake.ts';
import type { Handshake } from '../../protocol/srt/srt-handshake.ts';
import { RejectReason } from '../../protocol/srt/srt-reject.ts';
import { ConnectionGate } from '../connection-gate.ts';
import type { ServerCounters } from '../counters.ts';
import { SrtPeer } from './srt-peer.ts';
import { anyPassphrase, type SrtEncryptionConfig } from './srt-encryption.ts';
import type { TsPayloadSink, TsSinkFactory } from './ts-payload-sink.ts';
import type { SrtCrypto } from '../../protocol/srt/srt-crypto.ts';
import type { Hub } from '../../hub/hub.ts';
import { decideSrtCaller, type SrtCallerServer } from './srt-caller-decision.ts';

/** The listener's settings (srt.* keys, docs/config.md) and the parts it calls. */
export interface SrtServerOptions<S> extends SrtEncryptionConfig {
  readonly host: string;
  readonly port: number;
  readonly admission: Admission<S>;
  readonly openSink: TsSinkFactory<S>;
  readonly counters: ServerCounters;
  readonly log: Log;
  /** Microseconds on a monotonic clock (tests inject one). */
  readonly clockUs?: () => number;
  /** Our TSBPD latency (ms); the larger of ours and the caller's wins (libsrt). */
  readonly latencyMs: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly trustedNetworks: readonly string[];
  /** Handshake packets (inductions and conclusions) taken per second, all callers together. */
  readonly maxHandshakesPerSecond: number;
  /** Conclusions waiting for an admission decision at once. */
  readonly maxPendingHandshakes: number;
  readonly maxReceiveBufferBytes: number;
  /** No packet at all from a connected peer for this long: closed (libsrt SRTO_PEERIDLETIMEO). */
  readonly peerIdleTimeoutMs: number;
  /** Connected but no data packet for this long: the publisher is dropped (rtmp.idleTimeoutMs's twin); 0 = never. */
  readonly idleTimeoutMs: number;
  /** The hub players subscribe to (`m=request`); without it plays are refused with 1405. */
  readonly hub?: Hub | undefined;
}

const tickMs = 5;
const mtu = 1500;
/** How long a refused caller's answer is kept for its repeats (it retries for its connect timeout, 3 s). */
const refusedKeepUs = 5_000_000;

/** The SRT server on node:dgram. */
export class SrtServer<S> {
  readonly #o: SrtServerOptions<S>;
  readonly #socket: Socket;
  readonly #gate: ConnectionGate;
  readonly #secret = randomBytes(32);
  readonly #clock: () => number;
  /** By our socket id. */
  readonly #byId = new Map<number, SrtPeer>();
  /** By `address|port|callerSocketId`: repeated conclusions find their answer here. */
  readonly #byCaller = new Map<string, SrtPeer>();
  #pending = 0;
  #bucket = { second: -1, used: 0 };
  #timer: NodeJS.Timeout | undefined;
  #lastSweepUs = 0;
  #closing: Promise<void> | undefined;
  /** Datagrams dropped before any connection (unknown socket id, wrong source, malformed), by why. */
  readonly dropped = { unknownId: 0, wrongSource: 0, malformed: 0, rateLimited: 0 };
  readonly #decider: SrtCallerServer<S>;

  constructor(options: SrtServerOptions<S>) {
    this.#o = options;
    this.#clock = options.clockUs ?? (() => performance.now() * 1000);
    this.#gate = new ConnectionGate({
      maxTotal: options.maxConnections,
      maxPerIp: options.maxConnectionsPerIp,
      trusted: options.trustedNetworks,
    });
    this.#socket = createSocket({
      type: options.host.includes(':') ? 'udp6' : 'udp4',
      recvBufferSize: 4 * 1024 * 1024,
    });
    this.#socket.on('message', (msg, rinfo) => this.#onDatagram(msg, rinfo));
    this.#socket.on('error', (err) => this.#o.log.warn({ err }, 'SRT socket error'));
    this.#decider = {
      o: options,
      clock: this.#clock,
      closing: () => this.#closing !== undefined,
      refuse: (peer, hs, reason, action) => this.#refuse(peer, hs, reason, action),
      forget: (peer) => this.#forget(peer),
      accept: (peer, hs, peerStartUs, keys, sink) => this.#accept(peer, hs, peerStartUs, keys, sink),
    };
  }

  /** Binds the socket and starts the timer; resolves with the bound port. */
  async start(): Promise<number> {
    this.#socket.bind(this.#o.port, this.#o.host);
    await once(this.#socket, 'listening');
    this.#timer = setInterval(() => this.#tick(), tickMs);
    this.#timer.unref();
    return this.port;
  }

  /** The bound port. */
  get port(): number {
    return this.#socket.address().port;
  }

  /** Callers known right now: pending, live or refused-and-remembered. */
  get peerCount(): number {
    return this.#byId.size;
  }

  /** Live connections right now. */
  get connectionCount(): number {
    return this.#gate.open;
  }

  #onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.#closing) return;
    const nowUs = this.#clock();
    const destId = peekDestId(msg);
    this.#o.counters.bytesInSrt += msg.length;
    if (destId < 0) {
      this.dropped.malformed++;
      this.#o.counters.countError('SRT_PACKET_INVALID');
      return;
    }
    try {
      if (destId === 0) return this.#onHandshake(msg, rinfo, nowUs);
      const peer = destId > 0 ? this.#byId.get(destId) : undefined;
      if (!peer) {
        this.dropped.unknownId++;
        return;
      }
      if (peer.address !== rinfo.address || peer.port !== rinfo.port) {
        // Only the caller that did the handshake may feed its connection (no injection by a guessed id).
        this.dropped.wrongSource++;
        return;
      }
      if (peer.state === 'live') {
        const conn = peer.connection!;
        if ((msg[0]! & 0x80) === 0) peer.lastDataUs = nowUs;
        else if (msg.length >= 16 && msg.readUInt16BE(0) === 0x8000) return this.#repeatAnswer(peer);
        conn.receive(msg, nowUs);
      }
    } catch (err) {
      const live = toLiveError(err);
      this.dropped.malformed++;
      this.#o.counters.countError(live.code);
      const peer = this.#byId.get(destId);
      if (peer?.state === 'live') peer.close(nowUs, live.code, live.message, breakCodes.protocolError);
    }
  }

  #onHandshake(msg: Buffer, rinfo: RemoteInfo, nowUs: number): void {
    if (!this.#takeHandshakeToken(nowUs)) return;
    const p = decodePacket(msg);
    if (p.kind !== 'control' || p.type !== ControlType.handshake) {
      this.dropped.malformed++;
      return;
    }
    const step = listenerStep(
      p,
      `${rinfo.address}|${rinfo.port}`,
      this.#secret,
      nowUs,
      0,
      anyPassphrase(this.#o) ? this.#o.pbKeyLen : 0,
    );
    if (step.kind === 'ignore') return;
    if (step.kind === 'reply' || step.kind === 'reject') {
      if (step.kind === 'reject')
        this.#o.log.info({ ip: rinfo.address, reason: step.reason, why: step.why }, 'SRT handshake rejected');
      return this.#send(step.datagram, rinfo.address, rinfo.port);
    }
    const hs = step.handshake;
    const key = `${rinfo.address}|${rinfo.port}|${hs.socketId}`;
    const known = this.#byCaller.get(key);
    if (known) return this.#repeatAnswer(known);
    this.#conclude(hs, step.timestamp, key, rinfo, nowUs);
  }

  /** A new caller's conclusion: caps, stream id, then the admission path; the answer is kept for repeats. */
  #conclude(hs: Handshake, hsTimestamp: number, key: string, rinfo: RemoteInfo, nowUs: number): void {
    const ip = rinfo.address;
    if (this.#pending >= this.#o.maxPendingHandshakes) {
      this.#limit('SRT_HANDSHAKE_LIMIT', ip);
      return this.#send(rejectConclusion(hs, RejectReason.overload, 0), ip, rinfo.port);
    }
    const gated = this.#gate.admit(ip);
    if (gated !== undefined) {
      this.#limit(gated === 'total' ? 'SRT_CONNECTION_LIMIT' : 'SRT_CONNECTION_LIMIT_PER_IP', ip);
      return this.#send(rejectConclusion(hs, RejectReason.overload, 0), ip, rinfo.port);
    }
    const peer = new SrtPeer(key, ip, rinfo.port, this.#newId(), nowUs, {
      send: (d, a, port) => this.#send(d, a, port),
      ended: (p, code) => this.#ended(p, code),
    });
    this.#byId.set(peer.localId, peer);
    this.#byCaller.set(key, peer);
    this.#pending++;
    this.#decide(peer, hs, nowUs - hsTimestamp)
      .then(
        () => {},
        (err: unknown) => {
          const live = toLiveError(err);
          this.#o.counters.countError(live.code);
          this.#o.log.error({ err: live, code: live.code }, 'SRT admission failed');
          this.#refuse(peer, hs, RejectReason.internal);
        },
      )
      .finally(() => this.#pending--);
  }

  /** Stream id, keys, then the one admission path (srt-caller-decision.ts). */
  #decide(peer: SrtPeer, hs: Handshake, peerStartUs: number): Promise<void> {
    return decideSrtCaller(this.#decider, peer, hs, peerStartUs);
  }

  /** Answers the conclusion and starts the live connection feeding `sink`; counts it. */
  #accept(
    peer: SrtPeer,
    hs: Handshake,
    peerStartUs: number,
    keys: { crypto: SrtCrypto; kmrsp: Buffer } | undefined,
    sink: TsPayloadSink,
  ): { recvMs: number; sendMs: number } {
    const nowUs = this.#clock();
    const latency = negotiateLatency(hs.hsreq!, { recvLatencyMs: this.#o.latencyMs, sendLatencyMs: this.#o.latencyMs });
    const windowPackets = Math.max(32, Math.min(8192, Math.floor(this.#o.maxReceiveBufferBytes / mtu)));
    const crypto = keys?.crypto;
    const answer = acceptConclusion(
      hs,
      {
        localId: peer.localId,
        recvMs: latency.recvMs,
        sendMs: latency.sendMs,
        mtu,
        flowWindow: windowPackets,
        kmrsp: keys?.kmrsp,
      },
      0,
    );
    peer.go(
      {
        localId: peer.localId,
        peerId: hs.socketId,
        initialSeq: hs.initialSeq,
        startUs: nowUs,
        // The caller's clock started roughly when its conclusion's timestamp says; TSBPD counts from there.
        peerStartUs,
        recvLatencyUs: latency.recvMs * 1000,
        sendLatencyUs: latency.sendMs * 1000,
        windowPackets,
        maxReceiveBytes: this.#o.maxReceiveBufferBytes,
        maxSendPackets: 1024,
        peerIdleTimeoutUs: this.#o.peerIdleTimeoutMs * 1000,
        nowUs,
        crypto,
      },
      sink,
      answer,
    );
    this.#o.counters.srtConnections = this.#gate.open;
    this.#o.counters.srtConnectionsTotal++;
    return latency;
  }

  #refuse(peer: SrtPeer, hs: Handshake, reason: number, action: 'publish' | 'play' | 'probe' = 'publish'): void {
    if (peer.state !== 'pending') return;
    peer.state = 'refused';
    if (action === 'publish') this.#o.counters.rejectedPublishes++;
    else if (action === 'play') this.#o.counters.rejectedPlays++;
    peer.answer = rejectConclusion(hs, reason, 0);
    this.#send(peer.answer, peer.address, peer.port);
    this.#gate.release(peer.address);
  }

  #repeatAnswer(peer: SrtPeer): void {
    if (peer.answer) this.#send(peer.answer, peer.address, peer.port);
  }

  #ended(peer: SrtPeer, code: ErrorCode | undefined): void {
    if (code) this.#o.counters.countError(code);
    this.#forget(peer);
  }

  /** Drops a caller that held a gate slot (live, or pending when its decision was abandoned). */
  #forget(peer: SrtPeer): void {
    this.#byId.delete(peer.localId);
    this.#byCaller.delete(peer.key);
    this.#gate.release(peer.address);
    this.#o.counters.srtConnections = this.#gate.open;
  }

  #tick(): void {
    const nowUs = this.#clock();
    const sweep = nowUs - this.#lastSweepUs >= 1_000_000;
    if (sweep) this.#lastSweepUs = nowUs;
    for (const peer of this.#byId.values()) {
      try {
        if (peer.state === 'live') {
          peer.connection!.tick(nowUs);
          if (sweep) this.#sweep(peer, nowUs);
        } else if (peer.state === 'refused' && nowUs - peer.openedAtUs > refusedKeepUs) {
          this.#byId.delete(peer.localId);
          this.#byCaller.delete(peer.key);
        }
      } catch (err) {
        const live = toLiveError(err);
        peer.close(nowUs, live.code, live.message, breakCodes.internalError);
      }
    }
  }

  /** Once a second: the data idle timeout and the receive-buffer overflow count. */
  #sweep(peer: SrtPeer, nowUs: number): void {
    const conn = peer.connection!;
    const overflow = conn.receiver.stats.overflow;
    for (; peer.reportedOverflow < overflow; peer.reportedOverflow++)
      this.#o.counters.countError('SRT_RECEIVE_BUFFER_FULL');
    const idleMs = this.#o.idleTimeoutMs;
    if (idleMs > 0 && !peer.playing && nowUs - peer.lastDataUs > idleMs * 1000) {
      peer.close(nowUs, 'SRT_IDLE_TIMEOUT', `no data for ${idleMs} ms`, breakCodes.noData);
    }
  }

  #takeHandshakeToken(nowUs: number): boolean {
    const second = Math.floor(nowUs / 1_000_000);
    if (this.#bucket.second !== second) this.#bucket = { second, used: 0 };
    if (this.#bucket.used++ < this.#o.maxHandshakesPerSecond) return true;
    this.dropped.rateLimited++;
    this.#o.counters.countError('SRT_HANDSHAKE_LIMIT');
    return false;
  }

  #limit(code: ErrorCode, ip: string): void {
    this.#o.counters.countError(code);
    this.#o.log.warn({ code, ip }, 'SRT caller refused');
  }

  #newId(): number {
    for (;;) {
      const id = randomInt(1, 0x7fffffff);
      if (!this.#byId.has(id)) return id;
    }
  }

  #send(datagram: Buffer, address: string, port: number): void {
    this.#socket.send(datagram, port, address, (err) => {
      if (err) this.#o.log.debug({ err }, 'SRT send failed');
    });
  }

  /** Ends every connection (shutdown to each caller, their sinks told 10/0) and closes the socket; idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      const nowUs = this.#clock();
      for (const peer of [...this.#byId.values()])
        peer.close(nowUs, undefined, 'server closing', breakCodes.serverStopped);
      // Let the shutdown datagrams leave before the socket closes.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
    })();
    return this.#closing;
  }
}
