import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Backoff } from './backoff.ts';

test('delays double from the initial one up to the cap, jittered between half and all of the base', () => {
  const low = new Backoff({ initialMs: 1000, maxMs: 30_000, random: () => 0 });
  assert.deepEqual(
    Array.from({ length: 7 }, () => low.next()),
    [500, 1000, 2000, 4000, 8000, 15_000, 15_000],
  );
  const high = new Backoff({ initialMs: 1000, maxMs: 30_000, random: () => 0.999999 });
  assert.deepEqual(
    Array.from({ length: 7 }, () => high.next()),
    [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
  );
});

test('reset starts again at the initial delay', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
  b.next();
  b.next();
  assert.equal(b.attempt, 2);
  b.reset();
  assert.equal(b.attempt, 0);
  assert.equal(b.next(), 50);
});

test('property: every delay lies within [initial/2, max], however many failures', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 10_000 }),
      fc.integer({ min: 1, max: 100_000 }),
      fc.array(fc.double({ min: 0, max: 0.9999, noNaN: true }), { maxLength: 60 }),
      (initial, max, rolls) => {
        let i = 0;
        const b = new Backoff({
          initialMs: initial,
          maxMs: max,
          random: () => rolls[i++ % Math.max(1, rolls.length)] ?? 0,
        });
        for (let n = 0; n < rolls.length; n++) {
          const d = b.next();
          assert.ok(
            d >= Math.floor(initial / 2) && d <= Math.max(initial, max),
            `${d} outside [${initial / 2}, ${max}]`,
          );
        }
      },
    ),
  );
});
