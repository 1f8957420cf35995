/**
 * The RTMP handshake (RTMP 1.0 §5.2), server and client roles, push-fed: bytes in, bytes to write
 * out. Besides the simple echo handshake it speaks the Flash/FMS "digest" (a.k.a. complex)
 * handshake, which ffmpeg and librtmp send and which Flash-era players required.
 */

import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { ProtocolError } from '../../errors.ts';
import { ByteQueue } from './byte-queue.ts';
import {
  clientKey,
  clientKeyFull,
  findDigest,
  imprintDigest,
  serverKey,
  serverKeyFull,
  signLastBytes,
  verifyLastBytes,
} from './handshake-digest.ts';

/** Size of C1/S1/C2/S2 (RTMP 1.0 §5.2.3). */
export const HandshakeSize = 1536;
/** The only plain-RTMP version; 6 is RTMPE (encrypted), which we do not speak. */
export const RtmpVersion = 3;

/** Options shared by both roles. */
export interface HandshakeOptions {
  /** Source of random bytes; injected so tests are deterministic. */
  random?: (n: number) => Buffer;
  /** The value of the 4-byte time field we send (milliseconds, wraps at 2^32). */
  epoch?: number;
}

/** What a push of bytes produced: bytes to write, whether the handshake is over, and bytes after it. */
export interface HandshakeResult {
  out: Buffer[];
  done: boolean;
  /** Bytes received after the handshake (the first chunks); empty until done. */
  rest: Buffer;
  /** Loose-validation findings; the handshake still succeeds. */
  warnings: string[];
}

/** FMS 4.5.0.1, as nginx-rtmp and SRS announce; byte 0 >= 3 makes ffmpeg verify our digest. */
const ServerVersion = 0x04050001;
/** Flash Player 9.0.124.2, which ffmpeg also sends: the first version with the digest handshake. */
const ClientVersion = 0x09007c02;

function fillPacket(random: (n: number) => Buffer, epoch: number, version: number): Buffer {
  const packet = Buffer.allocUnsafe(HandshakeSize);
  packet.writeUInt32BE(epoch >>> 0, 0);
  packet.writeUInt32BE(version >>> 0, 4);
  random(HandshakeSize - 8).copy(packet, 8);
  return packet;
}

function checkVersion(version: number): void {
  if (version === RtmpVersion) return;
  const hint = version === 6 ? ' (RTMPE encryption is not supported)' : '';
  throw new ProtocolError(
    'RTMP_HANDSHAKE_VERSION',
    `unsupported RTMP version ${version}${hint}; expected ${RtmpVersion}`,
  );
}

/** ServerHandshake answers C0+C1 with S0+S1+S2, then consumes C2. */
export class ServerHandshake {
  #queue = new ByteQueue();
  #random: (n: number) => Buffer;
  #epoch: number;
  #stage: 'c0c1' | 'c2' | 'done' = 'c0c1';
  #digest = false;

  constructor(options: HandshakeOptions = {}) {
    this.#random = options.random ?? randomBytes;
    this.#epoch = options.epoch ?? 0;
  }

  /** Whether the client sent a digest C1 and got the digest answer. */
  get digest(): boolean {
    return this.#digest;
  }

  /** Feeds received bytes; throws ProtocolError RTMP_HANDSHAKE_VERSION on a bad C0. */
  receive(buf: Buffer): HandshakeResult {
    const q = this.#queue;
    q.push(buf);
    const result: HandshakeResult = { out: [], done: false, rest: Buffer.alloc(0), warnings: [] };
    if (this.#stage === 'c0c1') {
      if (q.length === 0) return result;
      checkVersion(q.peekUInt8(0));
      if (q.length < 1 + HandshakeSize) return result;
      q.skip(1);
      result.out.push(this.#answer(q.read(HandshakeSize)));
      this.#stage = 'c2';
    }
    if (this.#stage === 'c2' && q.length >= HandshakeSize) {
      // C2 is not verified: Flash-era clients fill it inconsistently and nothing depends on it.
      q.skip(HandshakeSize);
      this.#stage = 'done';
      result.done = true;
      result.rest = q.readAll();
    }
    return result;
  }

  #answer(c1: Buffer): Buffer {
    const out = Buffer.allocUnsafe(1 + 2 * HandshakeSize);
    out[0] = RtmpVersion;
    const found = c1.readUInt32BE(4) === 0 ? undefined : findDigest(c1, clientKey);
    if (found === undefined) {
      // Simple handshake: S1 is ours, S2 echoes C1 (RTMP 1.0 §5.2.3/§5.2.4).
      fillPacket(this.#random, this.#epoch, 0).copy(out, 1);
      c1.copy(out, 1 + HandshakeSize);
      return out;
    }
    this.#digest = true;
    const s1 = fillPacket(this.#random, this.#epoch, ServerVersion);
    imprintDigest(s1, found.schema, serverKey);
    s1.copy(out, 1);
    // S2 is random bytes signed with a key derived from the client's digest (the FMS key).
    const s2 = Buffer.from(this.#random(HandshakeSize));
    signLastBytes(s2, serverKeyFull, found.digest);
    s2.copy(out, 1 + HandshakeSize);
    return out;
  }
}

/** Options of the client role. */
export interface ClientHandshakeOptions extends HandshakeOptions {
  /** Send a digest C1 as Flash Player and ffmpeg do (default true); false sends a simple C1. */
  digest?: boolean;
}

/** ClientHandshake sends C0+C1, checks S0/S1/S2 loosely and answers C2. */
export class ClientHandshake {
  #queue = new ByteQueue();
  #c1: Buffer;
  #digestPos = -1;
  #done = false;
  #random: (n: number) => Buffer;

  constructor(options: ClientHandshakeOptions = {}) {
    this.#random = options.random ?? randomBytes;
    const digest = options.digest ?? true;
    this.#c1 = fillPacket(this.#random, options.epoch ?? 0, digest ? ClientVersion : 0);
    // ffmpeg puts the client digest in schema 1 (digest block first, RTMP offset base 8).
    if (digest) this.#digestPos = imprintDigest(this.#c1, 1, clientKey);
  }

  /** C0+C1, the first bytes the client writes. */
  start(): Buffer {
    return Buffer.concat([Buffer.of(RtmpVersion), this.#c1]);
  }

  /** Feeds received bytes; once S0+S1+S2 are in, returns C2 and done. */
  receive(buf: Buffer): HandshakeResult {
    const q = this.#queue;
    q.push(buf);
    const result: HandshakeResult = { out: [], done: false, rest: Buffer.alloc(0), warnings: [] };
    if (this.#done) {
      result.done = true;
      result.rest = q.readAll();
      return result;
    }
    if (q.length > 0) checkVersion(q.peekUInt8(0));
    if (q.length < 1 + 2 * HandshakeSize) return result;
    q.skip(1);
    const s1 = q.read(HandshakeSize);
    const s2 = q.read(HandshakeSize);
    result.out.push(this.#answer(s1, s2, result.warnings));
    this.#done = true;
    result.done = true;
    result.rest = q.readAll();
    return result;
  }

  #answer(s1: Buffer, s2: Buffer, warnings: string[]): Buffer {
    if (this.#digestPos < 0) {
      if (!s2.subarray(8).equals(this.#c1.subarray(8))) warnings.push('S2 does not echo C1');
      return Buffer.from(s1);
    }
    const found = s1.readUInt32BE(4) === 0 ? undefined : findDigest(s1, serverKey);
    if (found === undefined) {
      warnings.push('S1 carries no server digest; falling back to the simple handshake');
      return Buffer.from(s1);
    }
    const ourDigest = this.#c1.subarray(this.#digestPos, this.#digestPos + 32);
    if (!verifyLastBytes(s2, serverKeyFull, ourDigest)) warnings.push('S2 digest does not match C1');
    const c2 = Buffer.from(this.#random(HandshakeSize));
    signLastBytes(c2, clientKeyFull, found.digest);
    return c2;
  }
}
