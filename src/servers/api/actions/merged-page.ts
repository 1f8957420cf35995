/**
 * One page of two time-ordered lists merged into one (the event list: publish sessions and refused
 * publishes), read through the lists' own paging so neither is loaded whole.
 */
import { maxPageSize, type Page } from '../../../store/store.ts';

/** A list sorted by `time` (in the page's direction), readable by offset and limit. */
export interface TimedSource<T, R> {
  fetch(q: { limit: number; offset: number }): Promise<Page<T>>;
  time(item: T): number;
  map(item: T): R;
}

/** Which slice of the merged list, and its direction. */
export interface MergedPageOptions {
  readonly limit: number;
  readonly offset: number;
  readonly ascending: boolean;
}

/**
 * The items [offset, offset + limit) of the merge of `a` and `b`, with the sum of their totals. Each
 * source is read up to offset + limit items (callers cap that, as Tencent does at 10,000); on equal
 * times `a` comes first.
 */
export async function mergedPage<A, B, R>(
  a: TimedSource<A, R>,
  b: TimedSource<B, R>,
  options: MergedPageOptions,
): Promise<{ items: R[]; total: number }> {
  const need = options.offset + options.limit;
  const [left, right] = await Promise.all([head(a, need), head(b, need)]);
  const before = (x: number, y: number): boolean => (options.ascending ? x <= y : x >= y);
  const items: R[] = [];
  let i = 0;
  let j = 0;
  // Walk the merge up to `need`, mapping only the items of the page.
  for (let n = 0; n < need; n++) {
    const x = left.items[i];
    const y = right.items[j];
    if (x !== undefined && (y === undefined || before(a.time(x), b.time(y)))) {
      if (n >= options.offset) items.push(a.map(x));
      i++;
    } else if (y !== undefined) {
      if (n >= options.offset) items.push(b.map(y));
      j++;
    } else {
      break;
    }
  }
  return { items, total: left.total + right.total };
}

/** The first `n` items of a source, read a store page at a time. */
async function head<T, R>(source: TimedSource<T, R>, n: number): Promise<Page<T>> {
  const items: T[] = [];
  let total: number;
  do {
    const page = await source.fetch({ limit: Math.min(maxPageSize, n - items.length), offset: items.length });
    total = page.total;
    items.push(...page.items);
    if (page.items.length === 0) break;
  } while (items.length < Math.min(n, total));
  return { items, total };
}
