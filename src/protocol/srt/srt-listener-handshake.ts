/**
 * The listener side of the HSv5 caller-listener handshake (draft-sharabayko-srt §4.3.1): an induction is
 * answered with version 5, the SRT magic and a SYN cookie bound to the caller's address and the minute
 * (libsrt CUDT::bake; the previous minute's cookie is still accepted), so a listener keeps no state for a
 * caller until its conclusion proves it can receive. The conclusion's HSREQ is answered with an HSRSP whose
 * TSBPD latencies are the larger of both sides' (libsrt: max of the peer's proposal and our own).
 */
import { createHmac } from 'node:crypto';
import { ControlType, encodeControl, type ControlPacket } from './srt-packet.ts';
import {
  decodeHandshake,
  encodeHandshake,
  HandshakeType,
  HsExt,
  SrtFlag,
  srtMagic,
  type Handshake,
} from './srt-handshake.ts';
import { RejectReason, rejectionType } from './srt-reject.ts';

/** The SRT version we announce in HSRSP (1.5.0: what libsrt peers of Debian 12 and later expect at least). */
export const srtVersion = 0x010500;
/** The flags we answer with: TSBPD both ways, too-late drop, periodic NAK, the retransmit flag. */
const ourFlags = SrtFlag.tsbpdSnd | SrtFlag.tsbpdRcv | SrtFlag.tlPktDrop | SrtFlag.periodicNak | SrtFlag.rexmitFlag;

/** What a listener's handshake step decided. */
export type ListenerStep =
  | { readonly kind: 'reply'; readonly datagram: Buffer }
  | {
      readonly kind: 'conclusion';
      readonly handshake: Handshake;
      /** The conclusion packet's timestamp: the caller's clock. */ readonly timestamp: number;
    }
  | { readonly kind: 'reject'; readonly datagram: Buffer; readonly reason: number; readonly why: string }
  | { readonly kind: 'ignore'; readonly why: string };

/** The SYN cookie of `peer` (address:port) for the minute of `nowUs`. */
export function synCookie(secret: Buffer, peer: string, nowUs: number, minutesAgo = 0): number {
  const minute = Math.floor(nowUs / 60_000_000) - minutesAgo;
  return createHmac('sha256', secret).update(`${peer}|${minute}`).digest().readUInt32BE(0);
}

/**
 * One handshake packet addressed to the listener (destination id 0): answers an induction, checks a conclusion.
 * `pbKeyLen` (16, 24, 32; 0 = no passphrase anywhere) is advertised in the induction answer's encryption
 * field, which a libsrt caller with a passphrase and no SRTO_PBKEYLEN adopts; with 0 a caller's KMREQ is
 * refused here with SRT_REJ_UNSECURE, otherwise the server decides the passphrase for its stream.
 */
export function listenerStep(
  p: ControlPacket,
  peer: string,
  secret: Buffer,
  nowUs: number,
  timestamp: number,
  pbKeyLen = 0,
): ListenerStep {
  const hs = decodeHandshake(p.cif);
  if (hs.type === HandshakeType.induction) {
    // Echo the caller's fields (libsrt processConnectRequest): version 5, magic, the cookie.
    const reply: Handshake = {
      ...hs,
      version: 5,
      encryption: pbKeyLen / 8,
      extension: srtMagic,
      cookie: synCookie(secret, peer, nowUs),
      hsreq: undefined,
      hsrsp: undefined,
      streamId: undefined,
      congestion: undefined,
      kmreq: undefined,
      kmrsp: undefined,
    };
    return {
      kind: 'reply',
      datagram: encodeControl(ControlType.handshake, 0, timestamp, hs.socketId, encodeHandshake(reply)),
    };
  }
  if (hs.type !== HandshakeType.conclusion) return { kind: 'ignore', why: `handshake type ${hs.type} to the listener` };
  if (hs.cookie !== synCookie(secret, peer, nowUs) && hs.cookie !== synCookie(secret, peer, nowUs, 1)) {
    return reject(hs, RejectReason.rdvCookie, 'wrong SYN cookie', timestamp);
  }
  if (hs.version !== 5 || !hs.hsreq)
    return reject(
      hs,
      RejectReason.version,
      `handshake version ${hs.version} without HSREQ (HSv4 callers are not supported)`,
      timestamp,
    );
  // A passphrase on the caller: KMREQ present, or the encryption field names a key length (libsrt SRT_REJ_UNSECURE).
  // Not SRT_OPT_HAICRYPT in the flags: libsrt sets it on every caller to say it could encrypt.
  if (pbKeyLen === 0 && (hs.keyMaterial || (hs.extension & HsExt.kmreq) !== 0)) {
    return reject(hs, RejectReason.unsecure, 'the caller uses a passphrase; this listener has none', timestamp);
  }
  if (hs.congestion !== undefined && hs.congestion !== 'live')
    return reject(hs, RejectReason.congestion, `congestion control "${hs.congestion}"`, timestamp);
  if ((hs.hsreq.flags & SrtFlag.stream) !== 0)
    return reject(hs, RejectReason.messageApi, 'stream (file) mode', timestamp);
  return { kind: 'conclusion', handshake: hs, timestamp: p.timestamp };
}

/** The latencies the listener agrees to (ms): each direction takes the larger of the two proposals. */
export function negotiateLatency(
  req: { recvDelayMs: number; sendDelayMs: number },
  ours: { recvLatencyMs: number; sendLatencyMs: number },
): { recvMs: number; sendMs: number } {
  return {
    recvMs: Math.max(ours.recvLatencyMs, req.sendDelayMs),
    sendMs: Math.max(ours.sendLatencyMs, req.recvDelayMs),
  };
}

/** What the listener answers a conclusion it accepts with. */
export interface Acceptance {
  readonly localId: number;
  readonly recvMs: number;
  readonly sendMs: number;
  readonly mtu: number;
  readonly flowWindow: number;
  /** The KM echoed as KMRSP when the caller's KMREQ was taken (the connection is encrypted). */
  readonly kmrsp?: Buffer | undefined;
}

/** The conclusion answer that accepts `hs`: our socket id, the caller's initial sequence number, the HSRSP. */
export function acceptConclusion(hs: Handshake, a: Acceptance, timestamp: number): Buffer {
  const reply: Handshake = {
    version: 5,
    encryption: 0,
    extension: HsExt.hsreq | (a.kmrsp ? HsExt.kmreq : 0),
    initialSeq: hs.initialSeq,
    mtu: Math.min(hs.mtu, a.mtu),
    flowWindow: a.flowWindow,
    type: HandshakeType.conclusion,
    socketId: a.localId,
    cookie: hs.cookie,
    peerIp: hs.peerIp,
    hsrsp: {
      version: srtVersion,
      flags: ourFlags | (a.kmrsp ? SrtFlag.crypt : 0),
      recvDelayMs: a.recvMs,
      sendDelayMs: a.sendMs,
    },
    kmrsp: a.kmrsp,
  };
  return encodeControl(ControlType.handshake, 0, timestamp, hs.socketId, encodeHandshake(reply));
}

/** The conclusion answer that refuses `hs` with `reason` (SRT_REJ_* or SRT_REJX_*). */
export function rejectConclusion(hs: Handshake, reason: number, timestamp: number): Buffer {
  const reply: Handshake = {
    ...hs,
    version: 5,
    type: rejectionType(reason),
    hsreq: undefined,
    hsrsp: undefined,
    streamId: undefined,
    congestion: undefined,
    kmreq: undefined,
    kmrsp: undefined,
  };
  return encodeControl(ControlType.handshake, 0, timestamp, hs.socketId, encodeHandshake(reply));
}

function reject(hs: Handshake, reason: number, why: string, timestamp: number): ListenerStep {
  return { kind: 'reject', datagram: rejectConclusion(hs, reason, timestamp), reason, why };
}
