/**
 * The Coordinator on Redis (or Valkey) through ioredis: claims are `SET claim node NX PX lease` with renew and
 * release as compare-and-set Lua scripts, the registry is keys with the same lease, broadcasts go over
 * pub/sub (a node hears its own, so every node acts on one path), counters are INCRBY with PEXPIRE, the
 * TC3 replay cache is `SET NX PXAT`. A node that cannot renew a claim for its lease stops holding it and
 * says so (`onLost`) one renew interval before Redis lets it go, so two nodes never both believe they
 * hold a stream. docs/cluster.md "Coordinator" has the keys, channels and failure cases.
 */
import { performance } from 'node:perf_hooks';
import type * as IoRedis from 'ioredis';
import type { Redis, RedisOptions } from 'ioredis';
import { lazyModule } from '../lazy-module.ts';
import type { Log } from '../log.ts';
import type { ReplayCache, ReplayVerdict } from '../control/tc3-replay-cache.ts';
import {
  deliver,
  parseStreamCommand,
  type ClaimOptions,
  type ClaimResult,
  type ClusterNode,
  type Coordinator,
  type LostReason,
  type SharedCounters,
  type StreamCommand,
  type StreamCommandInput,
  type StreamHolder,
} from './coordinator.ts';
import { claimScript, releaseScript, renewScript } from './redis-scripts.ts';
import { RedisKeys } from './redis-keys.ts';
import { RedisCounters, unavailable } from './redis-counters.ts';
import { parseHolder, parseNode } from './redis-values.ts';

/** ioredis, loaded when a coordinator is built (lazy-module.ts): a single node never loads it. */
const ioredis = lazyModule<typeof IoRedis>('ioredis');

/** How one Redis node is built. */
export interface RedisCoordinatorOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` (cluster.redis). */
  readonly url: string;
  readonly nodeId: string;
  /** `host:port` of this node's RTMP (cluster.advertise), read at each claim and renew. */
  readonly advertise: () => string;
  readonly leaseMs: number;
  /** Key and channel prefix; default `openlive:` (tests give each run its own). */
  readonly prefix?: string;
  /** Wall-clock time for `since` and replay windows; leases run on a monotonic clock, as Redis's do. */
  readonly now?: () => number;
  readonly log?: Log;
  /** Whether this node writes its node key (default true); a CLI that only broadcasts is no node. */
  readonly announce?: boolean;
}

interface Held {
  /** When (monotonic ms) the last successful claim or renew was sent: Redis's lease runs from a moment after it. */
  renewedAt: number;
}

/** One node of a cluster coordinated by Redis. */
export class RedisCoordinator implements Coordinator {
  readonly nodeId: string;
  readonly leaseMs: number;
  readonly counters: SharedCounters;
  /** How often claims and the node key are renewed: four times per lease, so a late timer of up to half a lease is harmless. */
  readonly renewIntervalMs: number;
  private readonly keys: RedisKeys;
  private readonly advertise: () => string;
  private readonly now: () => number;
  private readonly log: Log | undefined;
  private readonly redis: Redis;
  private readonly sub: Redis;
  private readonly heldClaims = new Map<string, Held>();
  /** Claims given up while Redis was unreachable: released (compare-and-set) once it answers again. */
  private readonly stale = new Set<string>();
  private readonly commandListeners = new Set<(command: StreamCommand) => void>();
  private readonly lostListeners = new Set<(stream: string, reason: LostReason) => void>();
  private readonly reconnectListeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private started = false;
  /** Set once start succeeded: connection events before it are start's business. */
  private running = false;
  private closing: Promise<void> | undefined;
  private reachable = true;
  private readonly announce: boolean;
  /** The Redis address for messages, without credentials. */
  private readonly where: string;

  constructor(options: RedisCoordinatorOptions) {
    this.nodeId = options.nodeId;
    this.leaseMs = options.leaseMs;
    this.renewIntervalMs = Math.max(10, Math.floor(options.leaseMs / 4));
    this.keys = new RedisKeys(options.prefix ?? 'openlive:');
    this.advertise = options.advertise;
    this.now = options.now ?? Date.now;
    this.log = options.log;
    this.announce = options.announce ?? true;
    this.where = redactedUrl(options.url);
    const redisOptions: RedisOptions = {
      lazyConnect: true,
      // Fail at once while disconnected rather than queue: a publish waits on a claim, and a queued renew
      // would arrive after its lease. ioredis keeps reconnecting in the background (retryStrategy).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: Math.max(1000, options.leaseMs),
      connectTimeout: Math.max(1000, options.leaseMs),
      retryStrategy: (times) => Math.min(50 * times, 1000),
    };
    const { Redis: RedisClient } = ioredis();
    this.redis = new RedisClient(options.url, redisOptions);
    this.sub = new RedisClient(options.url, redisOptions);
    for (const [name, conn] of [
      ['commands', this.redis],
      ['subscriber', this.sub],
    ] as const) {
      // ioredis emits 'error' on every failed reconnect; the transitions below say it once.
      conn.on('error', () => undefined);
      conn.on('close', () => this.connectionChanged(name, false));
      conn.on('ready', () => this.connectionChanged(name, true));
    }
    this.sub.on('message', (channel: string, text: string) => this.received(channel, text));
    this.counters = new RedisCounters(this.redis, this.keys);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await Promise.all([this.redis.connect(), this.sub.connect()]);
      await this.sub.subscribe(this.keys.channel);
      await this.writeNode();
    } catch (err) {
      this.stopConnections();
      throw unavailable(`could not reach ${this.where} at start`, err);
    }
    this.running = true;
    this.timer = setInterval(() => void this.tick(), this.renewIntervalMs);
    this.timer.unref();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopTimer();
      if (this.redis.status === 'ready') {
        const streams = [...this.heldClaims.keys(), ...this.stale];
        this.heldClaims.clear();
        const goodbye = this.announce ? [this.redis.del(this.keys.node(this.nodeId))] : [];
        await Promise.allSettled([...streams.map((s) => this.releaseInRedis(s)), ...goodbye]);
      }
      await Promise.allSettled([quit(this.sub), quit(this.redis)]);
      this.commandListeners.clear();
      this.lostListeners.clear();
      this.reconnectListeners.clear();
    })();
    return this.closing;
  }

  /** Stops as a killed process would: no release, no goodbye, claims left to expire (tests). */
  abandon(): Promise<void> {
    this.closing ??= (async () => {
      this.stopTimer();
      this.stopConnections();
    })();
    return this.closing;
  }

  async claim(stream: string, options: ClaimOptions = {}): Promise<ClaimResult> {
    const holder: StreamHolder = {
      nodeId: this.nodeId,
      advertise: this.advertise(),
      since: this.now(),
      ...(options.domain !== undefined && { domain: options.domain }),
    };
    const sentAt = performance.now();
    const reply = (await this.call('claim', () =>
      claimScript.run(
        this.redis,
        [this.keys.claim(stream), this.keys.holder(stream)],
        [this.nodeId, this.leaseMs, JSON.stringify(holder)],
      ),
    )) as [number, string | null];
    const [status, entry] = reply;
    const current = parseHolder(entry);
    if (status === 0) return { ok: false, holder: current };
    this.stale.delete(stream);
    this.heldClaims.set(stream, { renewedAt: sentAt });
    return { ok: true, holder: current ?? holder, renewed: status === 2 };
  }

  async release(stream: string): Promise<boolean> {
    this.heldClaims.delete(stream);
    this.stale.delete(stream);
    return (await this.call('release', () => this.releaseInRedis(stream))) === 1;
  }

  async holder(stream: string): Promise<StreamHolder | undefined> {
    return parseHolder(await this.call('lookup', () => this.redis.get(this.keys.holder(stream))));
  }

  async holders(): Promise<Map<string, StreamHolder>> {
    const entries = await this.scanValues(this.keys.holderPattern);
    const out = new Map<string, StreamHolder>();
    for (const [key, value] of entries) {
      const holder = parseHolder(value);
      if (holder) out.set(this.keys.streamOfHolder(key), holder);
    }
    return out;
  }

  async nodes(): Promise<ClusterNode[]> {
    const entries = await this.scanValues(this.keys.nodePattern);
    return entries.map(([, value]) => parseNode(value)).filter((n): n is ClusterNode => n !== undefined);
  }

  held(): string[] {
    return [...this.heldClaims.keys()];
  }

  async broadcast(command: StreamCommandInput): Promise<void> {
    const stamped = { ...command, from: this.nodeId };
    await this.call('broadcast', () => this.redis.publish(this.keys.channel, JSON.stringify(stamped)));
  }

  onCommand(listener: (command: StreamCommand) => void): () => void {
    this.commandListeners.add(listener);
    return () => this.commandListeners.delete(listener);
  }

  onLost(listener: (stream: string, reason: LostReason) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  replayCache(): ReplayCache {
    return {
      claim: async (signature: string, expiresAtMs: number): Promise<ReplayVerdict> => {
        // Already past its window: nothing to remember (as the in-process cache).
        if (expiresAtMs <= this.now()) return 'fresh';
        const set = await this.call('replay claim', () =>
          this.redis.set(this.keys.replay(signature), '1', 'PXAT', expiresAtMs, 'NX'),
        );
        return set === 'OK' ? 'fresh' : 'replayed';
      },
      // The connection is the coordinator's; Redis forgets each signature at its PXAT.
      close: () => undefined,
    };
  }

  /**
   * One renew round: first give up claims whose lease would run out before the next round (Redis
   * unreachable), then renew the rest and the node key.
   */
  private async tick(): Promise<void> {
    if (this.closing) return;
    const now = performance.now();
    // Outside the in-flight guard: a renew hanging on a half-open connection must not delay this.
    for (const [stream, held] of this.heldClaims) {
      if (now - held.renewedAt + this.renewIntervalMs >= this.leaseMs) this.lose(stream, 'unreachable');
    }
    if (this.ticking || this.redis.status !== 'ready') return;
    this.ticking = true;
    try {
      for (const stream of [...this.stale]) {
        this.stale.delete(stream);
        void this.releaseInRedis(stream).catch(() => this.stale.add(stream));
      }
      const renewing = [...this.heldClaims.keys()].map(async (stream) => {
        const result = await renewScript.run(
          this.redis,
          [this.keys.claim(stream), this.keys.holder(stream)],
          [this.nodeId, this.leaseMs],
        );
        const held = this.heldClaims.get(stream);
        if (!held) return;
        if (result === 1) held.renewedAt = Math.max(held.renewedAt, now);
        else this.lose(stream, 'expired');
      });
      await Promise.allSettled([...renewing, this.writeNode()]);
    } finally {
      this.ticking = false;
    }
  }

  private lose(stream: string, reason: LostReason): void {
    if (!this.heldClaims.delete(stream)) return;
    if (reason === 'unreachable') this.stale.add(stream);
    this.log?.warn(
      { stream, reason, code: 'COORDINATOR_LEASE_LOST', leaseMs: this.leaseMs },
      "this node no longer holds the stream's cluster claim",
    );
    deliver(this.lostListeners, [stream, reason], (err) => this.log?.error({ err }, 'a lost-claim listener failed'));
  }

  private writeNode(): Promise<unknown> {
    if (!this.announce) return Promise.resolve();
    const node: ClusterNode = { nodeId: this.nodeId, advertise: this.advertise() };
    return this.redis.set(this.keys.node(this.nodeId), JSON.stringify(node), 'PX', this.leaseMs);
  }

  private releaseInRedis(stream: string): Promise<unknown> {
    return releaseScript.run(this.redis, [this.keys.claim(stream), this.keys.holder(stream)], [this.nodeId]);
  }

  private received(channel: string, text: string): void {
    if (channel !== this.keys.channel) return;
    const command = parseStreamCommand(text);
    if (!command) return void this.log?.warn({ channel }, 'ignored a malformed cluster broadcast');
    deliver(this.commandListeners, [command], (err) => this.log?.error({ err }, 'a cluster broadcast listener failed'));
  }

  /** The values of every key matching `pattern` (SCAN, then MGET in batches). */
  private async scanValues(pattern: string): Promise<[string, string][]> {
    return this.call('scan', async () => {
      const out: [string, string][] = [];
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        if (keys.length === 0) continue;
        const values = await this.redis.mget(...keys);
        keys.forEach((key, i) => {
          const value = values[i];
          if (typeof value === 'string') out.push([key, value]);
        });
      } while (cursor !== '0');
      return out;
    });
  }

  /** Runs a Redis call, turning every failure (disconnected, timed out, closed) into COORDINATOR_UNAVAILABLE. */
  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    if (!this.started || this.closing) throw unavailable(`${what}: the coordinator is not running`);
    try {
      return await run();
    } catch (err) {
      throw unavailable(`${what} failed`, err);
    }
  }

  private connectionChanged(name: string, up: boolean): void {
    if (this.closing || !this.running) return;
    const reachable = this.redis.status === 'ready' && this.sub.status === 'ready';
    if (reachable === this.reachable) return;
    this.reachable = reachable;
    if (up) {
      this.log?.info({ connection: name }, 'Redis reachable again');
      deliver(this.reconnectListeners, [], (err) => this.log?.error({ err }, 'a reconnect listener failed'));
    } else
      this.log?.warn(
        { connection: name, code: 'COORDINATOR_UNAVAILABLE', leaseMs: this.leaseMs },
        'lost the connection to Redis; reconnecting',
      );
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private stopConnections(): void {
    this.redis.disconnect();
    this.sub.disconnect();
  }
}

/** `redis://host:port/db` without user and password, for logs and errors. */
function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'Redis';
  }
}

async function quit(conn: Redis): Promise<void> {
  if (conn.status === 'ready') {
    await conn.quit().catch(() => undefined);
  }
  conn.disconnect();
}
