import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { callbackExpiry, callbackSign, verifyCallbackSign } from './callback-sign.ts';

test('sign is MD5(key + t) in lowercase hex; t is the event time + 600 s (Tencent example times)', () => {
  // tencent-css.md §4.2: MD5("mykey1545030873"), computed independently with md5sum.
  assert.equal(callbackSign('mykey', 1545030873), 'f84ae4d84acdc8c7e4e793915145b8c4');
  // The CN push-event example: event_time 1703731478 has t 1703732078.
  assert.equal(callbackExpiry(1703731478), 1703732078);
  assert.equal(
    callbackSign('', 1703732078),
    createHash('md5').update('1703732078').digest('hex'),
    'no key: MD5 of t alone',
  );
});

test('a receiver accepts the sign until t and refuses another key, another t or a later time', () => {
  fc.assert(
    fc.property(fc.string(), fc.integer({ min: 0, max: 2 ** 40 }), (key, t) => {
      const sign = callbackSign(key, t);
      assert.match(sign, /^[0-9a-f]{32}$/);
      assert.equal(verifyCallbackSign(key, t, sign, t), true);
      assert.equal(verifyCallbackSign(key, t, sign.toUpperCase(), t - 600), true);
      assert.equal(verifyCallbackSign(`${key}x`, t, sign, t), false);
      assert.equal(verifyCallbackSign(key, t + 1, sign, t), false);
      assert.equal(verifyCallbackSign(key, t, sign, t + 1), false);
    }),
  );
});
