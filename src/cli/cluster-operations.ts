/**
 * The cluster operations a node runs only with Redis (docs/cluster.md "Operations"): the dead-node sweep of
 * open publish records, and the shared counters behind the brute-force delays and the Cloud API's
 * per-address rate. The in-process default needs none of them (one node: its own counts are the cluster's).
 */
import type { Config } from './config-schema.ts';
import type { Coordinator, SharedCounters } from '../cluster/coordinator.ts';
import { ClusterTally } from '../control/cluster-tally.ts';
import { DeadNodeSweep } from '../control/dead-node-sweep.ts';
import type { Log } from '../log.ts';
import type { ServerCounters } from '../servers/counters.ts';
import type { Store } from '../store/store.ts';

/** What a node of a Redis cluster adds to the single-node service. */
export interface ClusterOperations {
  /** Ends the open publish records of nodes whose Coordinator key expired. */
  readonly deadNodes: DeadNodeSweep;
  /** The Coordinator's counters, for the Cloud API guard. */
  readonly sharedCounters: SharedCounters;
  /** Signature failures per client address across the cluster (the RTMP brute-force delay). */
  readonly failureTally: ClusterTally;
}

/** The parts the operations reach. */
export interface ClusterOperationsDeps {
  readonly config: Pick<Config, 'cluster'>;
  readonly coordinator: Coordinator;
  readonly store: Store;
  readonly nodeId: string;
  readonly now: () => number;
  readonly counters: Pick<ServerCounters, 'countError'>;
  readonly log: Log;
}

/** The operations of a Redis cluster; undefined for the in-process default (it would see only itself alive). */
export function clusterOperations(deps: ClusterOperationsDeps): ClusterOperations | undefined {
  const { config, coordinator, log } = deps;
  if (config.cluster.redis === '') return undefined;
  const deadNodes = new DeadNodeSweep({
    store: deps.store,
    alive: () => coordinator.nodes(),
    self: deps.nodeId,
    now: deps.now,
    // About once per lease: a dead node's records are ended within two leases of its death.
    intervalMs: coordinator.leaseMs,
    onSwept: (node, ended, endedAt) => log.warn({ node, ended, endedAt }, 'ended the open publish records of a node whose cluster lease expired'),
    onError: (err) => log.warn({ err }, 'could not sweep the records of dead nodes'),
  });
  const failureTally = new ClusterTally({
    counters: coordinator.counters,
    prefix: 'fail:',
    // FailureDelay's half-life: a fixed window of it stands for the decayed score across nodes.
    windowMs: 60_000,
    now: deps.now,
    onUnavailable: () => deps.counters.countError('COORDINATOR_COUNTERS_UNAVAILABLE'),
  });
  return { deadNodes, sharedCounters: coordinator.counters, failureTally };
}
