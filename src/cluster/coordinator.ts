/**
 * The Coordinator: what the nodes of a cluster agree on, kept by an engine made for it (Redis) or, for
 * one process, in memory. It holds the publisher claim of each stream with a lease the holder renews, the
 * registry of which node holds which stream (and where that node's RTMP is reached), the broadcast of
 * stream commands (drop / forbid / resume) to every node, shared counters with expiry and the TC3 replay
 * cache. Adapters: memory-coordinator.ts (default), redis-coordinator.ts; test/coordinator-conformance.ts
 * is the behaviour both have. docs/cluster.md "Coordinator" has the keys, channels and failure cases.
 */
import type { ReplayCache } from '../control/tc3-replay-cache.ts';

/** Who holds a stream: the registry entry a claim writes, with the holder's lease. */
export interface StreamHolder {
  readonly nodeId: string;
  /** `host:port` of the holder's RTMP listener (`cluster.advertise`), for origin/edge pulls. */
  readonly advertise: string;
  /** When the claim was taken (Unix ms, the holder's clock). */
  readonly since: number;
  /** The push domain the admission decision attributed the publish to, when the caller named it. */
  readonly domain?: string;
}

/** A node of the cluster that is alive (its node key is renewed like a claim). */
export interface ClusterNode {
  readonly nodeId: string;
  readonly advertise: string;
}

/** The answer to a claim: taken (or already ours), or held by another node. */
export type ClaimResult =
  | { readonly ok: true; readonly holder: StreamHolder; readonly renewed: boolean }
  | { readonly ok: false; readonly holder: StreamHolder | undefined };

/** What a claim may carry into the registry. */
export interface ClaimOptions {
  readonly domain?: string;
}

/** Why this node stopped holding a claim it did not release. */
export type LostReason =
  /** A renew found the key gone or held by another node (it expired while this node was slow or cut off). */
  | 'expired'
  /** The coordinator could not renew for longer than the lease: another node may hold it by now. */
  | 'unreachable';

/**
 * A stream command broadcast to every node, the sender's own included (one path: each node's subscriber
 * acts on its local publisher). `domain` empty means every domain.
 */
export type StreamCommand =
  | {
      readonly kind: 'drop';
      readonly app: string;
      readonly stream: string;
      readonly domain: string;
      readonly from: string;
    }
  | {
      readonly kind: 'forbid';
      readonly app: string;
      readonly stream: string;
      readonly domain: string;
      readonly until: number;
      readonly reason: string;
      readonly from: string;
    }
  | {
      readonly kind: 'resume';
      readonly app: string;
      readonly stream: string;
      readonly domain: string;
      readonly from: string;
    }
  /**
   * The replace policy across nodes (21/102): a signed newcomer on node `from` asks the holder to drop its
   * publisher, then claims the stream once the holder's lease is given back. `clientIp` is the newcomer's.
   */
  | {
      readonly kind: 'replace';
      readonly app: string;
      readonly stream: string;
      readonly domain: string;
      readonly clientIp: string;
      readonly from: string;
    };

/** A stream command before the coordinator stamps it with the sending node. */
export type StreamCommandInput = DistributiveOmit<StreamCommand, 'from'>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Counters shared by every node, each with an expiry: fixed windows of failures or requests. */
export interface SharedCounters {
  /** Adds `by` (default 1) to `key` and returns the new count; a new key expires `ttlMs` after its first increment. */
  increment(key: string, ttlMs: number, by?: number): Promise<number>;
  /** The count of `key` now; 0 when it never was or has expired. */
  count(key: string): Promise<number>;
}

/** The cluster's shared state, as one node sees it. Every adapter passes test/coordinator-conformance.ts. */
export interface Coordinator {
  /** This node (`cluster.nodeId`). */
  readonly nodeId: string;
  /** The lease of claims and of the node key (`cluster.leaseMs`). */
  readonly leaseMs: number;
  /** Connects and subscribes; rejects with COORDINATOR_UNAVAILABLE when the engine cannot be reached. */
  start(): Promise<void>;
  /** Stops renewing, releases this node's claims (best effort), unsubscribes and disconnects; idempotent. */
  close(): Promise<void>;
  /**
   * Takes the publisher claim of `stream` (a hub stream key, `app/stream`) for this node, atomically, with a
   * lease this coordinator renews until `release`; a claim this node already holds is renewed (`renewed`).
   * Rejects with COORDINATOR_UNAVAILABLE when the engine cannot be reached (refuse the publish: 18/100).
   */
  claim(stream: string, options?: ClaimOptions): Promise<ClaimResult>;
  /** Gives up this node's claim of `stream` (compare-and-set: only the holder's release counts); false if it held none. */
  release(stream: string): Promise<boolean>;
  /** The holder of `stream` now, if any. */
  holder(stream: string): Promise<StreamHolder | undefined>;
  /** Every claimed stream with its holder (cluster-wide online list). */
  holders(): Promise<Map<string, StreamHolder>>;
  /** Nodes alive now (their node key not expired), this one included once started. */
  nodes(): Promise<ClusterNode[]>;
  /** Streams this node holds now, as far as it knows. */
  held(): string[];
  /** Sends `command` to every node's subscribers, this node's too. */
  broadcast(command: StreamCommandInput): Promise<void>;
  /** Calls `listener` for every broadcast received; returns the unsubscribe. */
  onCommand(listener: (command: StreamCommand) => void): () => void;
  /** Calls `listener` when this node stops holding a claim it did not release; returns the unsubscribe. */
  onLost(listener: (stream: string, reason: LostReason) => void): () => void;
  /**
   * Calls `listener` when the engine is reachable again after an outage: broadcasts sent meanwhile were
   * missed (pub/sub keeps nothing), so the node re-reads what they would have said. Returns the unsubscribe.
   */
  onReconnect(listener: () => void): () => void;
  /** Counters shared with every node. */
  readonly counters: SharedCounters;
  /** The TC3 replay cache of the cluster: a signature used on one node is refused on every other. */
  replayCache(maxEntries: number): ReplayCache;
}

/**
 * The claim key of a stream: `AppName/StreamName`, the same as the hub's streamKey (servers/stream-key.ts),
 * so admission's claim and stream control's registry lookup name one key.
 */
export function streamClaimKey(app: string, stream: string): string {
  return `${app}/${stream}`;
}

const kinds = new Set(['drop', 'forbid', 'resume', 'replace']);

/** Reads a broadcast off the wire; undefined for anything that is not a well-formed stream command. */
export function parseStreamCommand(text: string): StreamCommand | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.kind !== 'string' || !kinds.has(v.kind)) return undefined;
  for (const field of ['app', 'stream', 'domain', 'from']) if (typeof v[field] !== 'string') return undefined;
  if (v.kind === 'forbid' && (typeof v.until !== 'number' || typeof v.reason !== 'string')) return undefined;
  if (v.kind === 'replace' && typeof v.clientIp !== 'string') return undefined;
  return v as unknown as StreamCommand;
}

/** Calls each listener, so one that throws neither stops the others nor the coordinator. */
export function deliver<A extends unknown[]>(
  listeners: Iterable<(...args: A) => void>,
  args: A,
  onError: (err: unknown) => void,
): void {
  for (const listener of [...listeners]) {
    try {
      listener(...args);
    } catch (err) {
      onError(err);
    }
  }
}
