/**
 * What stands between a request and the actions, cheapest first: the rate limit per client address (before
 * any HMAC, so junk costs the sender its quota, not the server's CPU), TC3 verification (failures from one
 * address answered after a random delay, as MediaMTX does, with a cap on how many wait), the replay cache
 * (each signature once), then the rate limit per SecretId. Each refusal is counted by its openlive code.
 */
import type { Config } from '../../config/config-schema.ts';
import type { Credentials } from '../../control/credentials.ts';
import { FailureDelay } from '../../control/failure-delay.ts';
import { tc3MaxSkewSeconds, verifyTc3, type Tc3Request, type Tc3Result } from '../../control/tc3.ts';
import { verifyLegacy, type LegacyRequest } from '../../control/legacy-signature.ts';
import { MemoryReplayCache, signatureExpiresAt, type ReplayCache } from '../../control/tc3-replay-cache.ts';
import type { ErrorCode } from '../../errors.ts';
import type { Log } from '../../log.ts';
import type { ServerCounters } from '../counters.ts';
import { ApiError, type ApiContext } from './api-action.ts';
import { addressKey, RateLimiter } from './rate-limiter.ts';
import { ClusterTally } from '../../control/cluster-tally.ts';
import type { SharedCounters } from '../../cluster/coordinator.ts';

/** The Cloud API code of a second use of a signature (openlive's; Tencent documents none for it). */
export const replayCode = 'AuthFailure.SignatureReplay';

/** What the guard needs; the replay cache, randomness and sleeping are injectable for tests and clusters. */
export interface ApiGuardDeps {
  readonly config: Config;
  readonly credentials: Credentials;
  readonly now: () => number;
  readonly log: Log;
  readonly counters?: ServerCounters | undefined;
  /** Default: in this process, `api.replayCacheMaxEntries` signatures. */
  readonly replayCache?: ReplayCache | undefined;
  /**
   * With a cluster (Coordinator.counters): the per-address rate and the failure delays also count what the
   * other nodes saw, so a client spread over nodes is limited as one (docs/cluster.md "Operations").
   */
  readonly sharedCounters?: SharedCounters | undefined;
  readonly random?: (() => number) | undefined;
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
}

/** The admission and authentication of Cloud API requests. */
export class ApiGuard {
  private readonly deps: ApiGuardDeps;
  private readonly perKey: RateLimiter;
  private readonly perAddress: RateLimiter;
  /** The cluster's requests per address in the current second; undefined on one node. */
  private readonly sharedRate: ClusterTally | undefined;
  private readonly replay: ReplayCache;
  private readonly failures: FailureDelay;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Failures waiting out their delay now; at most `api.maxDelayedFailures`. */
  private waiting = 0;
  /** The same by address key; at most `api.maxDelayedFailuresPerIp` each, deleted at 0 (so bounded by `waiting`). */
  private readonly waitingBy = new Map<string, number>();

  constructor(deps: ApiGuardDeps) {
    this.deps = deps;
    const api = deps.config.api;
    this.perKey = new RateLimiter(api.rateLimitPerSecond, deps.now);
    this.perAddress = new RateLimiter(api.rateLimitPerIpPerSecond, deps.now, api.rateLimitMaxAddresses);
    this.replay = deps.replayCache ?? new MemoryReplayCache({ now: deps.now, maxEntries: api.replayCacheMaxEntries });
    const shared = deps.sharedCounters;
    const tally = (prefix: string, windowMs: number): ClusterTally | undefined =>
      shared &&
      new ClusterTally({
        counters: shared,
        prefix,
        windowMs,
        now: deps.now,
        maxKeys: api.rateLimitMaxAddresses,
        onUnavailable: () => deps.counters?.countError('COORDINATOR_COUNTERS_UNAVAILABLE'),
      });
    this.sharedRate = api.rateLimitPerIpPerSecond > 0 ? tally('api-ip:', 1000) : undefined;
    const sharedFailures = tally('api-fail:', 60_000);
    this.failures = new FailureDelay(deps.now, deps.random ?? Math.random, {
      maxTracked: api.rateLimitMaxAddresses,
      ...(sharedFailures && { shared: sharedFailures }),
    });
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Failed authentications waiting out their delay now. */
  get delayed(): number {
    return this.waiting;
  }

  /** The per-address rate limit; throws RequestLimitExceeded. Runs before the body is read. */
  admit(ip: string): void {
    const key = addressKey(ip);
    // Both count every request; the cluster's count (one fixed second, read without waiting) joins the local bucket.
    const local = this.perAddress.take(key);
    const cluster = this.sharedRate?.add(key) ?? 0;
    if (local && cluster <= this.perAddress.ratePerSecond) return;
    this.refuse(
      'API_ADDRESS_RATE_LIMITED',
      'RequestLimitExceeded',
      `More than ${this.perAddress.ratePerSecond} requests per second from ${ip}.`,
    );
  }

  /** TC3 verification, the replay cache and the per-SecretId limit; returns the caller's context. */
  async authenticate(req: Tc3Request, ip: string, requestId: string): Promise<ApiContext> {
    const now = this.deps.now();
    const result = await verifyTc3(req, {
      nowSeconds: Math.floor(now / 1000),
      secretKeyOf: (id) => this.deps.credentials.secretKeyOf(id),
    });
    return this.admitVerified(result, now, ip, requestId);
  }

  /** The same for signature v1 (HmacSHA1/HmacSHA256 with a Signature parameter): same delays, replay cache and limits. */
  async authenticateLegacy(req: LegacyRequest, ip: string, requestId: string): Promise<ApiContext> {
    const now = this.deps.now();
    const result = await verifyLegacy(req, {
      nowSeconds: Math.floor(now / 1000),
      secretKeyOf: (id) => this.deps.credentials.secretKeyOf(id),
    });
    return this.admitVerified(result, now, ip, requestId);
  }

  private async admitVerified(result: Tc3Result, now: number, ip: string, requestId: string): Promise<ApiContext> {
    if (!result.ok) {
      this.deps.counters?.countError('API_AUTH_FAILED');
      await this.delayFailure(ip);
      throw new ApiError(result.code, result.message);
    }
    // Before the per-key limit: a replayed capture must not spend its victim's quota.
    const verdict = await this.replay.claim(
      result.signature,
      signatureExpiresAt(result.timestampSeconds, tc3MaxSkewSeconds),
    );
    if (verdict === 'replayed') {
      await this.delayFailure(ip);
      this.refuse(
        'API_SIGNATURE_REPLAYED',
        replayCode,
        'This signature was already used; sign every request anew. Clients that sign only content-type;host give two calls with the same body in the same second one signature: retry after a second, or also sign x-tc-action and a unique x-tc-traceid.',
      );
    }
    if (verdict === 'full') {
      this.refuse(
        'API_REPLAY_CACHE_FULL',
        'RequestLimitExceeded',
        `The server remembers ${this.deps.config.api.replayCacheMaxEntries} recent signatures already; retry in a few seconds.`,
      );
    }
    if (!this.perKey.take(result.secretId)) {
      this.refuse(
        'API_RATE_LIMITED',
        'RequestLimitExceeded',
        `SecretId ${result.secretId} made more than ${this.perKey.ratePerSecond} requests per second.`,
      );
    }
    this.deps.credentials
      .noteUse(result.secretId)
      .catch((err: unknown) => this.deps.log.warn({ err }, 'could not record a credential use'));
    return { requestId, secretId: result.secretId, clientIp: ip, now };
  }

  /** Nothing to release in process; a shared replay cache is closed by its owner. */
  close(): void {
    if (!this.deps.replayCache) this.replay.close();
  }

  /** Counts the refusal and throws it with the Tencent code, openlive's code in the message. */
  private refuse(code: ErrorCode, tencentCode: string, message: string): never {
    this.deps.counters?.countError(code);
    throw new ApiError(tencentCode, `${message} (${code})`);
  }

  /** The random delay of a repeated failure, unless too many already wait (they would pile up sockets). */
  private async delayFailure(ip: string): Promise<void> {
    const key = addressKey(ip);
    const ms = this.failures.fail(key);
    const api = this.deps.config.api;
    const mine = this.waitingBy.get(key) ?? 0;
    if (ms <= 0 || this.waiting >= api.maxDelayedFailures || mine >= api.maxDelayedFailuresPerIp) return;
    this.waiting++;
    this.waitingBy.set(key, mine + 1);
    try {
      await this.sleep(ms);
    } finally {
      this.waiting--;
      const left = (this.waitingBy.get(key) ?? 1) - 1;
      if (left > 0) this.waitingBy.set(key, left);
      else this.waitingBy.delete(key);
    }
  }
}
