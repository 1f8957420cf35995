/**
 * The defaults of the hub's limits, in one place: `resolveHubOptions` (src/hub/hub-options.ts) fills them
 * in and the config schema's `fanout.*` keys (docs/config.md) take them as their defaults, so a Hub built
 * without options behaves like a server started with an empty config. It sits in config/, which imports
 * nothing of src/, so both the hub and the schema may import it.
 */
export const hubDefaults = {
  /** Writes to each player are merged over this window; 0 writes every message at once. */
  mergeWindowMs: 50,
  /** 1: every dirty player in one flush, one window after the oldest message (write-scheduler.ts). */
  flushGroups: 1,
  gopCache: { enabled: true, maxBytes: 16 * 1024 * 1024, maxMessages: 4096, audioTailMs: 1000 },
  subscriber: { maxQueueBytes: 4 * 1024 * 1024, maxQueueMs: 10_000, stallTimeoutMs: 30_000 },
} as const;
