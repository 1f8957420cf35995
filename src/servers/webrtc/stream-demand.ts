/**
 * A WHEP offer for a stream this process does not have yet: another worker or node holds it, or its
 * publisher is about to start. A viewer tap (hub/media-tap.ts) is demand, so the edge puller starts pulling
 * it from its holder (docs/cluster.md "Cross-worker play"), and the offer waits for it, like an HTTP-FLV
 * play (`http.playWaitMs`), until the stream is live with its video header (the answer's codecs depend on it).
 * The tap is held until the viewer's own subscription takes over, so the pull does not stop in between.
 */
import type { Hub } from '../../hub/hub.ts';

/** A held wait: `live` once the stream is; `release` drops the demand (idempotent). */
export interface StreamDemand {
  readonly live: boolean;
  release(): void;
}

/** Timers the wait uses (injected in tests). */
export interface DemandTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: DemandTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Waits at most `waitMs` for `key` to be live here; a stream already live answers at once. */
export function awaitLiveStream(hub: Hub, key: string, waitMs: number, timers = realTimers): Promise<StreamDemand> {
  const now = hub.get(key);
  if (now?.live || waitMs <= 0) return Promise.resolve({ live: now?.live ?? false, release: () => {} });
  return new Promise((resolve) => {
    let settled = false;
    let started = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      resolve({ live: hub.get(key)?.live ?? false, release: () => handle.close() });
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
  });
}
