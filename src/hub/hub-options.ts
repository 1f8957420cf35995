/**
 * The hub's options, their defaults and validation. Every limit is an option with a safe default
 * (gortmplib's maxBodySize, ws's maxPayload); time and timers are injected so tests need no sleeps.
 */
import { hubDefaults } from '../config/hub-defaults.ts';
import { LiveError } from '../errors.ts';
import { defaultChunkSize } from '../protocol/rtmp/session-core.ts';

/** The narrow logger the hub uses; pino's Logger satisfies it. */
export interface HubLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** The timer functions the hub uses; the globals by default, a fake clock in tests. */
export interface HubTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** GOP cache limits: what a joining player receives at once so its first keyframe arrives immediately. */
export interface GopCacheOptions {
  /** Off trades a slower first frame for lower latency (SRS `gop_cache off`). */
  readonly enabled?: boolean;
  /** Past either cap the GOP is dropped and caching resumes at the next keyframe (NMS caps at 4096 messages). */
  readonly maxBytes?: number;
  readonly maxMessages?: number;
  /** Audio-only streams keep this much media time of audio instead of a GOP. */
  readonly audioTailMs?: number;
}

/** Per-subscriber limits; both count the hub's pending packets plus the bytes the sink has not flushed. */
export interface SubscriberOptions {
  readonly maxQueueBytes?: number;
  /** Media-timestamp span between the oldest unflushed frame and the newest one. */
  readonly maxQueueMs?: number;
  /** A sink that takes nothing for this long while data waits is closed (SUBSCRIBER_STALLED). */
  readonly stallTimeoutMs?: number;
}

/** Options of a Hub; everything has a default. */
export interface HubOptions {
  /** Chunk size of the shared RTMP buffers; must equal what RTMP sessions announce (RTMP 1.0 §5.4.1). */
  readonly rtmpChunkSize?: number;
  /** Pending packets are written to each subscriber at most once per window; 0 writes at once. */
  readonly mergeWindowMs?: number;
  /** Subscribers flushed in this many groups on staggered ticks of the window (write-scheduler.ts); 1 = one flush. */
  readonly flushGroups?: number;
  readonly gopCache?: GopCacheOptions;
  readonly subscriber?: SubscriberOptions;
  /**
   * A stream whose publisher left keeps its players this long, waiting for the same stream to be
   * published again (a reconnecting encoder); 0 (the default here; the config default is 5000) ends
   * the players at once (docs/cluster.md "Reconnect grace").
   */
  readonly reconnectGraceMs?: number;
  readonly now?: () => number;
  readonly logger?: HubLogger;
  readonly timers?: HubTimers;
}

/** HubOptions with every default filled in. */
export interface ResolvedHubOptions {
  readonly rtmpChunkSize: number;
  readonly mergeWindowMs: number;
  readonly flushGroups: number;
  readonly gopCache: Required<GopCacheOptions>;
  readonly subscriber: Required<SubscriberOptions>;
  readonly reconnectGraceMs: number;
  readonly now: () => number;
  readonly logger: HubLogger;
  readonly timers: HubTimers;
}

const silentLogger: HubLogger = { warn() {}, info() {}, debug() {} };

/** The global timers, unref'd: a pending merge or wait must not keep a process alive that is otherwise done. */
export const systemTimers: HubTimers = {
  setTimeout(fn, ms) {
    return setTimeout(fn, ms).unref();
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** Fills in defaults and checks bounds; throws LiveError('CONFIG_INVALID') on a bad value. */
export function resolveHubOptions(options: HubOptions = {}): ResolvedHubOptions {
  const gop = options.gopCache ?? {};
  const sub = options.subscriber ?? {};
  const resolved: ResolvedHubOptions = {
    rtmpChunkSize: options.rtmpChunkSize ?? defaultChunkSize,
    mergeWindowMs: options.mergeWindowMs ?? hubDefaults.mergeWindowMs,
    flushGroups: options.flushGroups ?? hubDefaults.flushGroups,
    gopCache: { ...hubDefaults.gopCache, ...definedOf(gop) },
    subscriber: { ...hubDefaults.subscriber, ...definedOf(sub) },
    reconnectGraceMs: options.reconnectGraceMs ?? 0,
    now: options.now ?? Date.now,
    logger: options.logger ?? silentLogger,
    timers: options.timers ?? systemTimers,
  };
  // RTMP 1.0 §5.4.1: chunk sizes are 1..0x7fffffff; below 128 only wastes headers.
  check('rtmpChunkSize', resolved.rtmpChunkSize, 128, 0x7fffffff);
  check('mergeWindowMs', resolved.mergeWindowMs, 0, 60_000);
  check('flushGroups', resolved.flushGroups, 1, 64);
  check('gopCache.maxBytes', resolved.gopCache.maxBytes, 1, Number.MAX_SAFE_INTEGER);
  check('gopCache.maxMessages', resolved.gopCache.maxMessages, 1, Number.MAX_SAFE_INTEGER);
  check('gopCache.audioTailMs', resolved.gopCache.audioTailMs, 0, Number.MAX_SAFE_INTEGER);
  check('subscriber.maxQueueBytes', resolved.subscriber.maxQueueBytes, 1, Number.MAX_SAFE_INTEGER);
  check('subscriber.maxQueueMs', resolved.subscriber.maxQueueMs, 1, Number.MAX_SAFE_INTEGER);
  check('subscriber.stallTimeoutMs', resolved.subscriber.stallTimeoutMs, 1, Number.MAX_SAFE_INTEGER);
  check('reconnectGraceMs', resolved.reconnectGraceMs, 0, 3_600_000);
  return resolved;
}

/** The keys of `o` whose value is not undefined (an explicit undefined keeps the default, as `??` did). */
function definedOf<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function check(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new LiveError('CONFIG_INVALID', `hub option ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}
