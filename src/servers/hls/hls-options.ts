/** The HLS server's options, their defaults and checks; the config's `hls.*` keys map onto them. */
import { hlsDefaults } from '../../config/hls-defaults.ts';
import { LiveError } from '../../errors.ts';

/** Options of the HLS server; everything has a default. */
export interface HlsOptions {
  /** Segments are cut on the first keyframe at or after this duration (never shorter than a GOP). */
  readonly segmentTargetMs?: number;
  /** Complete segments listed in the playlist. */
  readonly windowSegments?: number;
  /**
   * Segments kept fetchable after they left the playlist: RFC 8216 §6.2.2 keeps a removed segment
   * available for its duration plus the playlist's, for players that read the older playlist.
   */
  readonly retainSegments?: number;
  /** Upper bound of one stream's kept segment bytes; the oldest go first past it. */
  readonly maxStreamBytes?: number;
  /** Where finished segments live: memory (default) or files under `<dataDir>/hls`. */
  readonly storage?: 'memory' | 'disk';
  /** Segment container: MPEG-TS (default) or CMAF fragmented MP4 with an EXT-X-MAP init segment. */
  readonly segmentFormat?: 'ts' | 'fmp4';
  /** The folder disk storage writes to (`<dataDir>/hls`). */
  readonly dir?: string;
  /** Produce segments for every live stream, watched or not. */
  readonly alwaysOn?: boolean;
  /** A segmenter nobody asked anything of for this long stops (and frees its segments). */
  readonly idleTimeoutMs?: number;
  /** How long the first request of a cold stream waits for its first segments. */
  readonly startWaitMs?: number;
  /**
   * Whole segments a cold stream's first playlist waits for (after startWaitMs it is served with what
   * there is). hls.js started on a lone first segment, plain or LL-HLS, stalls until the window fills.
   */
  readonly startSegments?: number;
  /** LL-HLS partial segment duration (RFC 8216bis §4.4.4.9 PART-TARGET). */
  readonly partTargetMs?: number;
  /** Play domains whose playlists are LL-HLS; `*` means every domain; empty turns parts off. */
  readonly lowLatencyDomains?: readonly string[];
  /** Write EXT-X-ENDLIST once the publisher leaves (the playlist then restarts with the next publisher). */
  readonly endList?: boolean;
  /** Parked requests (blocking reloads, hinted parts, cold starts) in total; past it 503 HLS_WAITERS_FULL. */
  readonly maxBlockingWaiters?: number;
  /** Parked requests per client address; past it 429 HLS_WAITERS_PER_IP; 0 = no cap. */
  readonly maxBlockingWaitersPerIp?: number;
  /** Addresses exempt from the per-address cap (`limits.trustedNetworks`). */
  readonly trustedNetworks?: readonly string[];
  readonly now?: () => number;
}

/** HlsOptions with every default filled in. */
export type ResolvedHlsOptions = Required<Omit<HlsOptions, 'dir'>> & { readonly dir: string | undefined };

/** Fills in defaults and checks bounds; throws CONFIG_INVALID on a bad value. */
export function resolveHlsOptions(o: HlsOptions = {}): ResolvedHlsOptions {
  const r: ResolvedHlsOptions = {
    segmentTargetMs: o.segmentTargetMs ?? hlsDefaults.segmentTargetMs,
    windowSegments: o.windowSegments ?? hlsDefaults.windowSegments,
    retainSegments: o.retainSegments ?? o.windowSegments ?? hlsDefaults.retainSegments,
    maxStreamBytes: o.maxStreamBytes ?? hlsDefaults.maxStreamBytes,
    storage: o.storage ?? 'memory',
    segmentFormat: o.segmentFormat ?? 'ts',
    dir: o.dir,
    alwaysOn: o.alwaysOn ?? false,
    idleTimeoutMs: o.idleTimeoutMs ?? hlsDefaults.idleTimeoutMs,
    startWaitMs: o.startWaitMs ?? hlsDefaults.startWaitMs,
    startSegments: o.startSegments ?? hlsDefaults.startSegments,
    partTargetMs: o.partTargetMs ?? hlsDefaults.partTargetMs,
    lowLatencyDomains: (o.lowLatencyDomains ?? []).map((d) => d.toLowerCase()),
    endList: o.endList ?? false,
    maxBlockingWaiters: o.maxBlockingWaiters ?? hlsDefaults.maxBlockingWaiters,
    maxBlockingWaitersPerIp: o.maxBlockingWaitersPerIp ?? hlsDefaults.maxBlockingWaitersPerIp,
    trustedNetworks: o.trustedNetworks ?? [],
    now: o.now ?? Date.now,
  };
  check('segmentTargetMs', r.segmentTargetMs, 200, 60_000);
  check('windowSegments', r.windowSegments, 2, 1000);
  check('retainSegments', r.retainSegments, 0, 1000);
  check('maxStreamBytes', r.maxStreamBytes, 1024 * 1024, Number.MAX_SAFE_INTEGER);
  check('idleTimeoutMs', r.idleTimeoutMs, 1000, 24 * 3600_000);
  check('startWaitMs', r.startWaitMs, 0, 120_000);
  check('maxBlockingWaiters', r.maxBlockingWaiters, 1, Number.MAX_SAFE_INTEGER);
  check('maxBlockingWaitersPerIp', r.maxBlockingWaitersPerIp, 0, Number.MAX_SAFE_INTEGER);
  check('startSegments', r.startSegments, 1, r.windowSegments);
  // RFC 8216bis §4.4.4.9: parts are shorter than segments; under 100 ms they cost more than they save.
  check('partTargetMs', r.partTargetMs, 100, Math.max(100, Math.floor(r.segmentTargetMs / 2)));
  if (r.storage === 'disk' && !r.dir)
    throw new LiveError('CONFIG_INVALID', 'hls.storage disk needs a folder (dataDir)');
  return r;
}

/** Whether playlists requested through play domain `domain` are LL-HLS. */
export function lowLatencyFor(options: ResolvedHlsOptions, domain: string | undefined): boolean {
  const list = options.lowLatencyDomains;
  return list.includes('*') || (domain !== undefined && list.includes(domain.toLowerCase()));
}

function check(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new LiveError('CONFIG_INVALID', `hls.${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}
