/**
 * The Redis Coordinator's pure parts without a Redis: key names under a prefix (SCAN patterns match the
 * prefix literally), the defensive reading of registry and node values another version may have written,
 * and the shared counters' script call with its NOSCRIPT fallback and COORDINATOR_UNAVAILABLE on failure.
 * The coordinator against a real Redis is test/e2e/coordinator-redis.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { RedisCounters, unavailable } from './redis-counters.ts';
import { RedisKeys } from './redis-keys.ts';
import { parseHolder, parseNode } from './redis-values.ts';

test('RedisKeys: every name starts with the prefix; the SCAN patterns escape glob characters of the prefix', () => {
  const k = new RedisKeys('ol:');
  assert.equal(k.channel, 'ol:streams');
  assert.equal(k.claim('live/cam'), 'ol:claim:live/cam');
  assert.equal(k.holder('live/cam'), 'ol:holder:live/cam');
  assert.equal(k.streamOfHolder(k.holder('live/a:b')), 'live/a:b');
  assert.equal(k.node('n1'), 'ol:node:n1');
  assert.equal(k.counter('fail:1.2.3.4'), 'ol:count:fail:1.2.3.4');
  assert.equal(k.replay('abc'), 'ol:tc3:abc');
  assert.equal(k.holderPattern, 'ol:holder:*');
  const odd = new RedisKeys('t*[1]?\\:');
  assert.equal(odd.holderPattern, 't\\*\\[1\\]\\?\\\\:holder:*');
  assert.equal(odd.nodePattern, 't\\*\\[1\\]\\?\\\\:node:*');
});

test('parseHolder and parseNode read only well-formed JSON entries', () => {
  const holder = { nodeId: 'n1', advertise: '10.0.0.1:1935', since: 1700 };
  assert.deepEqual(parseHolder(JSON.stringify(holder)), holder);
  for (const bad of [null, 42, '', '{', '[]', JSON.stringify({ nodeId: 'n1', advertise: 'a' }), '{"nodeId":1}'])
    assert.equal(parseHolder(bad), undefined, String(bad));
  assert.deepEqual(parseNode(JSON.stringify({ nodeId: 'n2', advertise: 'b:1', extra: true })), {
    nodeId: 'n2',
    advertise: 'b:1',
  });
  for (const bad of ['', 'not json', 'null', JSON.stringify({ nodeId: 'n2' })])
    assert.equal(parseNode(bad), undefined, bad);
});

/** A Redis with the three calls the counters make, scripted per test. */
function fakeRedis(o: {
  evalsha?: (...a: unknown[]) => Promise<unknown>;
  eval?: (...a: unknown[]) => Promise<unknown>;
  get?: (key: string) => Promise<string | null>;
}): Redis & { calls: string[] } {
  const calls: string[] = [];
  const fail = () => Promise.reject(new Error('not scripted'));
  return {
    calls,
    evalsha: (...a: unknown[]) => (calls.push(`evalsha ${String(a[2])}`), (o.evalsha ?? fail)(...a)),
    eval: (...a: unknown[]) => (calls.push(`eval ${String(a[2])}`), (o.eval ?? fail)(...a)),
    get: (key: string) => (calls.push(`get ${key}`), (o.get ?? fail)(key)),
  } as unknown as Redis & { calls: string[] };
}

test('RedisCounters: INCRBY by script, sent again as source after NOSCRIPT; a missing counter is 0', async () => {
  let cached = false;
  const redis = fakeRedis({
    evalsha: async (_sha, _n, _key, by) => {
      if (!cached) throw new Error('NOSCRIPT No matching script. Please use EVAL.');
      return Number(by) + 1;
    },
    eval: async (_src, _n, _key, by) => ((cached = true), Number(by)),
    get: async (key) => (key === 'p:count:k' ? '7' : null),
  });
  const c = new RedisCounters(redis, new RedisKeys('p:'));
  assert.equal(await c.increment('k', 60_000), 1);
  assert.equal(await c.increment('k', 60_000, 3), 4);
  assert.deepEqual(redis.calls, ['evalsha p:count:k', 'eval p:count:k', 'evalsha p:count:k']);
  assert.equal(await c.count('k'), 7);
  assert.equal(await c.count('other'), 0);
});

test('RedisCounters: a failed Redis call is COORDINATOR_UNAVAILABLE naming what failed and why', async () => {
  const down = new Error('connect ECONNREFUSED 127.0.0.1:6379');
  const c = new RedisCounters(
    fakeRedis({ evalsha: () => Promise.reject(down), get: () => Promise.reject(down) }),
    new RedisKeys('p:'),
  );
  await assert.rejects(c.increment('k', 1000), {
    code: 'COORDINATOR_UNAVAILABLE',
    message: 'Redis coordinator: counter increment failed: connect ECONNREFUSED 127.0.0.1:6379',
  });
  await assert.rejects(c.count('k'), (err: Error) => err.message.endsWith('counter read failed: ' + down.message));
  assert.equal(unavailable('no cause').message, 'Redis coordinator: no cause');
  assert.equal(unavailable('no cause').cause, undefined);
  assert.equal(unavailable('x', 'text').message, 'Redis coordinator: x');
});
