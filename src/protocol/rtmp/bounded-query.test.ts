import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../errors.ts';
import {
  mergeQuery,
  nameLimitDefaults,
  splitNameQuery,
  tcUrlQuery,
  unionQuery,
  type NameLimits,
} from './bounded-query.ts';

function isCode(code: string) {
  return (err: unknown) => err instanceof ProtocolError && err.code === code;
}

const pairs = (q: URLSearchParams) => [...q];
const unlimited: NameLimits = {
  maxTcUrlLength: Infinity,
  maxNameLength: Infinity,
  maxQueryLength: Infinity,
  maxQueryParams: Infinity,
};

/** `n` parameters `p<i>=<i>` joined with `&`. */
function bomb(n: number): string {
  return Array.from({ length: n }, (_, i) => `p${i}=${i}`).join('&');
}

describe('splitNameQuery and tcUrlQuery', () => {
  it('split names and queries as before', () => {
    const s = splitNameQuery('demo?txSecret=ab&txTime=65F0A1B2', 'stream name');
    assert.equal(s.name, 'demo');
    assert.deepEqual(pairs(s.query), [
      ['txSecret', 'ab'],
      ['txTime', '65F0A1B2'],
    ]);
    assert.deepEqual(pairs(splitNameQuery('live', 'app').query), []);
    assert.equal(splitNameQuery('live?', 'app').name, 'live');
    assert.deepEqual(pairs(tcUrlQuery('rtmp://h/live?token=x%20y')), [['token', 'x y']]);
    assert.deepEqual(pairs(tcUrlQuery('rtmp://h/live')), []);
  });

  it('refuse a name over maxNameLength with RTMP_NAME_TOO_LONG, accept one at it', () => {
    const max = nameLimitDefaults.maxNameLength;
    assert.equal(splitNameQuery('a'.repeat(max), 'stream name').name.length, max);
    assert.throws(() => splitNameQuery('a'.repeat(max + 1), 'stream name'), isCode('RTMP_NAME_TOO_LONG'));
    assert.throws(
      () => splitNameQuery(`${'a'.repeat(60 * 1024)}?x=1`, 'stream name'),
      /stream name of 61440 characters .*rtmp\.maxNameLength/,
    );
    assert.throws(() => splitNameQuery('a'.repeat(max + 1), 'app'), /^ProtocolError: app of/);
  });

  it('refuse a query over maxQueryLength with RTMP_QUERY_TOO_LONG', () => {
    const max = nameLimitDefaults.maxQueryLength;
    assert.equal(splitNameQuery(`s?k=${'v'.repeat(max - 2)}`, 'stream name').query.get('k')?.length, max - 2);
    assert.throws(() => splitNameQuery(`s?k=${'v'.repeat(max - 1)}`, 'stream name'), isCode('RTMP_QUERY_TOO_LONG'));
  });

  it('refuse more than maxQueryParams parameters with RTMP_QUERY_TOO_MANY_PARAMS', () => {
    const max = nameLimitDefaults.maxQueryParams;
    assert.equal(splitNameQuery(`s?${bomb(max)}`, 'stream name').query.size, max);
    assert.throws(() => splitNameQuery(`s?${bomb(max + 1)}`, 'stream name'), isCode('RTMP_QUERY_TOO_MANY_PARAMS'));
    // Empty parts count too: the count is of `&`, taken before parsing.
    assert.throws(() => tcUrlQuery(`rtmp://h/live?${'&'.repeat(max)}`), isCode('RTMP_QUERY_TOO_MANY_PARAMS'));
  });

  it('refuse a tcUrl over maxTcUrlLength with RTMP_TCURL_TOO_LONG', () => {
    const max = nameLimitDefaults.maxTcUrlLength;
    const url = 'rtmp://h/live';
    assert.deepEqual(pairs(tcUrlQuery(url + '/'.repeat(max - url.length))), []);
    assert.throws(() => tcUrlQuery(url + '/'.repeat(max - url.length + 1)), isCode('RTMP_TCURL_TOO_LONG'));
  });

  it('never throw anything but a ProtocolError on any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.integer({ min: 0, max: 20 }), (raw, maxQueryParams) => {
        const limits = {
          ...nameLimitDefaults,
          maxNameLength: 100,
          maxQueryLength: 100,
          maxTcUrlLength: 200,
          maxQueryParams,
        };
        for (const f of [() => splitNameQuery(raw, 'app', limits), () => tcUrlQuery(raw, limits)]) {
          try {
            f();
          } catch (err) {
            if (!(err instanceof ProtocolError)) throw err;
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

const queryArb = fc
  .array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'txSecret', ''), fc.constantFrom('1', '2', '', 'x y')), {
    maxLength: 8,
  })
  .map((ps) => new URLSearchParams(ps));

describe('mergeQuery and unionQuery', () => {
  it('mergeQuery gives what URLSearchParams.set per parameter gave', () => {
    fc.assert(
      fc.property(queryArb, queryArb, (base, override) => {
        const reference = new URLSearchParams(base);
        for (const [k, v] of override) reference.set(k, v);
        assert.deepEqual(pairs(mergeQuery(base, override)), pairs(reference));
      }),
      { numRuns: 500 },
    );
  });

  it('unionQuery gives what getAll().includes() per parameter gave', () => {
    fc.assert(
      fc.property(queryArb, queryArb, (first, second) => {
        const reference = new URLSearchParams(first);
        for (const [k, v] of second) if (!reference.getAll(k).includes(v)) reference.append(k, v);
        assert.deepEqual(pairs(unionQuery(first, second)), pairs(reference));
      }),
      { numRuns: 500 },
    );
  });
});

describe('the query bomb (1 MB, 100 000 parameters in tcUrl and app)', () => {
  const params = bomb(100_000);

  it('is refused before parsing with the default limits, within a few milliseconds', () => {
    const start = performance.now();
    assert.throws(() => tcUrlQuery(`rtmp://h/live?${params}`), isCode('RTMP_TCURL_TOO_LONG'));
    assert.throws(() => splitNameQuery(`live?${params}`, 'app'), isCode('RTMP_QUERY_TOO_LONG'));
    const generous = { ...nameLimitDefaults, maxQueryLength: Infinity, maxTcUrlLength: Infinity };
    assert.throws(() => splitNameQuery(`live?${params}`, 'app', generous), isCode('RTMP_QUERY_TOO_MANY_PARAMS'));
    const ms = performance.now() - start;
    assert.ok(ms < 500, `refusing took ${ms.toFixed(0)} ms`);
  });

  it('parses and merges in linear time when the limits are lifted (quadratic took 70 s)', () => {
    const start = performance.now();
    const fromTcUrl = tcUrlQuery(`rtmp://h/live?${params}`, unlimited);
    const fromApp = splitNameQuery(`live?${params}&extra=1`, 'app', unlimited).query;
    const connect = unionQuery(fromTcUrl, fromApp);
    const merged = mergeQuery(connect, splitNameQuery(`demo?${params}`, 'stream name', unlimited).query);
    const ms = performance.now() - start;
    assert.equal(connect.size, 100_001);
    assert.equal(merged.size, 100_001);
    // Linear work is ~100 ms here; the budget leaves room for a loaded machine, not for quadratic.
    assert.ok(ms < 5000, `parse and merge took ${ms.toFixed(0)} ms`);
  });
});
