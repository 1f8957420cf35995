import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { maxPageSize, pageOf, type Page } from '../../../store/store.ts';
import { mergedPage, type TimedSource } from './merged-page.ts';

/** A source over a sorted array that pages like a Store (limit capped at maxPageSize) and counts its reads. */
function source(tag: string, times: number[], ascending: boolean): TimedSource<number, string> & { reads: number } {
  const sorted = [...times].sort((x, y) => (ascending ? x - y : y - x));
  const s = {
    reads: 0,
    async fetch(q: { limit: number; offset: number }): Promise<Page<number>> {
      s.reads++;
      const { limit, offset } = pageOf(q);
      return { items: sorted.slice(offset, offset + limit), total: sorted.length };
    },
    time: (t: number) => t,
    map: (t: number) => `${tag}${t}`,
  };
  return s;
}

test('a merged page is the page of the two lists sorted together, a first on equal times', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 40 }),
      fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 40 }),
      fc.integer({ min: 0, max: 90 }),
      fc.integer({ min: 1, max: 30 }),
      fc.boolean(),
      async (as, bs, offset, limit, ascending) => {
        const got = await mergedPage(source('a', as, ascending), source('b', bs, ascending), {
          offset,
          limit,
          ascending,
        });
        const all = [...as.map((t) => ({ t, s: `a${t}`, k: 0 })), ...bs.map((t) => ({ t, s: `b${t}`, k: 1 }))].sort(
          (x, y) => (ascending ? x.t - y.t : y.t - x.t) || x.k - y.k,
        );
        assert.deepEqual(got, {
          items: all.slice(offset, offset + limit).map((x) => x.s),
          total: as.length + bs.length,
        });
      },
    ),
  );
});

test('deep pages read each list a store page at a time, and no further than the page needs', async () => {
  const a = source(
    'a',
    Array.from({ length: 2500 }, (_, i) => 2 * i),
    true,
  );
  const b = source(
    'b',
    Array.from({ length: 2500 }, (_, i) => 2 * i + 1),
    true,
  );
  const page = await mergedPage(a, b, { offset: 2990, limit: 10, ascending: true });
  assert.deepEqual(page.items, [
    'a2990',
    'b2991',
    'a2992',
    'b2993',
    'a2994',
    'b2995',
    'a2996',
    'b2997',
    'a2998',
    'b2999',
  ]);
  assert.equal(page.total, 5000);
  // 3000 items wanted from each: three store pages of maxPageSize.
  assert.deepEqual([a.reads, b.reads], [Math.ceil(3000 / maxPageSize), Math.ceil(3000 / maxPageSize)]);
  const short = source('c', [1, 2, 3], true);
  await mergedPage(short, source('d', [], true), { offset: 0, limit: 100, ascending: true });
  assert.equal(short.reads, 1, 'a list shorter than the page is read once');
});
