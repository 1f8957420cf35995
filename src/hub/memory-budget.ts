/**
 * The process-wide memory budget: the bytes held by subscriber queues, GOP caches, HLS segments and
 * partial RTMP messages, kept as running sums where bytes enter and leave (O(1) per message) and read
 * only when a player or publisher asks to join. Past the budget new ones are refused with
 * MEMORY_BUDGET_EXCEEDED, so a flood of readers or partial messages costs refusals, not the process.
 */
import { LiveError } from '../errors.ts';

/** What asks for memory: a new player (any transport) or a new publisher. */
export type MemoryClaim = 'play' | 'publish';

/** A running byte count that one part keeps up to date itself (`tally.bytes += n` in, `-= n` out). */
export interface MemoryTally {
  bytes: number;
}

/** A snapshot for /metrics: bytes per source, their total, the limit and refusals so far. */
export interface MemoryBudgetStats {
  readonly limitBytes: number;
  readonly usedBytes: number;
  readonly sources: ReadonlyMap<string, number>;
  readonly refusals: Readonly<Record<MemoryClaim, number>>;
}

/** The fraction of V8's heap limit the budget defaults to (`limits.memoryBudgetBytes: 0`). */
export const autoBudgetFraction = 0.25;

/** The default budget: a quarter of the heap limit, which Node sizes from the machine (and --max-old-space-size). */
export function autoMemoryBudget(heapSizeLimit: number): number {
  return Math.max(64 * 1024 * 1024, Math.floor(heapSizeLimit * autoBudgetFraction));
}

/** One per process, shared by the hub and the servers; `admit()` is the only check. */
export class MemoryBudget {
  readonly limitBytes: number;
  readonly #sources = new Map<string, () => number>();
  readonly #refusals: Record<MemoryClaim, number> = { play: 0, publish: 0 };

  constructor(limitBytes: number) {
    if (!Number.isSafeInteger(limitBytes) || limitBytes < 1) {
      throw new LiveError('CONFIG_INVALID', `memory budget must be a positive integer of bytes, got ${limitBytes}`);
    }
    this.limitBytes = limitBytes;
  }

  /** Adds a source read at check and scrape time; it must itself be O(1) or O(streams), never O(bytes). */
  addSource(name: string, read: () => number): void {
    this.#sources.set(name, read);
  }

  /** A new tally the caller keeps up to date, registered as source `name` (replacing one of that name). */
  tally(name: string): MemoryTally {
    const tally: MemoryTally = { bytes: 0 };
    this.addSource(name, () => tally.bytes);
    return tally;
  }

  /** Bytes held by all sources now. */
  used(): number {
    let total = 0;
    for (const read of this.#sources.values()) total += read();
    return total;
  }

  /** Throws MEMORY_BUDGET_EXCEEDED (kind limit) when the sources hold the budget or more; counts the refusal. */
  admit(what: MemoryClaim): void {
    const used = this.used();
    if (used < this.limitBytes) return;
    this.#refusals[what]++;
    throw new LiveError(
      'MEMORY_BUDGET_EXCEEDED',
      `the server holds ${used} bytes of media for players and publishers (limits.memoryBudgetBytes ${this.limitBytes}); new ${what === 'play' ? 'players' : 'publishers'} are refused until it falls`,
    );
  }

  /** A snapshot for /metrics. */
  stats(): MemoryBudgetStats {
    const sources = new Map<string, number>();
    let used = 0;
    for (const [name, read] of this.#sources) {
      const bytes = read();
      sources.set(name, bytes);
      used += bytes;
    }
    return { limitBytes: this.limitBytes, usedBytes: used, sources, refusals: { ...this.#refusals } };
  }
}
