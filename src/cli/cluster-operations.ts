/**
 * The cluster operations of a node among others (docs/cluster.md "Operations"): the dead-node sweep of open
 * publish records (with Redis), and the shared counters behind the brute-force delays and the Cloud API's
 * per-address rate (with Redis, and between the worker processes of one machine). One process alone needs
 * none of them: its own counts are the cluster's.
 */
import type { Config } from '../config/config-schema.ts';
import type { Coordinator, SharedCounters } from '../cluster/coordinator.ts';
import { ClusterTally } from '../control/cluster-tally.ts';
import { DeadNodeSweep } from '../control/dead-node-sweep.ts';
import type { Log } from '../log.ts';
import type { ServerCounters } from '../servers/counters.ts';
import type { Store } from '../store/store.ts';

/** What a node of a Redis cluster adds to the single-node service. */
export interface ClusterOperations {
  /** Ends the open publish records of nodes whose Coordinator key expired (Redis only: see clusterOperations). */
  readonly deadNodes: DeadNodeSweep | undefined;
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
  /** This process is one of `--workers N`: its siblings share its counters through the primary. */
  readonly worker?: boolean;
}

/**
 * The operations of a Redis cluster or of worker processes; undefined for one process alone. Workers without
 * Redis share counters but do not sweep: their coordinator knows only this machine's nodes, and a database
 * shared with other machines would have their records ended (the primary ends this machine's at start).
 */
export function clusterOperations(deps: ClusterOperationsDeps): ClusterOperations | undefined {
  const { config, coordinator, log } = deps;
  const redis = config.cluster.redis !== '';
  if (!redis && !deps.worker) return undefined;
  const deadNodes = !redis
    ? undefined
    : new DeadNodeSweep({
        store: deps.store,
        alive: () => coordinator.nodes(),
        self: deps.nodeId,
        now: deps.now,
        // About once per lease: a dead node's records are ended within two leases of its death.
        intervalMs: coordinator.leaseMs,
        onSwept: (node, ended, endedAt) =>
          log.warn({ node, ended, endedAt }, 'ended the open publish records of a node whose cluster lease expired'),
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
