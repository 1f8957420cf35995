import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addressKey, RateLimiter } from './rate-limiter.ts';

test('a burst of `rate`, then one token per 1/rate seconds', () => {
  const clock = { now: 0 };
  const limiter = new RateLimiter(4, () => clock.now);
  assert.deepEqual(
    [1, 2, 3, 4, 5].map(() => limiter.take('a')),
    [true, true, true, true, false],
  );
  assert.equal(limiter.take('b'), true, 'per key');
  clock.now += 250;
  assert.deepEqual([limiter.take('a'), limiter.take('a')], [true, false]);
  assert.equal(new RateLimiter(0, () => 0).take('x'), true, '0 disables');
});

test('idle buckets are dropped as others are used; the table never exceeds maxKeys', () => {
  const clock = { now: 0 };
  const limiter = new RateLimiter(10, () => clock.now, 100);
  for (let i = 0; i < 1000; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`);
  assert.equal(limiter.size, 100, 'at the cap the least recently used goes');
  clock.now += 1000;
  for (let i = 0; i < 60; i++) limiter.take('busy');
  assert.equal(limiter.size, 1, 'each take drops up to two buckets idle for a second');
});

test('property: the table stays within maxKeys and no key gets more than burst + rate × elapsed', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 300 })), { maxLength: 400 }),
      fc.integer({ min: 1, max: 30 }),
      (steps, cap) => {
        const clock = { now: 0 };
        const rate = 5;
        const limiter = new RateLimiter(rate, () => clock.now, cap);
        let granted = 0;
        for (const [key, advance] of steps) {
          clock.now += advance;
          if (limiter.take(`k${key % 3 === 0 ? 0 : key}`) && key % 3 === 0) granted++;
          assert.ok(limiter.size <= cap);
        }
        // Key k0 may be evicted and start over with a full bucket only when the table is full of others.
        if (cap > 40) assert.ok(granted <= rate + (clock.now / 1000) * rate + 1);
      },
    ),
  );
});

test('addressKey: IPv4 as is, mapped IPv4 unwrapped, IPv6 by its /64', () => {
  assert.equal(addressKey('127.0.0.2'), '127.0.0.2');
  assert.equal(addressKey('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(addressKey('2001:db8:0:1::5'), '2001:db8:0:1::/64');
  assert.equal(addressKey('2001:0DB8:0000:0001:aaaa:bbbb:cccc:dddd'), '2001:db8:0:1::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey('fe80::1'), 'fe80:0:0:0::/64');
});
