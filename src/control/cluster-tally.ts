/**
 * Counts events of one kind per key (a client address) across every node of a cluster, without making the
 * caller wait: `add` answers at once with the best count this node knows for the current fixed window (the
 * cluster's count from the last reply, plus this node's adds still in flight), and sends the increment to
 * the Coordinator's shared counters in the background. So a client spread over nodes is throttled as one
 * (one in-flight event per node late at most), while a slow or unreachable Redis delays nothing: its
 * failures are counted (`onUnavailable`) and the callers' own local limits still apply.
 */
import type { SharedCounters } from '../cluster/coordinator.ts';

/** How a tally is built. */
export interface ClusterTallyOptions {
  readonly counters: Pick<SharedCounters, 'increment'>;
  /** Names this tally's keys in the shared counters (`fail:`, `api-ip:`). */
  readonly prefix: string;
  /** The length of a counting window. */
  readonly windowMs: number;
  readonly now: () => number;
  /** Keys remembered at most (least recently added forgotten first). */
  readonly maxKeys?: number;
  /** Told of each increment the Coordinator could not take (counted; the local decision stands). */
  readonly onUnavailable: (err: unknown) => void;
}

interface Entry {
  window: number;
  /** The cluster's count in that window, from the latest reply. */
  known: number;
  /** This node's adds in that window whose reply has not come back. */
  pending: number;
}

/** Fixed-window counts per key shared through the Coordinator, read without awaiting it. */
export class ClusterTally {
  readonly #o: ClusterTallyOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #maxKeys: number;

  constructor(options: ClusterTallyOptions) {
    this.#o = options;
    this.#maxKeys = Math.max(1, options.maxKeys ?? 10_000);
  }

  /** Counts one event for `key` and returns the cluster-wide count of this window as far as known now. */
  add(key: string): number {
    const window = Math.floor(this.#o.now() / this.#o.windowMs);
    let entry = this.#entries.get(key);
    if (!entry || entry.window !== window) entry = { window, known: 0, pending: 0 };
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#maxKeys) this.#entries.delete(this.#entries.keys().next().value as string);
    entry.pending++;
    const settled = entry;
    // The window's key outlives it a little (two windows), so late increments of it still land on one key.
    this.#o.counters.increment(`${this.#o.prefix}${key}:${window}`, this.#o.windowMs * 2).then(
      (count) => {
        settled.pending--;
        settled.known = Math.max(settled.known, count);
      },
      (err: unknown) => {
        settled.pending--;
        this.#o.onUnavailable(err);
      },
    );
    return entry.known + entry.pending;
  }

  /** Keys remembered now. */
  get size(): number {
    return this.#entries.size;
  }
}
