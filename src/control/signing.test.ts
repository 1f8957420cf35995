import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatTxTime,
  parseTxTime,
  signQuery,
  signUrl,
  txSecretOf,
  verifySignature,
  type SignatureInput,
} from './signing.ts';

// tencent-css.md §1.3: the official vector from "Hotlink Protection URL Calculation", and our variants.
const key = 'e12c46f2612d5106e2034781ab261ca3';
const txTimeSeconds = 1546064025; // 2018-12-29 14:13:45 UTC+8

const input = (over: Partial<SignatureInput> = {}): SignatureInput => ({
  streamName: 'test',
  txTime: '5C271099',
  txSecret: 'f85a2ab363fe4deaffef9754d79da6fe',
  key,
  backupKey: '',
  authDelta: 300,
  algorithm: 'md5',
  nowMs: txTimeSeconds * 1000,
  ...over,
});

test('the official Tencent vector: MD5(key + "test" + "5C271099")', () => {
  assert.equal(txSecretOf(key, 'test', '5C271099'), 'f85a2ab363fe4deaffef9754d79da6fe');
  assert.equal(formatTxTime(txTimeSeconds), '5C271099');
  assert.equal(
    signUrl('rtmp://livepush.tcloud.com/live/test', { streamName: 'test', key, expiresAt: txTimeSeconds }),
    'rtmp://livepush.tcloud.com/live/test?txSecret=f85a2ab363fe4deaffef9754d79da6fe&txTime=5C271099',
  );
  assert.deepEqual(verifySignature(input()), { ok: true, keyUsed: 'master', expiresAt: (txTimeSeconds + 300) * 1000 });
});

test('txTime is hashed as written: lowercase hex and decimal have their own signatures and the same expiry', () => {
  assert.equal(txSecretOf(key, 'test', '5c271099'), '9603387445825a481e6b7496aced5746');
  assert.equal(txSecretOf(key, 'test', '1546064025'), 'ce6b9eea97285cdf914ac6df0030ce28');
  const lower = verifySignature(input({ txTime: '5c271099', txSecret: '9603387445825a481e6b7496aced5746' }));
  const decimal = verifySignature(input({ txTime: '1546064025', txSecret: 'ce6b9eea97285cdf914ac6df0030ce28' }));
  assert.deepEqual(lower, verifySignature(input()));
  assert.deepEqual(decimal, verifySignature(input()));
  // The uppercase signature does not sign the lowercase txTime.
  assert.equal(verifySignature(input({ txTime: '5c271099' })).ok, false);
});

test('txSecret is compared case-insensitively', () => {
  assert.equal(verifySignature(input({ txSecret: 'F85A2AB363FE4DEAFFEF9754D79DA6FE' })).ok, true);
});

test('SHA-256 signs the same concatenation', () => {
  const sha = '2fe51d13bff48deaddd7e4e086265e69d5a04a64db9a2cbc737bd585c472fd07';
  assert.equal(txSecretOf(key, 'test', '5C271099', 'sha256'), sha);
  assert.equal(verifySignature(input({ algorithm: 'sha256', txSecret: sha })).ok, true);
  assert.deepEqual(verifySignature(input({ algorithm: 'sha256' })), {
    ok: false,
    problem: 'mismatch',
    txTime: '5C271099',
  });
});

test('the backup key is accepted, and a wrong key with either is not', () => {
  const byBackup = txSecretOf('backupkey', 'test', '5C271099');
  assert.deepEqual(verifySignature(input({ key: 'otherkey', backupKey: key })), {
    ok: true,
    keyUsed: 'backup',
    expiresAt: (txTimeSeconds + 300) * 1000,
  });
  assert.equal(verifySignature(input({ backupKey: 'backupkey', txSecret: byBackup })).ok, true);
  assert.equal(verifySignature(input({ key: 'a', backupKey: 'b' })).ok, false);
  // An empty backup key never signs: MD5('' + name + txTime) must not pass.
  assert.equal(verifySignature(input({ key: 'a', txSecret: txSecretOf('', 'test', '5C271099') })).ok, false);
});

test('valid exactly at txTime + AuthDelta, expired one second later', () => {
  const limit = (txTimeSeconds + 300) * 1000;
  assert.equal(verifySignature(input({ nowMs: limit })).ok, true);
  assert.deepEqual(verifySignature(input({ nowMs: limit + 1000 })), {
    ok: false,
    problem: 'expired',
    txTime: '5C271099',
    expiresAt: limit,
  });
  assert.equal(verifySignature(input({ nowMs: limit + 1 })).ok, false);
  assert.equal(verifySignature(input({ authDelta: 0, nowMs: txTimeSeconds * 1000 + 1000 })).ok, false);
});

test('checks run in the order of the break codes: txTime, expiry, txSecret, signature', () => {
  assert.deepEqual(verifySignature(input({ txTime: undefined, txSecret: undefined })), {
    ok: false,
    problem: 'txTime-missing',
  });
  assert.deepEqual(verifySignature(input({ txTime: '' })), { ok: false, problem: 'txTime-missing' });
  assert.deepEqual(verifySignature(input({ txTime: 'tomorrow' })), {
    ok: false,
    problem: 'txTime-invalid',
    txTime: 'tomorrow',
  });
  const late = verifySignature(input({ txSecret: undefined, nowMs: 9e12 }));
  assert.equal(late.ok === false && late.problem, 'expired', 'expiry is reported before a missing txSecret');
  assert.deepEqual(verifySignature(input({ txSecret: undefined })), { ok: false, problem: 'txSecret-missing' });
  assert.deepEqual(verifySignature(input({ txSecret: 'f85a2ab363fe4deaffef9754d79da6f' })), {
    ok: false,
    problem: 'mismatch',
    txTime: '5C271099',
  });
  assert.deepEqual(verifySignature(input({ streamName: 'test2' })), {
    ok: false,
    problem: 'mismatch',
    txTime: '5C271099',
  });
});

test('parseTxTime reads hex in either case and 10+ digit decimal, and nothing else', () => {
  assert.equal(parseTxTime('5C271099'), txTimeSeconds);
  assert.equal(parseTxTime('5c271099'), txTimeSeconds);
  assert.equal(parseTxTime('1546064025'), txTimeSeconds);
  assert.equal(parseTxTime('65029b21'), 1694669601);
  assert.equal(parseTxTime('65432100'), 0x65432100, 'eight digits are hex');
  for (const bad of ['', '0x5C271099', '5C27 1099', '-1', '1.5', 'zz', '1234567890abcd']) {
    assert.equal(parseTxTime(bad), undefined, bad);
  }
});

test('property: any signed query verifies until its expiry and not with another key or stream', () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[A-Za-z0-9]{1,32}$/),
      fc.stringMatching(/^[A-Za-z0-9_\-.~]{1,64}$/),
      fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }),
      fc.constantFrom('md5' as const, 'sha256' as const),
      (k, name, expiresAt, algorithm) => {
        const q = new URLSearchParams(signQuery({ streamName: name, key: k, expiresAt, algorithm }));
        const base = {
          streamName: name,
          txTime: q.get('txTime') ?? undefined,
          txSecret: q.get('txSecret') ?? undefined,
          key: k,
          backupKey: '',
          authDelta: 0,
          algorithm,
          nowMs: expiresAt * 1000,
        };
        return (
          verifySignature(base).ok &&
          !verifySignature({ ...base, nowMs: expiresAt * 1000 + 1 }).ok &&
          !verifySignature({ ...base, key: `${k}x` }).ok &&
          !verifySignature({ ...base, streamName: `${name}x` }).ok
        );
      },
    ),
  );
});
