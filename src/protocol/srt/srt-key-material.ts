/**
 * SRT keying material (draft-sharabayko-srt §3.2.2, libsrt haicrypt/hcrypt_msg.h): the KM message carried
 * by KMREQ/KMRSP, its stream encrypting keys (SEK) wrapped with AES key wrap (RFC 3394) under a key
 * encrypting key (KEK) derived from the passphrase with PBKDF2-HMAC-SHA1, 2048 iterations, over the last 8
 * bytes of the KM's salt (haicrypt hcrypt_sa.c hcryptCtx_GenSecret). The KM travels in its own byte order in
 * both the handshake and UMSG_EXT (libsrt re-swaps the 32-bit words it converts, crypto.cpp), unlike the SID.
 */
import { createCipheriv, createDecipheriv, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { ProtocolError } from '../../errors.ts';

/** KK flags of a KM message and of a data packet (HCRYPT_MSG_F_eSEK / oSEK). */
export const KeyFlag = { even: 1, odd: 2, both: 3 } as const;
/** Cipher field values (HCRYPT_CIPHER_*): only AES-CTR is served; GCM (libsrt 1.5.2+) is refused. */
export const KmCipher = { none: 0, ctr: 2, gcm: 4 } as const;
/** The fixed header before the salt (HCRYPT_MSG_KM_OFS_SALT). */
export const kmHeaderBytes = 16;
/** HaiCrypt's PnP vendor id 'HAI' (HCRYPT_MSG_SIGN). */
const kmSign = (('H'.charCodeAt(0) - 64) << 10) | (('A'.charCodeAt(0) - 64) << 5) | ('I'.charCodeAt(0) - 64);
/** Salt bytes HaiCrypt writes (HAICRYPT_SALT_SZ), of which PBKDF2 uses the last 8 (HAICRYPT_PBKDF2_SALT_LEN). */
export const saltBytes = 16;
const pbkdf2SaltBytes = 8;
const pbkdf2Iterations = 2048;
/** RFC 3394's default integrity check value, 0xA6 × 8. */
const wrapIv = Buffer.alloc(8, 0xa6);

/** A decoded KM message. */
export interface KeyMaterial {
  /** KK: which keys are wrapped (1 even, 2 odd, 3 both, even first). */
  readonly keyFlags: number;
  readonly cipher: number;
  readonly salt: Buffer;
  /** SEK bytes: 16, 24 or 32. */
  readonly keyLength: number;
  /** RFC 3394 output: 8 + keyLength × number of keys. */
  readonly wrapped: Buffer;
}

/** Decodes a KM message; throws SRT_KEY_MATERIAL_INVALID when its fields or lengths are wrong. */
export function decodeKeyMaterial(buf: Buffer): KeyMaterial {
  const bad = (why: string): never => {
    throw new ProtocolError('SRT_KEY_MATERIAL_INVALID', `key material: ${why}`);
  };
  if (buf.length <= kmHeaderBytes) bad(`${buf.length} bytes`);
  if (buf[0]! >> 4 !== 1 || (buf[0]! & 0xf) !== 2) bad(`version/type byte 0x${buf[0]!.toString(16)}`);
  if (buf.readUInt16BE(1) !== kmSign) bad('signature is not HAI');
  const keyFlags = buf[3]! & KeyFlag.both;
  if (keyFlags === 0) bad('no key');
  const saltLen = buf[14]! * 4;
  const keyLength = buf[15]! * 4;
  if (saltLen === 0 || saltLen > saltBytes) bad(`salt of ${saltLen} bytes`);
  if (keyLength !== 16 && keyLength !== 24 && keyLength !== 32) bad(`key of ${keyLength} bytes`);
  const keys = keyFlags === KeyFlag.both ? 2 : 1;
  const expected = kmHeaderBytes + saltLen + 8 + keys * keyLength;
  if (buf.length < expected) bad(`${buf.length} bytes, ${expected} needed`);
  return {
    keyFlags,
    cipher: buf[8]!,
    salt: Buffer.from(buf.subarray(kmHeaderBytes, kmHeaderBytes + saltLen)),
    keyLength,
    wrapped: Buffer.from(buf.subarray(kmHeaderBytes + saltLen, expected)),
  };
}

/** Encodes a KM message as HaiCrypt does (version 1, type KM, AES-CTR, SRT encapsulation). */
export function encodeKeyMaterial(km: KeyMaterial): Buffer {
  const out = Buffer.alloc(kmHeaderBytes + km.salt.length + km.wrapped.length);
  out[0] = 0x12;
  out.writeUInt16BE(kmSign, 1);
  out[3] = km.keyFlags & KeyFlag.both;
  out[8] = km.cipher;
  out[10] = 2; // HCRYPT_SE_TSSRT
  out[14] = km.salt.length / 4;
  out[15] = km.keyLength / 4;
  km.salt.copy(out, kmHeaderBytes);
  km.wrapped.copy(out, kmHeaderBytes + km.salt.length);
  return out;
}

/** The KEK of `passphrase` for a KM's salt and key length (libsrt: PBKDF2-HMAC-SHA1, 2048 rounds, LSB 64 bits of the salt). */
export function deriveKek(passphrase: string, salt: Buffer, keyLength: number): Buffer {
  const s = salt.subarray(Math.max(0, salt.length - pbkdf2SaltBytes));
  return pbkdf2Sync(Buffer.from(passphrase, 'utf8'), s, pbkdf2Iterations, keyLength, 'sha1');
}

function aesEcb(key: Buffer, decrypt: boolean): (block: Buffer) => Buffer {
  const name = `aes-${key.length * 8}-ecb`;
  return (block) => {
    const c = decrypt ? createDecipheriv(name, key, null) : createCipheriv(name, key, null);
    c.setAutoPadding(false);
    return Buffer.concat([c.update(block), c.final()]);
  };
}

/** RFC 3394 §2.2.1 key wrap of `plain` (a multiple of 8 bytes, at least 16). */
export function aesWrap(kek: Buffer, plain: Buffer): Buffer {
  const n = plain.length / 8;
  const enc = aesEcb(kek, false);
  let a: Buffer = Buffer.from(wrapIv);
  const r: Buffer[] = Array.from({ length: n }, (_, i) => Buffer.from(plain.subarray(i * 8, i * 8 + 8)));
  for (let j = 0; j < 6; j++) {
    for (let i = 0; i < n; i++) {
      const b = enc(Buffer.concat([a, r[i]!]));
      a = b.subarray(0, 8);
      xorCounter(a, n * j + i + 1);
      r[i] = b.subarray(8, 16);
    }
  }
  return Buffer.concat([a, ...r]);
}

/** RFC 3394 §2.2.2 unwrap; undefined when the integrity check fails (a wrong passphrase). */
export function aesUnwrap(kek: Buffer, wrapped: Buffer): Buffer | undefined {
  const n = wrapped.length / 8 - 1;
  if (n < 2 || !Number.isInteger(n)) return undefined;
  const dec = aesEcb(kek, true);
  let a: Buffer = Buffer.from(wrapped.subarray(0, 8));
  const r: Buffer[] = Array.from({ length: n }, (_, i) => Buffer.from(wrapped.subarray(8 + i * 8, 16 + i * 8)));
  for (let j = 5; j >= 0; j--) {
    for (let i = n - 1; i >= 0; i--) {
      xorCounter(a, n * j + i + 1);
      const b = dec(Buffer.concat([a, r[i]!]));
      a = b.subarray(0, 8);
      r[i] = b.subarray(8, 16);
    }
  }
  return timingSafeEqual(a, wrapIv) ? Buffer.concat(r) : undefined;
}

/** A ^= t, t as a 64-bit big-endian number (RFC 3394's "A ^ t"). */
function xorCounter(a: Buffer, t: number): void {
  for (let k = 7; k >= 0 && t > 0; k--) {
    a[k]! ^= t & 0xff;
    t = Math.floor(t / 256);
  }
}

/** The SEKs of a KM message: undefined when `passphrase` does not unwrap them (SRT_REJ_BADSECRET). */
export function unwrapKeys(km: KeyMaterial, passphrase: string): { even?: Buffer; odd?: Buffer } | undefined {
  const plain = aesUnwrap(deriveKek(passphrase, km.salt, km.keyLength), km.wrapped);
  if (!plain) return undefined;
  const first = plain.subarray(0, km.keyLength);
  if (km.keyFlags === KeyFlag.both) return { even: first, odd: plain.subarray(km.keyLength, 2 * km.keyLength) };
  return km.keyFlags === KeyFlag.even ? { even: first } : { odd: first };
}

/** A KM message for `keys` under `passphrase` (our caller's KMREQ, and tests). */
export function wrapKeys(passphrase: string, salt: Buffer, keys: { even?: Buffer; odd?: Buffer }): Buffer {
  const list = [keys.even, keys.odd].filter((k): k is Buffer => k !== undefined);
  const keyLength = list[0]!.length;
  const keyFlags = (keys.even ? KeyFlag.even : 0) | (keys.odd ? KeyFlag.odd : 0);
  const wrapped = aesWrap(deriveKek(passphrase, salt, keyLength), Buffer.concat(list));
  return encodeKeyMaterial({ keyFlags, cipher: KmCipher.ctr, salt, keyLength, wrapped });
}
