/**
 * The defaults of HLS and LL-HLS playback, in one place: `resolveHlsOptions` (src/servers/hls/hls-options.ts)
 * fills them in and the config schema's `hls.*` keys (docs/config.md, docs/hls.md) take them as defaults.
 */
export const hlsDefaults = {
  segmentTargetMs: 2000,
  windowSegments: 6,
  retainSegments: 6,
  maxStreamBytes: 64 * 1024 * 1024,
  idleTimeoutMs: 30_000,
  startWaitMs: 10_000,
  startSegments: 2,
  partTargetMs: 333,
  maxBlockingWaiters: 5000,
  maxBlockingWaitersPerIp: 50,
} as const;
