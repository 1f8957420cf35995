import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SendPacer, type Paced } from './send-pacer.ts';

/** A viewer with `n` frames; each send advances the fake clock by `cost`. */
function viewer(name: string, n: number, log: string[], clock: { t: number }, cost = 1): Paced & { left: number } {
  const v = {
    left: n,
    sendNext() {
      log.push(name);
      clock.t += cost;
      v.left--;
      return v.left > 0;
    },
  };
  return v;
}

test('viewers take turns one frame each, round-robin, and a late one is not starved', () => {
  const clock = { t: 0 };
  const deferred: (() => void)[] = [];
  const pacer = new SendPacer({ budgetMs: 1000, now: () => clock.t, defer: (r) => deferred.push(r) });
  const log: string[] = [];
  const a = viewer('a', 3, log, clock);
  const b = viewer('b', 3, log, clock);
  pacer.wake(a);
  pacer.wake(a);
  pacer.wake(b);
  assert.equal(deferred.length, 1, 'one deferred run however many wake');
  deferred.shift()!();
  assert.deepEqual(log, ['a', 'b', 'a', 'b', 'a', 'b']);
  assert.equal(pacer.pending, 0);
});

test('the budget yields to I/O and the next turn goes on where the round stopped', () => {
  const clock = { t: 0 };
  const deferred: (() => void)[] = [];
  const pacer = new SendPacer({ budgetMs: 3, now: () => clock.t, defer: (r) => deferred.push(r) });
  const log: string[] = [];
  const vs = ['a', 'b', 'c', 'd', 'e'].map((n) => viewer(n, 2, log, clock));
  for (const v of vs) pacer.wake(v);
  deferred.shift()!();
  assert.deepEqual(log, ['a', 'b', 'c']);
  assert.equal(deferred.length, 1, 'the rest is deferred, not run now');
  deferred.shift()!();
  assert.deepEqual(log.slice(3), ['d', 'e', 'a']);
  while (deferred.length > 0) deferred.shift()!();
  assert.equal(log.length, 10);
  for (const n of ['a', 'b', 'c', 'd', 'e']) assert.equal(log.filter((x) => x === n).length, 2);
});

test('a removed viewer gets no more turns and a throwing one does not stop the others', () => {
  const clock = { t: 0 };
  const deferred: (() => void)[] = [];
  const pacer = new SendPacer({ budgetMs: 1000, now: () => clock.t, defer: (r) => deferred.push(r) });
  const log: string[] = [];
  const a = viewer('a', 5, log, clock);
  const bad: Paced = {
    sendNext() {
      throw new Error('boom');
    },
  };
  const c = viewer('c', 2, log, clock);
  pacer.wake(a);
  pacer.wake(bad);
  pacer.wake(c);
  pacer.remove(a);
  deferred.shift()!();
  assert.deepEqual(log, ['c', 'c']);
  assert.equal(pacer.pending, 0);
});
