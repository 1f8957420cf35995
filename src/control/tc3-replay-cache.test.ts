import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryReplayCache, signatureExpiresAt } from './tc3-replay-cache.ts';
import { tc3MaxSkewSeconds } from './tc3.ts';

const t0 = Date.UTC(2026, 11, 1, 12, 0, 0);

function cache(maxEntries = 100) {
  const clock = { now: t0 };
  return { clock, cache: new MemoryReplayCache({ now: () => clock.now, maxEntries }) };
}

test('a signature is fresh once, then replayed until it expires, then forgotten', () => {
  const { clock, cache: c } = cache();
  const expires = signatureExpiresAt(t0 / 1000, tc3MaxSkewSeconds);
  assert.equal(expires, t0 + 301_000, 'usable while the whole-second skew is at most 300 s');
  assert.equal(c.claim('a', expires), 'fresh');
  assert.equal(c.claim('a', expires), 'replayed');
  assert.equal(c.claim('b', expires), 'fresh');
  clock.now = expires - 1;
  assert.equal(c.claim('a', expires), 'replayed');
  clock.now = expires;
  assert.equal(c.claim('c', expires + 1000), 'fresh');
  assert.equal(c.size, 1, 'a and b left with their second');
});

test('at the cap new signatures are refused rather than evicting one still usable; room returns as they expire', () => {
  const { clock, cache: c } = cache(3);
  for (const [i, sig] of ['a', 'b', 'c'].entries()) assert.equal(c.claim(sig, t0 + 10_000 + i * 1000), 'fresh');
  assert.equal(c.claim('d', t0 + 20_000), 'full');
  assert.equal(c.claim('a', t0 + 20_000), 'replayed', 'a replay is still a replay at the cap');
  clock.now = t0 + 10_000;
  assert.equal(c.claim('d', t0 + 20_000), 'fresh');
  assert.equal(c.size, 3);
});

test('a signature whose window already ended is not remembered', () => {
  const { cache: c } = cache();
  assert.equal(c.claim('old', t0 - 1), 'fresh');
  assert.equal(c.size, 0);
});

test('property: never more than the cap, never a second fresh within the window, everything gone after it', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.integer({ min: 0, max: 30 }),
          fc.integer({ min: 0, max: 5000 }),
          fc.integer({ min: -2000, max: 4000 }),
        ),
        { maxLength: 300 },
      ),
      fc.integer({ min: 1, max: 20 }),
      (steps, cap) => {
        const { clock, cache: c } = cache(cap);
        const usable = new Map<string, number>();
        for (const [id, advance, life] of steps) {
          clock.now += advance;
          const sig = `s${id}`;
          const verdict = c.claim(sig, clock.now + life);
          const until = usable.get(sig);
          if (until !== undefined && until > clock.now) assert.equal(verdict, 'replayed');
          if (verdict === 'fresh' && life > 0) usable.set(sig, clock.now + life);
          assert.ok(c.size <= cap);
        }
        clock.now += 10_000;
        c.claim('probe', clock.now + 1);
        assert.equal(c.size, 1);
      },
    ),
  );
});
