/**
 * Requests parked until a stream's segmenter produces what they ask for (a blocking playlist
 * reload, a hinted part, the first segment of a cold stream), each with a bounded wait.
 */

/** The timer functions the waiters use; the globals by default, a fake clock in tests. */
export interface WaitTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Unref'd: a parked request must not keep a process alive that is otherwise done. */
export const globalWaitTimers: WaitTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Waiter {
  readonly ready: () => boolean;
  readonly resolve: (ok: boolean) => void;
  timer: unknown;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** A set of parked requests, woken on every change of their stream. */
export class ChangeWaiters {
  readonly #timers: WaitTimers;
  readonly #waiters = new Set<Waiter>();

  constructor(timers: WaitTimers = globalWaitTimers) {
    this.#timers = timers;
  }

  /** Requests parked right now. */
  get size(): number {
    return this.#waiters.size;
  }

  /**
   * Resolves true as soon as `ready()` holds (at once if it already does), false after `timeoutMs`
   * or when the waiters close, or at once when `signal` aborts (the client went away), so a gone
   * client holds nothing. `ready` is checked on each `notify()`, so keep it cheap.
   */
  wait(ready: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    if (timeoutMs <= 0 || signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = { ready, resolve, timer: undefined, signal, onAbort: undefined };
      waiter.timer = this.#timers.setTimeout(() => this.#settle(waiter, false), timeoutMs);
      if (signal) {
        waiter.onAbort = () => this.#settle(waiter, false);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.add(waiter);
    });
  }

  /** Something changed: wakes every waiter whose condition now holds. */
  notify(): void {
    for (const waiter of this.#waiters) if (waiter.ready()) this.#settle(waiter, true);
  }

  /** Wakes everyone with false (the stream is going away). */
  close(): void {
    for (const waiter of this.#waiters) this.#settle(waiter, false);
  }

  #settle(waiter: Waiter, ok: boolean): void {
    if (!this.#waiters.delete(waiter)) return;
    this.#timers.clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.resolve(ok);
  }
}
