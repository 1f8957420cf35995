/**
 * Ends the open publish records of cluster nodes that died (docs/cluster.md "Operations"): a node killed
 * with its streams live leaves their records open, and it may never start again to close them itself.
 * Every `intervalMs` (about one lease) each node compares the node ids owning open records with the nodes
 * alive in the Coordinator; a node whose key expired is dead, and its records are ended with break code 5.
 * Ending is idempotent (`ended_at IS NULL`), so two nodes sweeping at once end each record once.
 */
import type { Store } from '../store/store.ts';
import { breakCodes, sentence } from './break-codes.ts';

/** The reason a swept record carries (also the errmsg a reader of the records sees). */
export function deadNodeReason(deadNode: string, sweeper: string): string {
  return sentence(
    breakCodes.internalError,
    `node ${deadNode} stopped while this stream was live (its cluster lease expired); ended by node ${sweeper}`,
  );
}

/** A repeating timer, injected so tests sweep by hand. */
export type Every = (run: () => void, ms: number) => { clear(): void };

/** How the sweep is built. */
export interface DeadNodeSweepOptions {
  readonly store: Pick<Store, 'listOpenPublishNodes' | 'endOpenPublishRecords'>;
  /** The node ids alive now (Coordinator.nodes()). */
  readonly alive: () => Promise<readonly { readonly nodeId: string }[]>;
  /** This node's id: its own records are never swept (it closes them itself). */
  readonly self: string;
  readonly now: () => number;
  readonly intervalMs: number;
  readonly every?: Every;
  /** Told of each dead node whose records were ended. */
  readonly onSwept?: (nodeId: string, ended: number, endedAt: number) => void;
  readonly onError: (err: unknown) => void;
}

const defaultEvery: Every = (run, ms) => {
  const timer = setInterval(run, ms);
  timer.unref();
  return { clear: () => clearInterval(timer) };
};

/** The periodic dead-node sweep; start() sweeps at once, then every interval. */
export class DeadNodeSweep {
  readonly #o: DeadNodeSweepOptions;
  /** When each node was last seen alive by this sweep: the end time of its records once it is gone. */
  readonly #lastSeen = new Map<string, number>();
  #timer: { clear(): void } | undefined;
  #running: Promise<number> | undefined;
  #closed = false;

  constructor(options: DeadNodeSweepOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#timer || this.#closed) return;
    const run = (): void => void this.sweep().catch(this.#o.onError);
    this.#timer = (this.#o.every ?? defaultEvery)(run, this.#o.intervalMs);
    run();
  }

  close(): void {
    this.#closed = true;
    this.#timer?.clear();
    this.#timer = undefined;
  }

  /** One sweep (never two at once); resolves to the number of records it ended. */
  sweep(): Promise<number> {
    this.#running ??= this.#sweep().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #sweep(): Promise<number> {
    // Owners first, then the live nodes: a node announces itself before it writes a record, so an owner
    // missing from the later list has died (or lost Redis for a whole lease, which also drops its publishers).
    const owners = await this.#o.store.listOpenPublishNodes();
    const now = this.#o.now();
    const alive = new Set((await this.#o.alive()).map((n) => n.nodeId));
    for (const id of alive) this.#lastSeen.set(id, now);
    let total = 0;
    for (const owner of owners) {
      if (owner === this.#o.self || alive.has(owner) || this.#closed) continue;
      // The last moment it was known alive; a node this one never saw alive (it died before this one
      // started) gets the sweep time, as a restart's recovery would.
      const endedAt = this.#lastSeen.get(owner) ?? now;
      const ended = await this.#o.store.endOpenPublishRecords(
        { endedAt, breakCode: breakCodes.internalError, reason: deadNodeReason(owner, this.#o.self), bytesIn: 0 },
        owner,
      );
      this.#lastSeen.delete(owner);
      total += ended;
      if (ended > 0) this.#o.onSwept?.(owner, ended, endedAt);
    }
    // Forget nodes that are gone and own nothing: the table stays as small as the cluster.
    for (const id of this.#lastSeen.keys()) if (!alive.has(id)) this.#lastSeen.delete(id);
    return total;
  }
}
