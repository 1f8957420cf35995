/**
 * A WHEP offer for a stream this process does not have yet: another worker or node holds it, or its
 * publisher is about to start. A viewer tap (hub/media-tap.ts) is demand, so the edge puller starts pulling
 * it from its holder (docs/cluster.md "Cross-worker play"), and the offer waits for it, like an HTTP-FLV
 * play (`http.playWaitMs`), until the stream is live with its video header (the answer's codecs depend on it).
 * The tap is held until the viewer's own subscription takes over, so the pull does not stop in between.
 * A client that closes its connection during the wait ends it at once: its demand would otherwise keep a
 * pull (and a session reservation) for nobody until the wait ran out.
 */
import type { Hub } from '../../hub/hub.ts';

/** A held wait: `live` once the stream is; `release` drops the demand (idempotent). */
export interface StreamDemand {
  readonly live: boolean;
  /** The signal fired during the wait (the client left); the tap is released already. */
  readonly aborted: boolean;
  release(): void;
}

/** Timers the wait uses (injected in tests). */
export interface DemandTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** How a wait is driven: its timers, and a signal that ends it (the HTTP request closed). */
export interface DemandOptions {
  readonly timers?: DemandTimers;
  readonly signal?: AbortSignal | undefined;
}

const realTimers: DemandTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

const noop = (): void => {};

/** Waits at most `waitMs` for `key` to be live here; a stream already live answers at once. */
export function awaitLiveStream(
  hub: Hub,
  key: string,
  waitMs: number,
  { timers = realTimers, signal }: DemandOptions = {},
): Promise<StreamDemand> {
  if (signal?.aborted) return Promise.resolve({ live: false, aborted: true, release: noop });
  const now = hub.get(key);
  if (now?.live || waitMs <= 0) return Promise.resolve({ live: now?.live ?? false, aborted: false, release: noop });
  return new Promise((resolve) => {
    let settled = false;
    let started = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      resolve({ live: hub.get(key)?.live ?? false, aborted: false, release: () => handle.close() });
    };
    const abort = (): void => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      handle.close();
      resolve({ live: false, aborted: true, release: noop });
    };
    const ready = (): void => {
      if (started && hub.get(key)?.videoHeader) settle();
    };
    const timer = timers.setTimeout(() => settle(), waitMs);
    const handle = hub.tap(key, {
      viewer: true,
      publisherStarted: () => ((started = true), ready()),
      media: () => !settled && ready(),
      publisherEnded: () => {
        started = false;
      },
      close: () => settle(),
    });
    signal?.addEventListener('abort', abort, { once: true });
  });
}
