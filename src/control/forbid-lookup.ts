/**
 * Tencent keys ForbidLiveStream on StreamName ("禁推的流名称"): a forbidden name cannot publish under another
 * AppName. The store keeps a forbid's AppName (DescribeLiveForbidStreamList answers it); this finds the forbid
 * that holds for a stream name on a domain whatever its AppName, through the store's list by stream.
 */
import type { ForbiddenStream, Store } from '../store/store.ts';

/** More active forbids of one name than a back end plausibly sets (one per AppName and domain). */
const maxPerName = 1000;

/** The longest-lasting forbid in force on `stream` for `domain` (or every domain), any AppName. */
export async function findForbiddenName(
  store: Store,
  stream: string,
  domain: string,
  now: number,
): Promise<ForbiddenStream | undefined> {
  const { items } = await store.listForbidden({ stream, activeAt: now, limit: maxPerName });
  return items.filter((f) => f.domain === '' || f.domain === domain).sort((a, b) => b.until - a.until)[0];
}

/** Every forbid in force on `stream` with exactly `domain` ('' the every-domain ones), any AppName. */
export async function forbidsOfName(
  store: Store,
  stream: string,
  domain: string,
  now: number,
): Promise<ForbiddenStream[]> {
  const { items } = await store.listForbidden({ stream, activeAt: now, limit: maxPerName });
  return items.filter((f) => f.domain === domain);
}
