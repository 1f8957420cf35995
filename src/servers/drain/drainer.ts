/**
 * The graceful drain of one node (docs/cluster.md "Drain"): stop taking connections, ask the publishers that
 * announced E-RTMP v2 Reconnect to move (to another live node of the registry when there is one), wait for
 * them (bounded by `limits.drainWaitMs`), then close the rest with 10/0 and end every player so it
 * reconnects elsewhere. SIGTERM runs it before the shutdown; `OpenLiveDrainNode` runs it and keeps the
 * process (and its admin API) up, refusing new publishes and plays until it is restarted.
 */
import { LiveError } from '../../errors.ts';
import type { Log } from '../../log.ts';
import type { ClusterNode } from '../../cluster/coordinator.ts';
import type { RtmpConnection } from '../rtmp/rtmp-connection.ts';
import { breakCodes, sentence } from '../../control/break-codes.ts';

/** Where a node is: serving, draining (refusing, publishers moving), drained (refusing, nobody left). */
export type DrainState = 'serving' | 'draining' | 'drained';

/** What a drain did, for the log and the API's answer. */
export interface DrainReport {
  readonly state: DrainState;
  /** The node the reconnect requests named (`tcUrl`), '' when none was known (the encoder reconnects to its own URL). */
  readonly target: string;
  /** Publishers sent NetConnection.Connect.ReconnectRequest. */
  readonly requested: number;
  /** Of those, the ones that left within `limits.drainWaitMs`. */
  readonly moved: number;
  /** Publishers closed with 10/0 (legacy ones, and requested ones that did not leave in time). */
  readonly closed: number;
  /** RTMP and HTTP-FLV players ended. */
  readonly playersEnded: number;
}

/** What the drainer acts on; the Service wires the real parts, unit tests fakes. */
export interface DrainerDeps {
  readonly log: Log;
  readonly nodeId: string;
  /** `limits.drainWaitMs`: how long requested publishers get to reconnect elsewhere before they are closed. */
  readonly waitMs: number;
  /** Closes the RTMP/RTMPS listeners (new sockets are refused); the HTTP gate answers 503 from now on. */
  readonly stopAccepting: () => void;
  /** The live nodes of the registry (this one included); rejected or slow answers mean "none known". */
  readonly nodes: () => Promise<ClusterNode[]>;
  /** The connections publishing now. */
  readonly publishers: () => readonly RtmpConnection[];
  /** Gives this node's cluster claim of a moving stream back, so the node it moves to can take it. */
  readonly releaseClaim: (streamKey: string) => Promise<unknown>;
  /** Ends every remaining player (RTMP connections, HTTP-FLV bodies); answers how many. */
  readonly endPlayers: (reason: LiveError) => number;
  /** Ends the publishers that are left (SRT, WHIP ...) after the RTMP ones; resolves when recorded. */
  readonly endOthers: (breakCode: string, reason: string) => Promise<void>;
  readonly countError: (code: 'SERVER_DRAINING') => void;
}

/** How long the registry may take to name another node before the requests go out without a tcUrl. */
const nodesTimeoutMs = 1000;
/** How often the wait looks whether the requested publishers left. */
const pollMs = 100;

/** One node's drain; `drain()` is idempotent (SIGTERM after the API action waits for the same drain). */
export class Drainer {
  private readonly deps: DrainerDeps;
  private current: DrainState = 'serving';
  private running: Promise<DrainReport> | undefined;

  constructor(deps: DrainerDeps) {
    this.deps = deps;
  }

  /** Where the node is now (/healthz answers 503 `draining` unless `serving`). */
  get state(): DrainState {
    return this.current;
  }

  /** True once a drain began: new publishes and plays are refused with SERVER_DRAINING. */
  get refusing(): boolean {
    return this.current !== 'serving';
  }

  /** The refusal a connection or request gets while the node drains (counted). */
  refusal(): LiveError {
    this.deps.countError('SERVER_DRAINING');
    return new LiveError('SERVER_DRAINING', 'this node is draining (restart or maintenance): connect to another node');
  }

  /** Drains once; `why` goes to the log (SIGTERM, the API action). */
  drain(why: string): Promise<DrainReport> {
    this.running ??= this.run(why);
    return this.running;
  }

  private async run(why: string): Promise<DrainReport> {
    const { log } = this.deps;
    this.current = 'draining';
    this.deps.stopAccepting();
    const target = await this.otherNode();
    log.info(
      { why, target: target?.nodeId ?? '', waitMs: this.deps.waitMs },
      'draining: new connections refused, asking publishers to reconnect',
    );
    const description = target
      ? `the server is draining: reconnect to ${target.advertise}`
      : 'the server is draining: reconnect to the same URL (another node takes it)';
    const requested: RtmpConnection[] = [];
    for (const conn of this.deps.publishers()) {
      const key = conn.publishingKey;
      if (!conn.requestReconnect(target?.advertise, description)) continue;
      requested.push(conn);
      // The claim goes back now: the encoder's new publish on the other node must not meet 18/601.
      if (key !== undefined) await this.deps.releaseClaim(key).catch(() => undefined);
    }
    await this.waitFor(requested);
    const moved = requested.filter((c) => !c.publishes).length;
    const reason = sentence(
      breakCodes.serverStopped,
      'SERVER_DRAINING: the server is draining; publish to another node',
    );
    let closed = 0;
    for (const conn of this.deps.publishers()) if (conn.closeForDrain(reason)) closed++;
    await this.deps.endOthers(breakCodes.serverStopped, reason);
    const playersEnded = this.deps.endPlayers(
      new LiveError('SERVER_DRAINING', 'the server is draining: play from another node'),
    );
    this.current = 'drained';
    const report: DrainReport = {
      state: 'drained',
      target: target?.advertise ?? '',
      requested: requested.length,
      moved,
      closed,
      playersEnded,
    };
    log.info({ ...report }, 'drained');
    return report;
  }

  /** Another live node (not this one, nor a sibling worker of this machine, which drains with it). */
  private async otherNode(): Promise<ClusterNode | undefined> {
    const self = machineOf(this.deps.nodeId);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ClusterNode[]>((resolve) => (timer = setTimeout(() => resolve([]), nodesTimeoutMs)));
    try {
      const nodes = await Promise.race([this.deps.nodes().catch(() => [] as ClusterNode[]), timeout]);
      return nodes
        .filter((n) => machineOf(n.nodeId) !== self && n.advertise !== '')
        .sort((a, b) => a.nodeId.localeCompare(b.nodeId))[0];
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves when none of `conns` publishes any more, or after `waitMs`. */
  private async waitFor(conns: readonly RtmpConnection[]): Promise<void> {
    const deadline = Date.now() + this.deps.waitMs;
    while (conns.some((c) => c.publishes) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(1, deadline - Date.now()))));
    }
  }
}

/** A worker's node id is `<machine>-w<i>` (docs/cluster.md "Worker processes"): its siblings share the machine. */
function machineOf(nodeId: string): string {
  return nodeId.replace(/-w\d+$/, '');
}
