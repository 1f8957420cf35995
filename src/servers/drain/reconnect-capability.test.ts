import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { announcesReconnect } from './reconnect-capability.ts';

test('capsEx bit 0x01 announces Reconnect (E-RTMP v2); other bits, non-numbers and absence do not', () => {
  assert.equal(announcesReconnect(new Map([['capsEx', 1]])), true);
  assert.equal(announcesReconnect(new Map([['capsEx', 15]])), true);
  assert.equal(announcesReconnect(new Map([['capsEx', 2]])), false);
  assert.equal(announcesReconnect(new Map([['capsEx', '1']])), false);
  assert.equal(announcesReconnect(new Map([['capsEx', 1.5]])), false);
  assert.equal(announcesReconnect(new Map()), false);
  fc.assert(fc.property(fc.integer({ min: 0, max: 255 }), (n) => announcesReconnect(new Map([['capsEx', n]])) === ((n & 1) === 1)));
});
