import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { aesUnwrap, aesWrap, decodeKeyMaterial, deriveKek, KeyFlag, unwrapKeys, wrapKeys } from './srt-key-material.ts';
import { SrtCrypto } from './srt-crypto.ts';
import { LiveError } from '../../errors.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

test('AES key wrap: the RFC 3394 §4.1 and §4.6 test vectors', () => {
  const kek128 = hex('000102030405060708090A0B0C0D0E0F');
  const key128 = hex('00112233445566778899AABBCCDDEEFF');
  assert.deepEqual(aesWrap(kek128, key128), hex('1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5'));
  assert.deepEqual(aesUnwrap(kek128, hex('1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5')), key128);
  const kek256 = hex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
  const key256 = hex('00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F');
  assert.deepEqual(
    aesWrap(kek256, key256),
    hex('28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21'),
  );
  // One flipped bit: the integrity check fails (a wrong passphrase).
  const bad = aesWrap(kek128, key128);
  bad[3]! ^= 1;
  assert.equal(aesUnwrap(kek128, bad), undefined);
});

test("PBKDF2 KEK: HMAC-SHA1, 2048 rounds over the salt's last 8 bytes", () => {
  const salt = hex('00112233445566778899aabbccddeeff');
  const kek = deriveKek('passphrase1234', salt, 16);
  assert.equal(kek.length, 16);
  assert.deepEqual(
    deriveKek('passphrase1234', Buffer.concat([Buffer.alloc(8, 9), salt.subarray(8)]), 16),
    kek,
    'the first 8 salt bytes do not matter',
  );
});

test('KM messages: wrap, decode and unwrap each key length and key flag; the wrong passphrase does not unwrap', () => {
  for (const len of [16, 24, 32]) {
    const salt = Buffer.alloc(16, 7);
    const even = Buffer.alloc(len, 1);
    const odd = Buffer.alloc(len, 2);
    const km = wrapKeys('0123456789ab', salt, { even, odd });
    const d = decodeKeyMaterial(km);
    assert.equal(d.keyFlags, KeyFlag.both);
    assert.equal(d.keyLength, len);
    assert.equal(km.length, 16 + 16 + 8 + 2 * len);
    assert.deepEqual(unwrapKeys(d, '0123456789ab'), { even, odd });
    assert.equal(unwrapKeys(d, '0123456789ac'), undefined);
    assert.deepEqual(unwrapKeys(decodeKeyMaterial(wrapKeys('0123456789ab', salt, { odd })), '0123456789ab'), { odd });
  }
});

test('every prefix and any bytes: decodeKeyMaterial returns or throws SRT_KEY_MATERIAL_INVALID', () => {
  const km = wrapKeys('0123456789ab', Buffer.alloc(16, 3), { even: Buffer.alloc(16, 4) });
  for (let n = 0; n < km.length; n++)
    assert.throws(
      () => decodeKeyMaterial(km.subarray(0, n)),
      (e: unknown) => e instanceof LiveError && e.code === 'SRT_KEY_MATERIAL_INVALID',
    );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
      try {
        decodeKeyMaterial(Buffer.from(b));
      } catch (e) {
        assert.ok(e instanceof LiveError && e.code === 'SRT_KEY_MATERIAL_INVALID');
      }
    }),
  );
});

test('AES-CTR: the IV is salt XOR packet index; even and odd keys after a refresh; unknown keys dropped', () => {
  const salt = Buffer.alloc(16, 0x5a);
  const sender = new SrtCrypto('0123456789ab');
  const receiver = new SrtCrypto('0123456789ab');
  const km = wrapKeys('0123456789ab', salt, { even: Buffer.alloc(16, 1) });
  assert.equal(sender.take(km), 'ok');
  assert.equal(receiver.take(km), 'ok');
  const clear = Buffer.from('G'.repeat(1316));
  const enc = sender.encrypt(12345, clear);
  assert.notDeepEqual(enc, clear);
  assert.deepEqual(receiver.decrypt(12345, KeyFlag.even, enc), clear);
  assert.notDeepEqual(receiver.decrypt(12346, KeyFlag.even, enc), clear, 'the packet index is in the IV');
  assert.equal(receiver.decrypt(1, KeyFlag.odd, enc), undefined);
  assert.equal(receiver.stats.unknownKey, 1);
  // Refresh: both keys announced, then the odd one used.
  const both = wrapKeys('0123456789ab', salt, { even: Buffer.alloc(16, 1), odd: Buffer.alloc(16, 2) });
  assert.equal(receiver.take(both), 'ok');
  const s2 = new SrtCrypto('0123456789ab');
  s2.take(wrapKeys('0123456789ab', salt, { odd: Buffer.alloc(16, 2) }));
  assert.equal(s2.sendKey, KeyFlag.odd);
  assert.deepEqual(receiver.decrypt(7, KeyFlag.odd, s2.encrypt(7, clear)), clear);
  assert.deepEqual(receiver.decrypt(8, KeyFlag.even, sender.encrypt(8, clear)), clear, 'the even key still works');
  assert.equal(new SrtCrypto('wrong-passphrase').take(km), 'badSecret');
});
