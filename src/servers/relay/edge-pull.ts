/**
 * One stream's edge pull: while local players want a stream this node does not publish, it asks the
 * registry for the holder and plays the stream from it over RTMP once, publishing it into the local
 * hub as the relay publisher (never through the publisher claim of the cluster). An upstream that ends
 * releases the local stream like a publisher leaving (its reconnect grace keeps the players) and the
 * registry is asked again; failures back off. docs/cluster.md "Origin/edge relays".
 */
import type { ErrorCode } from '../../errors.ts';
import type { StreamHolder } from '../../cluster/coordinator.ts';
import type { Hub } from '../../hub/hub.ts';
import type { HubLogger } from '../../hub/hub-options.ts';
import type { Stream } from '../../hub/stream.ts';
import { Backoff } from './backoff.ts';
import { isRefusal, type EdgeDialer, type EdgeUpstream } from './edge-dialer.ts';

/** Timers, injected so tests drive linger and backoff without sleeping. */
export interface EdgeTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The relay.pull* options. */
export interface EdgePullOptions {
  readonly connectTimeoutMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** How long a pull outlives its last local player (a player that reloads keeps the pull). */
  readonly lingerMs: number;
  /** How often a wanted stream that nobody holds (or that is published here) is looked up again. */
  readonly pollMs: number;
  /** A pull that read nothing from its origin for this long is ended (a hung origin keeps its socket open). */
  readonly idleTimeoutMs: number;
}

/** What one pull needs from its puller. */
export interface EdgePullContext {
  readonly hub: Hub;
  readonly nodeId: string;
  /** This node's own `cluster.advertise`: a holder there is this node (never pulled from). */
  readonly selfAdvertise: () => string;
  readonly holder: (key: string) => Promise<StreamHolder | undefined>;
  /** The relay play URL of `key` at `advertise` for a pull at `hops` hops, token included. */
  readonly url: (advertise: string, key: string, hops: number) => string;
  readonly dial: EdgeDialer;
  readonly options: EdgePullOptions;
  readonly timers: EdgeTimers;
  readonly now: () => number;
  readonly random?: () => number;
  readonly log: HubLogger;
  /** Whether another pull may start (relay.maxPulls); `acquire` counts this one in, `releaseSlot` out. */
  readonly acquireSlot: () => boolean;
  readonly releaseSlot: () => void;
  readonly countError: (code: ErrorCode) => void;
  readonly onStopped: (pull: EdgePull) => void;
}

/** Where a pull is. */
export type EdgePullState = 'local' | 'waiting' | 'looking' | 'connecting' | 'pulling' | 'stopped';

let nextId = 1;

/** The pull of one stream key; the puller creates it on demand and stops it after the linger. */
export class EdgePull {
  readonly key: string;
  /** The hub publisher id of this pull (`edge-<n>`), so it releases only its own publish. */
  readonly publisherId = `edge-${nextId++}`;
  readonly #c: EdgePullContext;
  readonly #backoff: Backoff;
  #state: EdgePullState = 'waiting';
  #timer: unknown;
  #linger: unknown;
  #idle: unknown;
  #upstream: EdgeUpstream | undefined;
  #stream: Stream | undefined;
  #origin: StreamHolder | undefined;
  #slot = false;
  #fullLogged = false;
  /** The holder the last attempt failed with, and when it may be tried again (the backoff). */
  #failed: StreamHolder | undefined;
  #retryAt = 0;

  constructor(key: string, context: EdgePullContext) {
    this.key = key;
    this.#c = context;
    const o = context.options;
    this.#backoff = new Backoff({ initialMs: o.backoffInitialMs, maxMs: o.backoffMaxMs, random: context.random });
  }

  /** Where the pull is now. */
  get state(): EdgePullState {
    return this.#state;
  }

  /** The node pulled from while connecting or pulling. */
  get origin(): StreamHolder | undefined {
    return this.#origin;
  }

  /** Failed attempts since the last successful pull. */
  get failures(): number {
    return this.#backoff.attempt;
  }

  /** Begins at once: looks the holder up. */
  start(): void {
    void this.#tick();
  }

  /** Local demand changed: 0 starts the linger, more cancels it. */
  demand(n: number): void {
    if (this.#state === 'stopped') return;
    if (n > 0) {
      if (this.#linger !== undefined) this.#c.timers.clearTimeout(this.#linger);
      this.#linger = undefined;
      return;
    }
    if (this.#linger !== undefined) return;
    this.#linger = this.#c.timers.setTimeout(() => {
      this.#linger = undefined;
      this.stop();
    }, this.#c.options.lingerMs);
  }

  /** Ends the pull and its local publish (players end at once: none are left, or the node closes); idempotent. */
  stop(): void {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    const t = this.#c.timers;
    if (this.#timer !== undefined) t.clearTimeout(this.#timer);
    if (this.#linger !== undefined) t.clearTimeout(this.#linger);
    this.#timer = this.#linger = undefined;
    this.#dropUpstream({ grace: false });
    this.#c.log.info({ stream: this.key }, 'edge pull stopped');
    this.#c.onStopped(this);
  }

  // A method, not a field read: the state changes across awaits, which TypeScript's narrowing cannot see.
  #isStopped(): boolean {
    return this.#state === 'stopped';
  }

  /** The next look in `ms`; `local` while the stream is published here (watched, not pulled). */
  #schedule(ms: number, state: 'waiting' | 'local' = 'waiting'): void {
    if (this.#state === 'stopped') return;
    this.#state = state;
    this.#timer = this.#c.timers.setTimeout(() => {
      this.#timer = undefined;
      void this.#tick();
    }, ms);
  }

  async #tick(): Promise<void> {
    const c = this.#c;
    if (this.#state === 'stopped') return;
    const local = c.hub.get(this.key);
    // Published here (an encoder, or one returning within the grace): nothing to pull while it lasts.
    if (local?.live && local.publisher?.id !== this.publisherId) return this.#schedule(c.options.pollMs, 'local');
    this.#state = 'looking';
    let holder: StreamHolder | undefined;
    try {
      holder = await c.holder(this.key);
    } catch (err) {
      c.log.warn({ stream: this.key, err }, 'edge pull: the registry could not be asked');
      return this.#schedule(this.#backoff.next());
    }
    if (this.#state !== 'looking') return;
    // Nobody holds it (yet), or the holder is this node (its claim outlived its publisher): ask again.
    if (!holder || holder.nodeId === c.nodeId || holder.advertise === c.selfAdvertise())
      return this.#schedule(c.options.pollMs);
    // The holder that just failed waits out its backoff; a new one (the encoder moved) is pulled at once.
    const wait = this.#failed && sameHolder(holder, this.#failed) ? this.#retryAt - c.now() : 0;
    if (wait > 0) return this.#schedule(Math.min(wait, c.options.pollMs));
    if (!c.acquireSlot()) {
      c.countError('EDGE_PULLS_FULL');
      if (!this.#fullLogged)
        c.log.warn(
          { stream: this.key, code: 'EDGE_PULLS_FULL' },
          'edge pull refused: relay.maxPulls pulls run already',
        );
      this.#fullLogged = true;
      return this.#schedule(this.#backoff.next());
    }
    this.#slot = true;
    this.#fullLogged = false;
    await this.#pull(holder);
  }

  async #pull(holder: StreamHolder): Promise<void> {
    const c = this.#c;
    this.#state = 'connecting';
    this.#origin = holder;
    const hops = relayHopsOf(c.hub.get(this.key)) + 1;
    let upstream: EdgeUpstream;
    let endedEarly = false;
    try {
      upstream = await c.dial(c.url(holder.advertise, this.key, hops), c.options.connectTimeoutMs, {
        onStart: () => this.#claim(holder),
        onMedia: (msg) => {
          // One comparison per message: a local encoder that took the stream over is never fed relay media.
          const stream = this.#stream;
          if (stream?.publisher?.id === this.publisherId) stream.publish(msg);
          else if (stream) this.yielded();
        },
        onUnpublished: () => {
          // In the same read as Play.Start (before play() resolved): ended as soon as it is pulling.
          if (this.#state === 'connecting') endedEarly = true;
          else this.#ended('the origin stream ended');
        },
      });
    } catch (err) {
      this.#releaseSlot();
      this.#releaseStream({ grace: true });
      if (this.#isStopped()) return;
      const code: ErrorCode = isRefusal(err) ? 'EDGE_PULL_REFUSED' : 'EDGE_PULL_UNREACHABLE';
      c.countError(code);
      const delay = this.#backoff.next();
      c.log.warn(
        { stream: this.key, origin: holder.nodeId, code, err: (err as Error).message, retryMs: delay },
        'edge pull failed',
      );
      return this.#retryLater(holder, delay);
    }
    if (this.#state !== 'connecting' || this.#stream === undefined) {
      // Stopped meanwhile, or a local publisher took the stream at Play.Start: this pull is not needed.
      this.#releaseSlot();
      void upstream.close().catch(() => undefined);
      if (!this.#isStopped()) this.#schedule(c.options.pollMs);
      return;
    }
    this.#upstream = upstream;
    this.#state = 'pulling';
    this.#backoff.reset();
    this.#failed = undefined;
    this.#watchIdle(upstream, upstream.bytesRead);
    c.log.info({ stream: this.key, origin: holder.nodeId, advertise: holder.advertise, hops }, 'edge pull started');
    void upstream.closed.then(() => this.#ended('the connection to the origin closed'));
    if (endedEarly) this.#ended('the origin stream ended');
  }

  /**
   * Another publisher claimed the local stream (an encoder reconnected to this node and the cluster gave
   * it the stream): the pull steps aside without touching the stream, and looks again later.
   */
  yielded(): void {
    if (this.#state !== 'pulling' && this.#state !== 'connecting') return;
    const stream = this.#stream;
    if (!stream || stream.publisher?.id === this.publisherId) return;
    this.#c.log.info({ stream: this.key, publisher: stream.publisher?.id }, 'edge pull yields to a local publisher');
    this.#stream = undefined;
    this.#dropUpstream({ grace: true });
    if (this.#state === 'pulling') this.#schedule(this.#c.options.pollMs, 'local');
  }

  /**
   * The operator dropped or forbade the stream (a cluster broadcast): its players end now, as on the
   * origin, without a grace; the pull looks again after its backoff (a dropped encoder may come back).
   */
  cut(why: 'drop' | 'forbid'): void {
    if (this.#state !== 'pulling') return;
    const origin = this.#origin;
    this.#c.log.info({ stream: this.key, why }, 'edge pull cut by the operator');
    this.#dropUpstream({ grace: false });
    this.#retryLater(origin, this.#backoff.next());
  }

  /** Play.Start: the relay becomes the local publisher, synchronously before the first media. */
  #claim(holder: StreamHolder): void {
    if (this.#state !== 'connecting') return;
    try {
      this.#stream = this.#c.hub.claim(this.key, {
        id: this.publisherId,
        protocol: 'relay',
        clientIp: holder.advertise,
      });
    } catch (err) {
      // A local encoder was faster (STREAM_ALREADY_PUBLISHING), or the memory budget is spent.
      this.#c.log.info({ stream: this.key, err: (err as Error).message }, 'edge pull could not take the local stream');
    }
  }

  /** The upstream ended while pulling: players wait through the grace; the registry is asked again. */
  #ended(why: string): void {
    if (this.#state !== 'pulling') return;
    this.#c.countError('EDGE_PULL_ENDED');
    const origin = this.#origin;
    this.#c.log.info({ stream: this.key, origin: origin?.nodeId, why }, 'edge pull ended; asking the registry again');
    this.#dropUpstream({ grace: true });
    this.#retryLater(origin, this.#backoff.next());
  }

  /** Asks the registry again soon (pollMs), but tries `holder` again only after `delay`. */
  #retryLater(holder: StreamHolder | undefined, delay: number): void {
    this.#failed = holder;
    this.#retryAt = this.#c.now() + delay;
    this.#schedule(Math.min(delay, this.#c.options.pollMs));
  }

  /** Checks once per idle timeout that the origin sent something since the last check (no timer per message). */
  #watchIdle(upstream: EdgeUpstream, bytes: number): void {
    const ms = this.#c.options.idleTimeoutMs;
    this.#idle = this.#c.timers.setTimeout(() => {
      this.#idle = undefined;
      if (this.#upstream !== upstream) return;
      if (upstream.bytesRead > bytes) return this.#watchIdle(upstream, upstream.bytesRead);
      this.#ended(`the origin sent nothing for ${ms} ms`);
    }, ms);
  }

  #dropUpstream(options: { grace: boolean }): void {
    if (this.#idle !== undefined) this.#c.timers.clearTimeout(this.#idle);
    this.#idle = undefined;
    const upstream = this.#upstream;
    this.#upstream = undefined;
    if (upstream) void upstream.close().catch(() => undefined);
    this.#releaseSlot();
    this.#releaseStream(options);
  }

  #releaseStream(options: { grace: boolean }): void {
    const stream = this.#stream;
    this.#stream = undefined;
    this.#origin = undefined;
    if (stream) this.#c.hub.release(stream, this.publisherId, options);
  }

  #releaseSlot(): void {
    if (!this.#slot) return;
    this.#slot = false;
    this.#c.releaseSlot();
  }
}

/** The most hops among the relay plays a stream serves (0 without any): a pull for them is one more. */
function relayHopsOf(stream: Stream | undefined): number {
  let hops = 0;
  if (!stream || stream.relays === 0) return hops;
  for (const s of stream.subscribers) hops = Math.max(hops, s.sink.relayHops ?? 0);
  return hops;
}

function sameHolder(a: StreamHolder, b: StreamHolder): boolean {
  return a.nodeId === b.nodeId && a.since === b.since && a.advertise === b.advertise;
}
