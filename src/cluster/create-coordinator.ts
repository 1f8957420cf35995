/**
 * Builds the Coordinator the configuration asks for: Redis when `cluster.redis` is set, else the in-process
 * one. service.ts calls it once; the CLI calls it to broadcast a forbid to a running cluster.
 */
import { hostname } from 'node:os';
import type { Config } from '../config/config-schema.ts';
import type { Log } from '../log.ts';
import type { Coordinator } from './coordinator.ts';
import { MemoryCluster, MemoryCoordinator } from './memory-coordinator.ts';
import { RedisCoordinator } from './redis-coordinator.ts';
import { resolveNodeId } from './node-id.ts';

/** What the factory needs besides the configuration. */
export interface CoordinatorDeps {
  readonly now?: () => number;
  readonly log?: Log;
  /** The RTMP port actually bound (0 in config picks one at start); read at each claim. */
  readonly rtmpPort?: () => number;
  /** Key prefix of the Redis adapter (tests); default `openlive:`. */
  readonly prefix?: string;
  /** The in-process cluster to join (tests with several in-process nodes); default a new one. */
  readonly memoryCluster?: MemoryCluster;
  /** This node's RTMP address for others, read at each claim (a worker's private listener); default advertiseOf. */
  readonly advertise?: () => string;
  /** False for a process that only sends commands (the CLI): it writes no node key. */
  readonly announce?: boolean;
  /** The node id service.ts resolved once (the store and the logs use the same); default nodeIdOf(config). */
  readonly nodeId?: string;
}

/** `cluster.nodeId`, or the hostname when it is empty (stable across restarts: cluster/node-id.ts says why). */
export function nodeIdOf(config: Pick<Config, 'cluster'>): string {
  return resolveNodeId(config.cluster.nodeId);
}

/** `cluster.advertise`, or this node's RTMP host (the hostname for a wildcard listen address) and port. */
export function advertiseOf(config: Pick<Config, 'cluster' | 'rtmp'>, rtmpPort: number): string {
  if (config.cluster.advertise) return config.cluster.advertise;
  const host = ['', '0.0.0.0', '::', '[::]'].includes(config.rtmp.host) ? hostname() : config.rtmp.host;
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${rtmpPort}`;
}

/** The Coordinator of `config.cluster`; not started (the caller's start() does that before its listeners). */
export function createCoordinator(config: Pick<Config, 'cluster' | 'rtmp'>, deps: CoordinatorDeps = {}): Coordinator {
  const nodeId = deps.nodeId ?? nodeIdOf(config);
  const advertise = deps.advertise ?? ((): string => advertiseOf(config, deps.rtmpPort?.() || config.rtmp.port));
  const leaseMs = config.cluster.leaseMs;
  if (config.cluster.redis === '') {
    const onListenerError = (err: unknown): void => deps.log?.error({ err }, 'a stream command listener failed');
    return new MemoryCoordinator({
      cluster: deps.memoryCluster ?? new MemoryCluster(deps.now),
      nodeId,
      advertise,
      leaseMs,
      onListenerError,
    });
  }
  return new RedisCoordinator({
    url: config.cluster.redis,
    nodeId,
    advertise,
    leaseMs,
    ...(deps.prefix !== undefined && { prefix: deps.prefix }),
    ...(deps.announce !== undefined && { announce: deps.announce }),
    ...(deps.now && { now: deps.now }),
    ...(deps.log && { log: deps.log.child({ layer: 'cluster' }) }),
  });
}
