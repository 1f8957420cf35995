/** The bounded wait of a player that arrived before its publisher. */
import type { HubTimers } from './hub-options.ts';

interface Waiter {
  readonly resolve: (live: boolean) => void;
  readonly timer: unknown;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/** Pending `waitForPublisher()` promises of one subscriber, each with its own timeout and signal. */
export class PublisherWaiters {
  readonly #timers: HubTimers;
  #waiters: Set<Waiter> | undefined;

  constructor(timers: HubTimers) {
    this.#timers = timers;
  }

  /** Resolves with the value of the next `settle()`, or false after `timeoutMs` or on abort. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve,
        signal,
        timer: this.#timers.setTimeout(() => this.#finish(waiter, false), timeoutMs),
        onAbort: () => this.#finish(waiter, false),
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      (this.#waiters ??= new Set()).add(waiter);
    });
  }

  /** Resolves every pending wait with `live`. */
  settle(live: boolean): void {
    if (!this.#waiters) return;
    for (const waiter of this.#waiters) this.#finish(waiter, live);
  }

  #finish(waiter: Waiter, live: boolean): void {
    if (!this.#waiters?.delete(waiter)) return;
    this.#timers.clearTimeout(waiter.timer);
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.resolve(live);
  }
}
