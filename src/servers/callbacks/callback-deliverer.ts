/**
 * Delivers event callbacks durably (tencent-css.md §4.1): each callback is written to the store's queue
 * before its first attempt, so a restart loses none; any answer but HTTP 200 (or none within the
 * timeout) is retried `maxRetries` times `retryIntervalMs` apart; every attempt is recorded. Callbacks
 * of one push (one sequence) reach the receiver in order; different pushes go out side by side. The queue
 * is bounded: past `maxPending` the oldest callback is dropped and recorded as such. Nothing here is
 * awaited by the ingest path.
 */
import type { Log } from '../../log.ts';
import type { Store } from '../../store/store.ts';
import type { CallbackDelivery as Queued, NewCallbackAttempt } from '../../store/callback-store.ts';
import { describeFailure, httpCallbackTransport, type CallbackTransport } from './http-callback-transport.ts';

/** Timers, injectable so tests step time instead of waiting a minute per retry. */
export interface CallbackTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Real timers that do not keep the process alive. */
export const realTimers: CallbackTimers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Tencent ResultCode values for attempts without an HTTP answer (docs/api.md, DescribeCallbackRecordsList). */
export const resultCodes = { delivered: 0, noResponse: -1, timeout: -2, dropped: -3 } as const;

/** A callback to deliver: where, what, and what the records list it under. */
export interface OutgoingCallback {
  readonly eventType: number;
  /** Unix ms of the event. */
  readonly eventTime: number;
  readonly stream: string;
  readonly sequence: string;
  readonly url: string;
  readonly body: string;
}

/** How the deliverer is built (the callbacks.* configuration plus its parts). */
export interface CallbackDelivererOptions {
  readonly store: Store;
  readonly log: Log;
  readonly now: () => number;
  readonly retryIntervalMs: number;
  readonly maxRetries: number;
  readonly timeoutMs: number;
  readonly maxPending: number;
  /** Attempts in flight at once, across receivers. */
  readonly concurrency?: number;
  /** How long attempt records are kept (Tencent: 14 days). */
  readonly historyMs?: number;
  readonly transport?: CallbackTransport;
  readonly timers?: CallbackTimers;
  /** Told of each callback dropped because the queue was full (service.ts counts CALLBACK_QUEUE_FULL). */
  readonly onDrop?: () => void;
}

const defaultHistoryMs = 14 * 24 * 3600 * 1000;
const pruneEveryMs = 3600 * 1000;
/** How long close() lets attempts in flight finish before it aborts them (they stay queued). */
const closeGraceMs = 2000;

/** The callback queue and its delivery loop. */
export class CallbackDeliverer {
  private readonly o: Required<Omit<CallbackDelivererOptions, 'store' | 'log' | 'now' | 'onDrop'>>;
  private readonly onDrop: (() => void) | undefined;
  private readonly store: Store;
  private readonly log: Log;
  private readonly now: () => number;
  /** The queue in order (Map keeps insertion order; ids increase). */
  private readonly pending = new Map<number, Queued>();
  private readonly inflight = new Map<number, AbortController>();
  private readonly running = new Set<Promise<void>>();
  private timer: unknown;
  private started = false;
  private closed = false;
  private lastPruneAt = 0;

  constructor(options: CallbackDelivererOptions) {
    this.store = options.store;
    this.log = options.log;
    this.now = options.now;
    this.onDrop = options.onDrop;
    this.o = {
      retryIntervalMs: options.retryIntervalMs,
      maxRetries: options.maxRetries,
      timeoutMs: options.timeoutMs,
      maxPending: options.maxPending,
      concurrency: options.concurrency ?? 16,
      historyMs: options.historyMs ?? defaultHistoryMs,
      transport: options.transport ?? httpCallbackTransport,
      timers: options.timers ?? realTimers,
    };
  }

  /** Callbacks waiting for delivery (queued or in flight). */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Loads what a previous run left queued (unless `loadQueued` is false: a worker sharing SQLite whose
   * sibling loads them, docs/cluster.md "Worker processes") and starts delivering.
   */
  async start(options: { readonly loadQueued?: boolean } = {}): Promise<void> {
    const left =
      options.loadQueued === false ? [] : await this.store.callbacks.listCallbackDeliveries(this.o.maxPending);
    for (const d of left) this.pending.set(d.id, d);
    if (left.length > 0) this.log.info({ pending: left.length }, 'callbacks a previous run left queued');
    this.started = true;
    await this.prune();
    this.pump();
  }

  /** Queues a callback durably, then tries it as soon as its sequence allows; never throws (logs). */
  async enqueue(callback: OutgoingCallback): Promise<void> {
    const at = this.now();
    const row = { ...callback, createdAt: at, nextAt: at };
    let id: number;
    try {
      id = await this.store.callbacks.addCallbackDelivery(row);
    } catch (err) {
      this.log.error({ err, url: callback.url, eventType: callback.eventType }, 'could not queue a callback');
      return;
    }
    this.pending.set(id, { ...row, id, attempts: 0 });
    while (this.pending.size > this.o.maxPending && (await this.dropOldest()));
    this.pump();
  }

  /** Stops delivering: attempts in flight get a short grace, then are aborted and stay queued for the next start. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) this.o.timers.clear(this.timer);
    this.timer = undefined;
    if (this.running.size > 0) {
      let grace: unknown;
      const waited = new Promise<void>((resolve) => (grace = this.o.timers.set(resolve, closeGraceMs)));
      await Promise.race([Promise.allSettled([...this.running]), waited]);
      this.o.timers.clear(grace);
    }
    for (const controller of this.inflight.values()) controller.abort();
    await Promise.allSettled([...this.running]);
  }

  /** Starts every due attempt the order and the concurrency allow; sets one timer for the next due one. */
  private pump(): void {
    if (!this.started || this.closed) return;
    const now = this.now();
    let next = Infinity;
    const heads = new Set<string>();
    for (const d of this.pending.values()) {
      // Only the oldest queued callback of a sequence may go: a push event before its interruption.
      if (heads.has(d.sequence)) continue;
      heads.add(d.sequence);
      if (this.inflight.has(d.id)) continue;
      if (d.nextAt > now) {
        next = Math.min(next, d.nextAt);
        continue;
      }
      // Full: a finishing attempt pumps again.
      if (this.inflight.size >= this.o.concurrency) break;
      this.attempt(d);
    }
    if (this.timer !== undefined) this.o.timers.clear(this.timer);
    this.timer = next === Infinity ? undefined : this.o.timers.set(() => this.pump(), Math.max(0, next - now));
  }

  private attempt(d: Queued): void {
    const controller = new AbortController();
    this.inflight.set(d.id, controller);
    const startedAt = this.now();
    const run = this.o
      .transport(d.url, d.body, this.o.timeoutMs, controller.signal)
      .then(
        (res) => ({
          status: res.status,
          response: res.body,
          resultCode: res.status === 200 ? resultCodes.delivered : res.status,
        }),
        (err: unknown) => {
          const failure = describeFailure(err);
          const resultCode = failure.timeout ? resultCodes.timeout : resultCodes.noResponse;
          return { status: 0, response: failure.message, resultCode };
        },
      )
      .then((result) => this.finish(d, controller, startedAt, result));
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  private async finish(
    d: Queued,
    controller: AbortController,
    startedAt: number,
    r: { status: number; response: string; resultCode: number },
  ): Promise<void> {
    this.inflight.delete(d.id);
    // Aborted by close(): not an attempt the receiver saw fail; the callback stays queued as it was.
    if (controller.signal.aborted) return;
    const at = this.now();
    const attempts = d.attempts + 1;
    const done = r.resultCode === resultCodes.delivered || attempts > this.o.maxRetries;
    const outcome = done ? ('done' as const) : { retryAt: at + this.o.retryIntervalMs, attempts };
    if (done) this.pending.delete(d.id);
    else this.pending.set(d.id, { ...d, attempts, nextAt: outcome === 'done' ? at : outcome.retryAt });
    if (done && r.resultCode !== resultCodes.delivered) {
      this.log.warn(
        { url: d.url, eventType: d.eventType, stream: d.stream, attempts, resultCode: r.resultCode },
        'callback given up',
      );
    } else if (!done) {
      this.log.debug(
        { url: d.url, eventType: d.eventType, attempts, resultCode: r.resultCode },
        'callback failed; will retry',
      );
    }
    await this.record(
      d,
      { status: r.status, response: r.response, resultCode: r.resultCode, at, durationMs: at - startedAt },
      outcome,
    );
    this.pump();
  }

  /** Drops the oldest callback not in flight (the queue is full); false when all are in flight. */
  private async dropOldest(): Promise<boolean> {
    for (const d of this.pending.values()) {
      if (this.inflight.has(d.id)) continue;
      this.pending.delete(d.id);
      this.onDrop?.();
      this.log.warn(
        {
          code: 'CALLBACK_QUEUE_FULL',
          url: d.url,
          eventType: d.eventType,
          stream: d.stream,
          maxPending: this.o.maxPending,
        },
        'callback queue full: dropped the oldest',
      );
      const at = this.now();
      const response = `dropped: more than ${this.o.maxPending} callbacks were queued`;
      await this.record(d, { status: 0, response, resultCode: resultCodes.dropped, at, durationMs: 0 }, 'done');
      return true;
    }
    return false;
  }

  private async record(
    d: Queued,
    r: Pick<NewCallbackAttempt, 'status' | 'response' | 'resultCode' | 'at' | 'durationMs'>,
    outcome: 'done' | { retryAt: number; attempts: number },
  ): Promise<void> {
    const attempt: NewCallbackAttempt = {
      deliveryId: d.id,
      eventType: d.eventType,
      eventTime: d.eventTime,
      stream: d.stream,
      url: d.url,
      request: d.body,
      ...r,
    };
    try {
      await this.store.callbacks.recordCallbackAttempt(attempt, outcome);
    } catch (err) {
      this.log.error({ err, url: d.url }, 'could not record a callback attempt');
    }
    if (r.at - this.lastPruneAt >= pruneEveryMs) await this.prune();
  }

  private async prune(): Promise<void> {
    const now = this.now();
    this.lastPruneAt = now;
    try {
      await this.store.callbacks.pruneCallbackAttempts(now - this.o.historyMs);
    } catch (err) {
      this.log.warn({ err }, 'could not prune old callback records');
    }
  }
}
