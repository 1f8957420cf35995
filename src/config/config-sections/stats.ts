/** The `stats` section of the configuration: statistics sampling and history retention (docs/statistics.md). */
import { z } from 'zod';
import { flag } from './values.ts';

const days = z.coerce.number().int().min(1).max(36_500);

/** Statistics: the sampler's timer, how long each roll-up is kept, and when an HLS viewer has left. */
export const statsSection = z
  .strictObject({
    /** Sample per-stream statistics into the store (the statistics actions and the console's Overview read them). */
    enabled: flag.default(true),
    /** How often the sampler reads the counters; a player that leaves loses at most this much of its bytes. */
    sampleIntervalMs: z.coerce.number().int().min(100).max(60_000).default(5000),
    /** Days 1-minute rows are kept (DescribeStreamPlayInfoList, DescribeStreamPushInfoList). */
    minuteRetentionDays: days.default(7),
    /** Days 5-minute rows are kept (DescribeBillBandwidthAndFluxList at Granularity 5). */
    fiveMinuteRetentionDays: days.default(31),
    /** Days hourly rows are kept (DescribeStreamDayPlayInfoList, the console's week). */
    hourRetentionDays: days.default(93),
    /** Days daily rows are kept. */
    dayRetentionDays: days.default(1095),
    /** An HLS session without a playlist request for this long has left (3 target durations). */
    hlsSessionTimeoutMs: z.coerce.number().int().min(1000).default(30_000),
  })
  .prefault({});
