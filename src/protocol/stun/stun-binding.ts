/**
 * Just enough STUN (RFC 8489) for the single-port WebRTC mux: recognise a Binding request, read its
 * USERNAME (`serverUfrag:clientUfrag`, RFC 8445 §7.2.2) and check its MESSAGE-INTEGRITY against the
 * session's ice-pwd (short-term credential, RFC 8489 §9.1), so an unknown source address is bound to a
 * session only by a request that proves it knows the answer's password. Every length is checked against
 * the datagram: a lying header or attribute length yields `undefined`, never a read past the end.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The first byte of a datagram that can be STUN (RFC 7983 §7: 0..3; DTLS is 20..63, RTP/RTCP 128..191). */
export function mayBeStun(b: Buffer): boolean {
  return b.length >= 20 && b[0]! < 4;
}

const magicCookie = 0x2112a442;
const bindingRequest = 0x0001;
const attrUsername = 0x0006;
const attrIntegrity = 0x0008;
const attrUseCandidate = 0x0025;
/** RFC 8489 §14.3: USERNAME is at most 763 bytes (513 characters). */
const maxUsernameBytes = 763;

/** A Binding request's USERNAME and where its MESSAGE-INTEGRITY sits, as the mux needs them. */
export interface BindingRequest {
  /** The USERNAME value (UTF-8). */
  readonly username: string;
  /** Offset of the MESSAGE-INTEGRITY attribute's header, or -1 without one. */
  readonly integrityAt: number;
  /** USE-CANDIDATE (RFC 8445 §7.1.2): the controlling client nominates the pair this check is on. */
  readonly useCandidate: boolean;
}

/**
 * Parses `b` as a STUN Binding request; `undefined` if it is not one (wrong type, cookie, length not a
 * multiple of 4 or not matching the datagram, an attribute running past the end, no USERNAME).
 */
export function parseBindingRequest(b: Buffer): BindingRequest | undefined {
  if (!mayBeStun(b)) return undefined;
  if (b.readUInt16BE(0) !== bindingRequest || b.readUInt32BE(4) !== magicCookie) return undefined;
  const length = b.readUInt16BE(2);
  if (length % 4 !== 0 || 20 + length !== b.length) return undefined;
  let username: string | undefined;
  let integrityAt = -1;
  let useCandidate = false;
  let at = 20;
  while (at + 4 <= b.length) {
    const type = b.readUInt16BE(at);
    const len = b.readUInt16BE(at + 2);
    const end = at + 4 + len;
    if (end > b.length) return undefined;
    // RFC 8489 §14.5: attributes after MESSAGE-INTEGRITY (but FINGERPRINT) are ignored.
    if (integrityAt < 0) {
      if (type === attrUsername) {
        if (len === 0 || len > maxUsernameBytes || username !== undefined) return undefined;
        username = b.toString('utf8', at + 4, end);
      } else if (type === attrIntegrity) {
        if (len !== 20) return undefined;
        integrityAt = at;
      } else if (type === attrUseCandidate) {
        useCandidate = true;
      }
    }
    at = end + ((4 - (len % 4)) % 4);
  }
  if (at !== b.length || username === undefined) return undefined;
  return { username, integrityAt, useCandidate };
}

/** The server's ufrag of a USERNAME `serverUfrag:clientUfrag` (the answerer receives its own first), or undefined. */
export function splitUsername(username: string): { server: string; client: string } | undefined {
  const colon = username.indexOf(':');
  if (colon <= 0 || colon === username.length - 1) return undefined;
  return { server: username.slice(0, colon), client: username.slice(colon + 1) };
}

/**
 * Whether the request's MESSAGE-INTEGRITY is the HMAC-SHA1, keyed with `password`, of the message up to
 * that attribute with the header length counting through it (RFC 8489 §14.5).
 */
export function integrityMatches(b: Buffer, r: BindingRequest, password: string): boolean {
  if (r.integrityAt < 0) return false;
  const covered = Buffer.from(b.subarray(0, r.integrityAt));
  covered.writeUInt16BE(r.integrityAt + 24 - 20, 2);
  const mac = createHmac('sha1', password).update(covered).digest();
  return timingSafeEqual(mac, b.subarray(r.integrityAt + 4, r.integrityAt + 24));
}
