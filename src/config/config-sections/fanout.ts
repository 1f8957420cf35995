/** The `fanout.*` section: write merging, the GOP cache and player queue limits of the hub (docs/architecture.md). */
import { z } from 'zod';
import { bytes, flag, ms } from './values.ts';
import { hubDefaults } from '../hub-defaults.ts';

/** Merge window, GOP cache bounds, player queue limits, stall timeout and reconnect grace. */
export const fanoutSection = z
  .strictObject({
    /** Writes to each player are merged over this window; 0 writes every message at once (lowest latency). */
    mergeWindowMs: z.coerce.number().int().min(0).max(1000).default(hubDefaults.mergeWindowMs),
    /** Players flushed in this many groups on staggered ticks of the window; 1 = one flush per window. */
    flushGroups: z.coerce.number().int().min(1).max(64).default(hubDefaults.flushGroups),
    gopCache: flag.default(hubDefaults.gopCache.enabled),
    gopCacheMaxBytes: bytes.default(hubDefaults.gopCache.maxBytes),
    gopCacheMaxMessages: z.coerce.number().int().min(1).default(hubDefaults.gopCache.maxMessages),
    /** A player's queue (bytes it has not taken yet); past it, frames are skipped to the next keyframe. */
    maxQueueBytes: bytes.default(hubDefaults.subscriber.maxQueueBytes),
    maxQueueMs: ms.default(hubDefaults.subscriber.maxQueueMs),
    /** A player that takes nothing for this long while data waits is closed. */
    stallTimeoutMs: ms.default(hubDefaults.subscriber.stallTimeoutMs),
    /** Players of a stream whose publisher left wait this long for it to publish again (0 = end them at once). */
    reconnectGraceMs: z.coerce.number().int().min(0).max(3_600_000).default(5000),
  })
  .prefault({});
