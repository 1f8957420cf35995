/** The `hls.*` section: HLS and LL-HLS playback (docs/hls.md). */
import { z } from 'zod';
import { commaList, flag } from './values.ts';
import { hlsDefaults } from '../hls-defaults.ts';

/** Segmenting, playlist windows, storage, cold starts, LL-HLS parts and waiter limits. */
export const hlsSection = z
  .strictObject({
    /** Segments are cut on the first keyframe at or after this duration (never shorter than a GOP). */
    segmentTargetMs: z.coerce.number().int().min(200).max(60_000).default(hlsDefaults.segmentTargetMs),
    /** Segments listed in a playlist. */
    windowSegments: z.coerce.number().int().min(2).max(1000).default(hlsDefaults.windowSegments),
    /** Segments kept fetchable after they left the playlist (RFC 8216 §6.2.2). */
    retainSegments: z.coerce.number().int().min(0).max(1000).default(hlsDefaults.retainSegments),
    /** Cap of one stream's segment bytes in memory; the oldest go first. */
    maxStreamBytes: z.coerce
      .number()
      .int()
      .min(1024 * 1024)
      .default(hlsDefaults.maxStreamBytes),
    /** memory, or files under <dataDir>/hls (deleted as they expire and at start). */
    storage: z.enum(['memory', 'disk']).default('memory'),
    /** Segment container: ts (MPEG-TS) or fmp4 (CMAF fragmented MP4 with EXT-X-MAP; carries HEVC, AV1 and Opus too). */
    segmentFormat: z.enum(['ts', 'fmp4']).default('ts'),
    /** Segment every live stream even when nobody watches it. */
    alwaysOn: flag.default(false),
    /** A stream's segmenter stops once nobody requested its playlist or segments for this long. */
    idleTimeoutMs: z.coerce.number().int().min(1000).default(hlsDefaults.idleTimeoutMs),
    /** How long the first viewer of a cold stream waits for its first segment (then 503 HLS_NOT_READY). */
    startWaitMs: z.coerce.number().int().min(0).max(120_000).default(hlsDefaults.startWaitMs),
    /** Whole segments a cold stream's first playlist waits for: a start buffer for hls.js. */
    startSegments: z.coerce.number().int().min(1).max(1000).default(hlsDefaults.startSegments),
    /** LL-HLS partial segment target (PART-TARGET). */
    partTargetMs: z.coerce.number().int().min(100).max(30_000).default(hlsDefaults.partTargetMs),
    /** Play domains served LL-HLS playlists; `*` = all; comma-separated in env and flags. */
    lowLatencyDomains: commaList.default([]),
    /** End a stream's playlist with EXT-X-ENDLIST when its publisher leaves. */
    endList: flag.default(false),
    /** Parked HLS requests (blocking reloads, hinted parts, cold starts) in total; more get 503 HLS_WAITERS_FULL. */
    maxBlockingWaiters: z.coerce.number().int().min(1).default(hlsDefaults.maxBlockingWaiters),
    /** Parked HLS requests per client address, limits.trustedNetworks exempt (429 HLS_WAITERS_PER_IP); 0 = no cap. */
    maxBlockingWaitersPerIp: z.coerce.number().int().min(0).default(hlsDefaults.maxBlockingWaitersPerIp),
  })
  .prefault({});
