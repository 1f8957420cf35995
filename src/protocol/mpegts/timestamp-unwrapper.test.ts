import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimestampUnwrapper } from './timestamp-unwrapper.ts';

test('a counter passing 2^32 continues above it', () => {
  const u = new TimestampUnwrapper();
  assert.equal(u.unwrap(2 ** 32 - 40), 2 ** 32 - 40);
  assert.equal(u.unwrap(2 ** 32 - 1), 2 ** 32 - 1);
  assert.equal(u.unwrap(20), 2 ** 32 + 20);
  assert.equal(u.unwrap(60), 2 ** 32 + 60);
  // Two more times round in steps of 2^30 ms (12.4 days, as a long-running encoder would get there).
  let raw = 60;
  for (let i = 0; i < 8; i++) {
    raw = (raw + 2 ** 30) >>> 0;
    u.unwrap(raw);
  }
  assert.equal(raw, 60);
  assert.equal(u.unwrap(61), 3 * 2 ** 32 + 61);
});

test('small steps back (audio behind video) stay small, also across the wrap', () => {
  const u = new TimestampUnwrapper();
  assert.equal(u.unwrap(5), 5);
  assert.equal(u.unwrap(2 ** 32 - 3), -3, 'a step back over zero is 8 ms back, not 49 days forward');
  assert.equal(u.unwrap(10), 10);
  assert.equal(u.unwrap(7), 7);
});

test('timestamps are taken as unsigned 32-bit values', () => {
  const u = new TimestampUnwrapper();
  assert.equal(u.unwrap(-1), 2 ** 32 - 1);
});
