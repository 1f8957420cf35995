/**
 * AES-CTR payload encryption of an SRT connection (draft-sharabayko-srt §6, libsrt haicrypt hcrypt_SetCtrIV):
 * the counter block is 14 bytes of the KM salt XORed with the packet index (the 31-bit sequence number,
 * big-endian, at bytes 10..13) followed by a 16-bit block counter from 0. A packet names its key in the KK
 * bits (1 even, 2 odd); the sender announces a new key with a KMREQ before switching (key refresh), so the
 * receiver keeps both.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { decodeKeyMaterial, KeyFlag, KmCipher, unwrapKeys, type KeyMaterial } from './srt-key-material.ts';

/** Why a KM message could not be taken. */
export type KeyOutcome = 'ok' | 'badSecret' | 'badCipher';

/** Both keys of a connection, with the salt of its KM. */
export class SrtCrypto {
  readonly #passphrase: string;
  /** Even and odd: each key keeps the salt of the KM that brought it (HaiCrypt has one context per key). */
  #keys: [Key | undefined, Key | undefined] = [undefined, undefined];
  #algorithm = 'aes-128-ctr';
  /** The key our own packets use (1 even, 2 odd). */
  sendKey: number = KeyFlag.even;
  /** Packets whose key we do not hold (dropped), KMs taken. */
  readonly stats = { unknownKey: 0, keyUpdates: 0 };

  constructor(passphrase: string) {
    this.#passphrase = passphrase;
  }

  /** Takes a KM message (a KMREQ in the handshake or a refresh); SRT_KEY_MATERIAL_INVALID is thrown for bad bytes. */
  take(bytes: Buffer): KeyOutcome {
    const km: KeyMaterial = decodeKeyMaterial(bytes);
    if (km.cipher !== KmCipher.ctr) return 'badCipher';
    const keys = unwrapKeys(km, this.#passphrase);
    if (!keys) return 'badSecret';
    const salt = Buffer.alloc(16);
    km.salt.copy(salt);
    this.#algorithm = `aes-${km.keyLength * 8}-ctr`;
    if (keys.even) this.#keys[0] = { key: keys.even, salt };
    if (keys.odd) this.#keys[1] = { key: keys.odd, salt };
    // Bidirectional HSv5: we send with the key the peer announced last (libsrt uses the same SEK both ways).
    this.sendKey = keys.even && !keys.odd ? KeyFlag.even : keys.odd && !keys.even ? KeyFlag.odd : this.sendKey;
    this.stats.keyUpdates++;
    return 'ok';
  }

  /** The clear payload of a packet with sequence `seq` and key flag `key`; undefined when that key is unknown. */
  decrypt(seq: number, key: number, payload: Uint8Array): Buffer | undefined {
    const k = key === KeyFlag.even ? this.#keys[0] : key === KeyFlag.odd ? this.#keys[1] : undefined;
    if (!k) {
      this.stats.unknownKey++;
      return undefined;
    }
    const d = createDecipheriv(this.#algorithm, k.key, iv(k.salt, seq));
    return Buffer.concat([d.update(payload), d.final()]);
  }

  /** Our payload with sequence `seq` encrypted with `sendKey`. */
  encrypt(seq: number, payload: Uint8Array): Buffer {
    const k = this.#keys[this.sendKey === KeyFlag.odd ? 1 : 0] ?? this.#keys[0] ?? this.#keys[1]!;
    const c = createCipheriv(this.#algorithm, k.key, iv(k.salt, seq));
    return Buffer.concat([c.update(payload), c.final()]);
  }

  /** True once a key was taken. */
  get keyed(): boolean {
    return this.#keys[0] !== undefined || this.#keys[1] !== undefined;
  }
}

interface Key {
  readonly key: Buffer;
  readonly salt: Buffer;
}

/** hcrypt_SetCtrIV: salt[0..13] XOR (packet index at 10..13), block counter 0. */
function iv(salt: Buffer, seq: number): Buffer {
  const out = Buffer.alloc(16);
  out.writeUInt32BE(seq >>> 0, 10);
  for (let i = 0; i < 14; i++) out[i]! ^= salt[i]!;
  return out;
}
