/**
 * Byte targets of the SRT layer: `srt-packet` feeds a sequence of datagrams (2-byte length prefixes, which
 * may lie) to a live listener-side connection and the control decoders; `srt-handshake` feeds one
 * handshake CIF to the decoder, the listener's handshake step and the caller. Only coded errors may
 * escape, and the receive buffer, loss list and send buffer must stay within their bounds.
 */
import { SrtCaller } from '../../../src/protocol/srt/srt-caller.ts';
import { SrtConnection } from '../../../src/protocol/srt/srt-connection.ts';
import {
  decodeAck,
  decodeDropRequest,
  decodeLossList,
  encodeAck,
  encodeDropRequest,
  encodeLossList,
} from '../../../src/protocol/srt/srt-control.ts';
import {
  decodeHandshake,
  encodeHandshake,
  HandshakeType,
  type Handshake,
} from '../../../src/protocol/srt/srt-handshake.ts';
import { listenerStep } from '../../../src/protocol/srt/srt-listener-handshake.ts';
import {
  ControlType,
  decodePacket,
  encodeControl,
  encodeData,
  type ControlPacket,
} from '../../../src/protocol/srt/srt-packet.ts';
import { SrtCrypto } from '../../../src/protocol/srt/srt-crypto.ts';
import { wrapKeys } from '../../../src/protocol/srt/srt-key-material.ts';
import { codedOutcome, isCodedError, OracleFailure, type BytesTarget } from '../target.ts';

const windowPackets = 256;
const maxBytes = 64 * 1024;

/** Frames datagrams with 2-byte length prefixes. */
function framed(datagrams: Buffer[]): Buffer {
  return Buffer.concat(datagrams.flatMap((d) => [Buffer.from([d.length >> 8, d.length & 0xff]), d]));
}

/** Splits framed input back into datagrams; a length past the end takes what is left. */
function unframe(input: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 2 <= input.length && out.length < 128;) {
    const n = input.readUInt16BE(at);
    out.push(input.subarray(at + 2, Math.min(input.length, at + 2 + n)));
    at += 2 + n;
  }
  return out;
}

function packetSeeds(): Buffer[] {
  const data = (seq: number, n = 188) =>
    encodeData({ seq, msgNo: seq + 1, timestamp: seq * 1000, destId: 2 }, Buffer.alloc(n, 0x47));
  const ctl = (type: number, info: number, cif?: Buffer) => encodeControl(type, info, 5000, 2, cif);
  return [
    framed([data(100), data(101), data(103), data(102), ctl(ControlType.ackack, 1), data(105)]),
    framed([
      ctl(ControlType.ack, 3, encodeAck({ ackSeq: 100, rttUs: 1000, rttVarUs: 10, availableBuffer: 10 })),
      ctl(
        ControlType.nak,
        0,
        encodeLossList([
          { first: 90, last: 110 },
          { first: 7, last: 7 },
        ]),
      ),
    ]),
    framed([
      data(100),
      data(400),
      ctl(ControlType.dropreq, 1, encodeDropRequest(101, 399)),
      ctl(ControlType.keepalive, 0),
      ctl(ControlType.shutdown, 0),
    ]),
  ];
}

/** A listener-side connection fed hostile datagrams: only coded errors, bounded buffers. */
export const srtPacketTarget: BytesTarget = {
  kind: 'bytes',
  name: 'srt-packet',
  inputs: 400_000,
  maxLen: 4096,
  seeds: packetSeeds,
  run(input) {
    const sent: Buffer[] = [];
    const conn = new SrtConnection(
      {
        localId: 2,
        peerId: 1,
        initialSeq: 100,
        startUs: 0,
        peerStartUs: 0,
        recvLatencyUs: 20_000,
        sendLatencyUs: 20_000,
        windowPackets,
        maxReceiveBytes: maxBytes,
        maxSendPackets: 64,
        peerIdleTimeoutUs: 5_000_000,
        nowUs: 0,
      },
      { send: (d) => void sent.push(d), deliver: () => {}, closed: () => {} },
    );
    for (let i = 0; i < 8; i++) conn.send(Buffer.alloc(100, i), i * 1000);
    let outcome = '';
    let now = 10_000;
    for (const d of unframe(input)) {
      now += 3000;
      try {
        const p = decodePacket(d);
        if (p.kind === 'control') {
          if (p.type === ControlType.ack) decodeAck(p.cif);
          if (p.type === ControlType.nak) decodeLossList(p.cif);
          if (p.type === ControlType.dropreq) decodeDropRequest(p.cif);
        }
        conn.receive(d, now);
        conn.tick(now);
        outcome += p.kind === 'data' ? 'd' : `c${p.type}`;
      } catch (err) {
        if (!isCodedError(err)) throw err;
        outcome += codedOutcome(err);
      }
      const rx = conn.receiver;
      if (rx.bufferedBytes > maxBytes) throw new OracleFailure(`receive buffer holds ${rx.bufferedBytes} bytes`);
      if (rx.bufferedPackets > windowPackets)
        throw new OracleFailure(`receive buffer holds ${rx.bufferedPackets} packets`);
      if (rx.loss.length > windowPackets) throw new OracleFailure(`loss list of ${rx.loss.length}`);
      if (sent.length > 10_000)
        throw new OracleFailure(`${sent.length} datagrams sent for ${input.length} input bytes`);
    }
    return outcome.slice(0, 64);
  },
};

const conclusion: Handshake = {
  version: 5,
  encryption: 0,
  extension: 5,
  initialSeq: 1234,
  mtu: 1500,
  flowWindow: 8192,
  type: HandshakeType.conclusion,
  socketId: 99,
  cookie: 0,
  peerIp: Buffer.alloc(16),
  hsreq: { version: 0x010501, flags: 0xbf, recvDelayMs: 120, sendDelayMs: 120 },
  streamId: '#!::h=push.example.com,r=live/cam,txSecret=abc,txTime=6A000000',
};

/** One handshake CIF to the decoder, the listener step and the caller. */
export const srtHandshakeTarget: BytesTarget = {
  kind: 'bytes',
  name: 'srt-handshake',
  inputs: 400_000,
  maxLen: 1024,
  seeds: () => [
    encodeHandshake(conclusion),
    encodeHandshake({
      ...conclusion,
      version: 4,
      extension: 2,
      type: HandshakeType.induction,
      hsreq: undefined,
      streamId: undefined,
    }),
  ],
  run(input) {
    let outcome: string;
    try {
      const hs = decodeHandshake(input);
      // What we encode from a decoded handshake decodes to the same fields (extensions we keep).
      const again = decodeHandshake(encodeHandshake(hs));
      if (
        again.streamId !== hs.streamId ||
        again.initialSeq !== hs.initialSeq ||
        again.hsreq?.flags !== hs.hsreq?.flags
      )
        throw new OracleFailure('handshake did not survive encode/decode');
      outcome = `t${hs.type >>> 0 > 2000 ? 'x' : hs.type}`;
    } catch (err) {
      if (!isCodedError(err)) throw err;
      return codedOutcome(err);
    }
    const packet = decodePacket(encodeControl(ControlType.handshake, 0, 0, 0, input)) as ControlPacket;
    try {
      outcome += listenerStep(packet, 'peer', Buffer.alloc(32), 0, 0).kind;
    } catch (err) {
      if (!isCodedError(err)) throw err;
      outcome += codedOutcome(err);
    }
    const caller = new SrtCaller(
      { localId: 99, initialSeq: 1, latencyMs: 120, nowUs: 0 },
      { send: () => {}, deliver: () => {}, closed: () => {}, connected: () => {}, rejected: () => {} },
    );
    caller.start(0);
    try {
      caller.receive(encodeControl(ControlType.handshake, 0, 0, 99, input), 1000);
      caller.receive(encodeControl(ControlType.handshake, 0, 0, 99, input), 2000);
      outcome += caller.state;
    } catch (err) {
      if (!isCodedError(err)) throw err;
      outcome += codedOutcome(err);
    }
    return outcome;
  },
};

const fuzzPassphrase = '0123456789ab';

/** Key material (KMREQ in the handshake or a UMSG_EXT refresh), then encrypted data packets: only coded errors, no key from a wrong passphrase. */
export const srtKeyMaterialTarget: BytesTarget = {
  kind: 'bytes',
  name: 'srt-key-material',
  inputs: 100_000,
  maxLen: 2048,
  seeds: () => {
    const km = wrapKeys(fuzzPassphrase, Buffer.alloc(16, 5), { even: Buffer.alloc(16, 1), odd: Buffer.alloc(16, 2) });
    const data = encodeData({ seq: 100, msgNo: 1, timestamp: 0, destId: 2, key: 1 }, Buffer.alloc(188, 0x47));
    return [framed([km, encodeControl(ControlType.userDefined, 0, 0, 2, km, 3), data])];
  },
  run(input) {
    const pieces = unframe(input);
    let outcome = '';
    const crypto = new SrtCrypto(fuzzPassphrase);
    try {
      outcome += crypto.take(pieces[0] ?? Buffer.alloc(0));
    } catch (err) {
      if (!isCodedError(err)) throw err;
      outcome += codedOutcome(err);
    }
    const conn = new SrtConnection(
      {
        localId: 2,
        peerId: 1,
        initialSeq: 100,
        startUs: 0,
        peerStartUs: 0,
        recvLatencyUs: 20_000,
        sendLatencyUs: 20_000,
        windowPackets,
        maxReceiveBytes: maxBytes,
        maxSendPackets: 64,
        peerIdleTimeoutUs: 5_000_000,
        nowUs: 0,
        crypto,
      },
      { send: () => {}, deliver: () => {}, closed: () => {} },
    );
    let now = 1000;
    for (const d of pieces.slice(1)) {
      now += 3000;
      try {
        conn.receive(d, now);
        conn.tick(now);
        outcome += 'r';
      } catch (err) {
        if (!isCodedError(err)) throw err;
        outcome += codedOutcome(err);
      }
    }
    if (conn.receiver.bufferedBytes > maxBytes)
      throw new OracleFailure(`receive buffer holds ${conn.receiver.bufferedBytes} bytes`);
    return outcome.slice(0, 64);
  },
};
