/**
 * The SRT handshake control information field (draft-sharabayko-srt §3.2.1) and its extensions: HSREQ /
 * HSRSP (§3.2.1.1: SRT version, flags, TSBPD delays), KMREQ / KMRSP (raw KM bytes, srt-key-material.ts), the stream id
 * SID (§3.2.1.3) and the congestion controller name. libsrt writes SID and congestion strings as 4-byte
 * words in little-endian order (core.cpp fillHsExtConfigString, HtoILA), so "#!::" travels as "::!#".
 */
import { ProtocolError } from '../../errors.ts';

/** CIF length without extensions. */
export const handshakeBytes = 48;
/** The extension field of an HSv5 induction answer (libsrt SrtHSRequest::SRT_MAGIC_CODE). */
export const srtMagic = 0x4a17;
/** libsrt's longest stream id (CSrtConfig::MAX_SID_LENGTH). */
export const maxStreamIdBytes = 512;

/** Handshake types (libsrt UDTRequestType); 1000 + a rejection reason means "rejected". */
export const HandshakeType = {
  waveahand: 0,
  induction: 1,
  conclusion: 0xffffffff,
  agreement: 0xfffffffe,
} as const;
/** Handshake types at and above this carry a rejection reason (libsrt URQ_FAILURE_TYPES). */
export const rejectionBase = 1000;

/** Extension field bits of a conclusion (libsrt CHandShake::HS_EXT_*). */
export const HsExt = { hsreq: 1, kmreq: 2, config: 4 } as const;

/** Extension block types (libsrt SRT_CMD_*). */
export const ExtType = { hsreq: 1, hsrsp: 2, kmreq: 3, kmrsp: 4, sid: 5, congestion: 6, filter: 7, group: 8 } as const;

/** SRT flags of HSREQ/HSRSP (libsrt SRT_OPT_*). */
export const SrtFlag = {
  tsbpdSnd: 0x01,
  tsbpdRcv: 0x02,
  crypt: 0x04,
  tlPktDrop: 0x08,
  periodicNak: 0x10,
  rexmitFlag: 0x20,
  stream: 0x40,
  packetFilter: 0x80,
} as const;

/** The HSREQ/HSRSP extension: libsrt version (0x010501 = 1.5.1), flags and the two TSBPD delays in ms. */
export interface HsReq {
  readonly version: number;
  readonly flags: number;
  /** The latency the sender of this block wants when it receives. */
  readonly recvDelayMs: number;
  /** The latency the sender of this block proposes for what it sends. */
  readonly sendDelayMs: number;
}

/** A decoded or to-be-encoded handshake. */
export interface Handshake {
  readonly version: number;
  readonly encryption: number;
  readonly extension: number;
  readonly initialSeq: number;
  readonly mtu: number;
  readonly flowWindow: number;
  readonly type: number;
  readonly socketId: number;
  readonly cookie: number;
  /** 16 bytes, as sent (libsrt's word order); zeros when unknown. */
  readonly peerIp: Buffer;
  readonly hsreq?: HsReq | undefined;
  readonly hsrsp?: HsReq | undefined;
  readonly streamId?: string | undefined;
  readonly congestion?: string | undefined;
  /** True when a KMREQ or KMRSP block was present (the caller wants encryption). */
  readonly keyMaterial?: boolean | undefined;
  /** The KMREQ block's KM message, as sent (its own byte order). */
  readonly kmreq?: Buffer | undefined;
  /** The KMRSP block: the KM echoed, or one word with the responder's KM state (libsrt SRT_KM_S_*). */
  readonly kmrsp?: Buffer | undefined;
}

/** libsrt SRT_KM_S_*: the one-word KMRSP of a responder that could not take the key material. */
export const KmState = { unsecured: 0, securing: 1, secured: 2, noSecret: 3, badSecret: 4, badCryptoMode: 5 } as const;
/** A KM message is at most 16 + 16 (salt) + 8 + 2 × 32 bytes (HCRYPT_MSG_KM_MAX_SZ); more is refused. */
const maxKmBytes = 256;

/** Extension blocks decoded at most: a handshake cannot make us walk an unbounded list. */
const maxExtensions = 16;

/** Decodes a handshake CIF and its extensions; throws SRT_HANDSHAKE_INVALID when it is malformed. */
export function decodeHandshake(cif: Buffer): Handshake {
  if (cif.length < handshakeBytes)
    throw new ProtocolError('SRT_HANDSHAKE_INVALID', `handshake of ${cif.length} bytes, ${handshakeBytes} needed`);
  let hsreq: HsReq | undefined;
  let hsrsp: HsReq | undefined;
  let streamId: string | undefined;
  let congestion: string | undefined;
  let keyMaterial = false;
  let kmreq: Buffer | undefined;
  let kmrsp: Buffer | undefined;
  let o = handshakeBytes;
  for (let n = 0; o + 4 <= cif.length; n++) {
    if (n >= maxExtensions)
      throw new ProtocolError('SRT_HANDSHAKE_INVALID', `more than ${maxExtensions} handshake extensions`);
    const type = cif.readUInt16BE(o);
    const bytes = cif.readUInt16BE(o + 2) * 4;
    const body = o + 4;
    if (body + bytes > cif.length)
      throw new ProtocolError(
        'SRT_HANDSHAKE_INVALID',
        `extension ${type} claims ${bytes} bytes, ${cif.length - body} left`,
      );
    const content = cif.subarray(body, body + bytes);
    if (type === ExtType.hsreq || type === ExtType.hsrsp) {
      if (bytes < 12) throw new ProtocolError('SRT_HANDSHAKE_INVALID', `HSREQ of ${bytes} bytes`);
      const block = {
        version: content.readUInt32BE(0),
        flags: content.readUInt32BE(4),
        recvDelayMs: content.readUInt16BE(8),
        sendDelayMs: content.readUInt16BE(10),
      };
      if (type === ExtType.hsreq) hsreq = block;
      else hsrsp = block;
    } else if (type === ExtType.sid) {
      if (bytes === 0 || bytes > maxStreamIdBytes)
        throw new ProtocolError('SRT_HANDSHAKE_INVALID', `stream id of ${bytes} bytes (1..${maxStreamIdBytes})`);
      streamId = decodeWordString(content);
    } else if (type === ExtType.congestion) {
      if (bytes > 64) throw new ProtocolError('SRT_HANDSHAKE_INVALID', `congestion name of ${bytes} bytes`);
      congestion = decodeWordString(content);
    } else if (type === ExtType.kmreq || type === ExtType.kmrsp) {
      if (bytes > maxKmBytes) throw new ProtocolError('SRT_HANDSHAKE_INVALID', `key material of ${bytes} bytes`);
      keyMaterial = true;
      if (type === ExtType.kmreq) kmreq = content;
      else kmrsp = content;
    }
    o = body + bytes;
  }
  return {
    version: cif.readUInt32BE(0),
    encryption: cif.readUInt16BE(4),
    extension: cif.readUInt16BE(6),
    initialSeq: cif.readUInt32BE(8) & 0x7fffffff,
    mtu: cif.readUInt32BE(12),
    flowWindow: cif.readUInt32BE(16),
    type: cif.readUInt32BE(20),
    socketId: cif.readUInt32BE(24),
    cookie: cif.readUInt32BE(28),
    peerIp: cif.subarray(32, 48),
    hsreq,
    hsrsp,
    streamId,
    congestion,
    keyMaterial,
    kmreq,
    kmrsp,
  };
}

/** Encodes a handshake CIF with the extensions it carries (HSREQ, HSRSP, KMREQ, KMRSP, SID, congestion). */
export function encodeHandshake(h: Handshake): Buffer {
  const parts: Buffer[] = [];
  const base = Buffer.alloc(handshakeBytes);
  base.writeUInt32BE(h.version >>> 0, 0);
  base.writeUInt16BE(h.encryption & 0xffff, 4);
  base.writeUInt16BE(h.extension & 0xffff, 6);
  base.writeUInt32BE(h.initialSeq >>> 0, 8);
  base.writeUInt32BE(h.mtu >>> 0, 12);
  base.writeUInt32BE(h.flowWindow >>> 0, 16);
  base.writeUInt32BE(h.type >>> 0, 20);
  base.writeUInt32BE(h.socketId >>> 0, 24);
  base.writeUInt32BE(h.cookie >>> 0, 28);
  h.peerIp.copy(base, 32, 0, Math.min(16, h.peerIp.length));
  parts.push(base);
  if (h.hsreq) parts.push(hsBlock(ExtType.hsreq, h.hsreq));
  if (h.hsrsp) parts.push(hsBlock(ExtType.hsrsp, h.hsrsp));
  if (h.kmreq) parts.push(rawBlock(ExtType.kmreq, h.kmreq));
  if (h.kmrsp) parts.push(rawBlock(ExtType.kmrsp, h.kmrsp));
  if (h.streamId !== undefined) parts.push(stringBlock(ExtType.sid, h.streamId));
  if (h.congestion !== undefined) parts.push(stringBlock(ExtType.congestion, h.congestion));
  return Buffer.concat(parts);
}

function hsBlock(type: number, b: HsReq): Buffer {
  const out = Buffer.alloc(16);
  out.writeUInt16BE(type, 0);
  out.writeUInt16BE(3, 2);
  out.writeUInt32BE(b.version >>> 0, 4);
  out.writeUInt32BE(b.flags >>> 0, 8);
  out.writeUInt16BE(b.recvDelayMs & 0xffff, 12);
  out.writeUInt16BE(b.sendDelayMs & 0xffff, 14);
  return out;
}

function rawBlock(type: number, bytes: Buffer): Buffer {
  const words = Math.ceil(bytes.length / 4);
  const out = Buffer.alloc(4 + words * 4);
  out.writeUInt16BE(type, 0);
  out.writeUInt16BE(words, 2);
  bytes.copy(out, 4);
  return out;
}

function stringBlock(type: number, s: string): Buffer {
  const bytes = encodeWordString(s);
  const out = Buffer.alloc(4 + bytes.length);
  out.writeUInt16BE(type, 0);
  out.writeUInt16BE(bytes.length / 4, 2);
  bytes.copy(out, 4);
  return out;
}

/** A string as libsrt sends it: zero-padded to whole words, each word's 4 bytes reversed. */
export function encodeWordString(s: string): Buffer {
  const raw = Buffer.from(s, 'utf8');
  const out = Buffer.alloc(Math.ceil(raw.length / 4) * 4);
  raw.copy(out);
  for (let i = 0; i < out.length; i += 4) out.writeUInt32BE(out.readUInt32LE(i), i);
  return out;
}

/** Reads a string written by encodeWordString: un-reverses each word and drops the zero padding. */
export function decodeWordString(content: Buffer): string {
  const words = Buffer.alloc(content.length & ~3);
  for (let i = 0; i < words.length; i += 4) words.writeUInt32LE(content.readUInt32BE(i), i);
  let end = words.length;
  while (end > 0 && words[end - 1] === 0) end--;
  return words.toString('utf8', 0, end);
}
