/**
 * The in-process Coordinator (the default: one process, no network). A MemoryCluster is the shared state
 * that Redis holds for a real cluster; each MemoryCoordinator is one node on it. In one process a holder
 * cannot die without its cluster, so a claim lasts while its node is open: the lease only runs once the
 * node is gone (`abandon()`, a test's stand-in for kill -9), measured on the injected clock. Claims are
 * therefore never lost here, and broadcasts are delivered synchronously, before `broadcast` resolves.
 */
import { LiveError } from '../errors.ts';
import { MemoryReplayCache, type ReplayCache, type ReplayVerdict } from '../control/tc3-replay-cache.ts';
import {
  deliver,
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

interface Claim {
  readonly holder: StreamHolder;
  readonly owner: MemoryCoordinator;
}

interface Count {
  value: number;
  readonly expiresAt: number;
}

/** The state every MemoryCoordinator of one process shares, on one clock. */
export class MemoryCluster {
  readonly now: () => number;
  /** @internal */ readonly claims = new Map<string, Claim>();
  /** @internal */ readonly members = new Set<MemoryCoordinator>();
  /** @internal */ readonly counts = new Map<string, Count>();
  private replay: MemoryReplayCache | undefined;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** @internal The claim of `stream` while its node is open or its lease has not run out since the node went. */
  live(stream: string): Claim | undefined {
    const claim = this.claims.get(stream);
    if (claim && !claim.owner.alive(this.now())) {
      this.claims.delete(stream);
      return undefined;
    }
    return claim;
  }

  /** @internal One replay cache for the whole cluster, sized by the first node that asks. */
  replayCache(maxEntries: number): MemoryReplayCache {
    this.replay ??= new MemoryReplayCache({ now: this.now, maxEntries });
    return this.replay;
  }
}

/** How one in-process node is built. */
export interface MemoryCoordinatorOptions {
  readonly cluster: MemoryCluster;
  readonly nodeId: string;
  /** `host:port` of this node's RTMP (cluster.advertise), read at each claim: the port may be picked at start. */
  readonly advertise: () => string;
  readonly leaseMs: number;
  readonly onListenerError?: (err: unknown) => void;
}

/** One node of a MemoryCluster. */
export class MemoryCoordinator implements Coordinator {
  readonly nodeId: string;
  readonly leaseMs: number;
  readonly counters: SharedCounters;
  private readonly cluster: MemoryCluster;
  private readonly advertise: () => string;
  private readonly onListenerError: (err: unknown) => void;
  private readonly commandListeners = new Set<(command: StreamCommand) => void>();
  private readonly lostListeners = new Set<(stream: string, reason: LostReason) => void>();
  /** When this node went (closed or abandoned); its claims last a lease after it. */
  private goneAt: number | undefined;

  constructor(options: MemoryCoordinatorOptions) {
    this.cluster = options.cluster;
    this.nodeId = options.nodeId;
    this.leaseMs = options.leaseMs;
    this.advertise = options.advertise;
    this.onListenerError = options.onListenerError ?? (() => undefined);
    this.counters = new MemoryCounters(this.cluster);
  }

  /** @internal True while this node's claims still hold at `now`. */
  alive(now: number): boolean {
    return this.goneAt === undefined ? this.cluster.members.has(this) : now < this.goneAt + this.leaseMs;
  }

  start(): Promise<void> {
    if (this.goneAt === undefined) this.cluster.members.add(this);
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.goneAt !== undefined) return Promise.resolve();
    for (const stream of this.held()) this.cluster.claims.delete(stream);
    this.leave();
    return Promise.resolve();
  }

  /** Stops as a killed process would: claims stay until their lease runs out on the cluster's clock (tests). */
  abandon(): Promise<void> {
    if (this.goneAt === undefined) this.leave();
    return Promise.resolve();
  }

  claim(stream: string, options: ClaimOptions = {}): Promise<ClaimResult> {
    if (!this.cluster.members.has(this)) return Promise.reject(notStarted());
    // Checked and taken in one synchronous step: no await between them (docs/cluster.md).
    const current = this.cluster.live(stream);
    if (current) {
      return Promise.resolve(
        current.owner === this
          ? { ok: true, holder: current.holder, renewed: true }
          : { ok: false, holder: current.holder },
      );
    }
    const holder: StreamHolder = {
      nodeId: this.nodeId,
      advertise: this.advertise(),
      since: this.cluster.now(),
      ...(options.domain !== undefined && { domain: options.domain }),
    };
    this.cluster.claims.set(stream, { holder, owner: this });
    return Promise.resolve({ ok: true, holder, renewed: false });
  }

  release(stream: string): Promise<boolean> {
    const current = this.cluster.live(stream);
    if (current?.owner !== this) return Promise.resolve(false);
    this.cluster.claims.delete(stream);
    return Promise.resolve(true);
  }

  holder(stream: string): Promise<StreamHolder | undefined> {
    return Promise.resolve(this.cluster.live(stream)?.holder);
  }

  holders(): Promise<Map<string, StreamHolder>> {
    const out = new Map<string, StreamHolder>();
    for (const stream of [...this.cluster.claims.keys()]) {
      const claim = this.cluster.live(stream);
      if (claim) out.set(stream, claim.holder);
    }
    return Promise.resolve(out);
  }

  nodes(): Promise<ClusterNode[]> {
    return Promise.resolve([...this.cluster.members].map((m) => ({ nodeId: m.nodeId, advertise: m.advertise() })));
  }

  held(): string[] {
    return [...this.cluster.claims].filter(([, c]) => c.owner === this).map(([stream]) => stream);
  }

  broadcast(command: StreamCommandInput): Promise<void> {
    if (!this.cluster.members.has(this)) return Promise.reject(notStarted());
    const stamped = { ...command, from: this.nodeId } as StreamCommand;
    for (const member of [...this.cluster.members]) member.receive(stamped);
    return Promise.resolve();
  }

  /** @internal */
  receive(command: StreamCommand): void {
    deliver(this.commandListeners, [command], this.onListenerError);
  }

  onCommand(listener: (command: StreamCommand) => void): () => void {
    this.commandListeners.add(listener);
    return () => this.commandListeners.delete(listener);
  }

  onLost(listener: (stream: string, reason: LostReason) => void): () => void {
    // In one process a claim is never lost (see the file comment); kept for the interface.
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  onReconnect(): () => void {
    // Nothing to reconnect to in one process.
    return () => undefined;
  }

  replayCache(maxEntries: number): ReplayCache {
    const shared = this.cluster.replayCache(maxEntries);
    // Closing one node's API must not forget the signatures the other nodes rely on.
    return {
      claim: (signature: string, expiresAtMs: number): ReplayVerdict => shared.claim(signature, expiresAtMs),
      close: () => undefined,
    };
  }

  private leave(): void {
    this.goneAt = this.cluster.now();
    this.cluster.members.delete(this);
    this.commandListeners.clear();
    this.lostListeners.clear();
  }
}

/** Fixed-window counters on the cluster's clock. */
class MemoryCounters implements SharedCounters {
  private readonly cluster: MemoryCluster;
  constructor(cluster: MemoryCluster) {
    this.cluster = cluster;
  }

  increment(key: string, ttlMs: number, by = 1): Promise<number> {
    const now = this.cluster.now();
    this.sweep(now);
    let count = this.cluster.counts.get(key);
    if (!count || count.expiresAt <= now) {
      count = { value: 0, expiresAt: now + ttlMs };
      this.cluster.counts.set(key, count);
    }
    count.value += by;
    return Promise.resolve(count.value);
  }

  count(key: string): Promise<number> {
    const count = this.cluster.counts.get(key);
    return Promise.resolve(count && count.expiresAt > this.cluster.now() ? count.value : 0);
  }

  /** Drops a few expired counters from the old end per call, so the table does not keep dead keys. */
  private sweep(now: number): void {
    let visited = 0;
    for (const [key, count] of this.cluster.counts) {
      if (visited++ >= 2) break;
      if (count.expiresAt <= now) this.cluster.counts.delete(key);
    }
  }
}

function notStarted(): LiveError {
  return new LiveError('COORDINATOR_UNAVAILABLE', 'the coordinator is not started (or already closed)');
}
