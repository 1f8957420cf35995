/**
 * The registry of live streams: atomic publisher claims, subscriptions, totals for metrics, and the
 * one write timer. Everything that moves media bytes goes through here (design.md).
 */
import { LiveError } from '../errors.ts';
import { defaultEncoders } from './default-encoders.ts';
import { newHubCounters, type HubContext, type HubCounters } from './hub-context.ts';
import { resolveHubOptions, type HubOptions, type ResolvedHubOptions } from './hub-options.ts';
import type { MediaTap, TapHandle } from './media-tap.ts';
import type { MemoryBudget } from './memory-budget.ts';
import type { PacketEncoders } from './packet.ts';
import { Stream, type PublisherInfo, type UnpublishOptions } from './stream.ts';
import { Subscriber } from './subscriber.ts';
import type { SubscriberSink } from './subscriber-sink.ts';
import { WriteScheduler } from './write-scheduler.ts';

/** Hub-wide totals for /metrics; byte and message counts are cumulative over the hub's life. */
export interface HubStats {
  readonly streams: number;
  readonly publishers: number;
  /** Viewers: RTMP and HTTP-FLV subscribers other than relay plays of other nodes. */
  readonly subscribers: number;
  /** Relay plays of other nodes (edges pulling from this one). */
  readonly relaySubscribers: number;
  readonly bytesIn: number;
  readonly messagesIn: number;
  readonly bytesOut: number;
  /** Writes handed to subscriber sinks, one per merged batch. */
  readonly playerWrites: number;
  readonly droppedMessages: number;
  readonly stalledCloses: number;
  /** Publishes that continued a stream within its reconnect grace, its players kept. */
  readonly reconnects: number;
  /** Reconnect graces that expired without a publisher. */
  readonly graceExpiries: number;
  /** Tracks left out of an output that cannot carry their codec (hub/tracks.ts noteCodecLeftOut). */
  readonly codecsLeftOut: number;
  /** Streams waiting now for their publisher to return. */
  readonly reconnecting: number;
}

/** Hub options plus the encoders (injected by tests; the protocol encoders otherwise). */
export interface HubInit extends HubOptions {
  readonly encoders?: PacketEncoders;
  /**
   * The process's memory budget: the hub adds its queues and GOP caches as sources and refuses new
   * players and publishers past it (MEMORY_BUDGET_EXCEEDED). Without one nothing is refused.
   */
  readonly memoryBudget?: MemoryBudget;
}

/** The stream registry; create one per process and `close()` it on shutdown. */
export class Hub {
  readonly options: ResolvedHubOptions;
  readonly #streams = new Map<string, Stream>();
  readonly #counters: HubCounters = newHubCounters();
  readonly #scheduler: WriteScheduler;
  readonly #ctx: HubContext;
  readonly #claimListeners = new Set<(stream: Stream) => void>();
  readonly #demandListeners = new Set<(stream: Stream) => void>();
  readonly #budget: MemoryBudget | undefined;
  #closed = false;

  constructor(init: HubInit = {}) {
    this.options = resolveHubOptions(init);
    this.#scheduler = new WriteScheduler(this.options.mergeWindowMs, this.options.timers, {
      groups: this.options.flushGroups,
      now: this.options.now,
    });
    this.#ctx = {
      options: this.options,
      encoders: init.encoders ?? defaultEncoders(this.options.rtmpChunkSize),
      scheduler: this.#scheduler,
      counters: this.#counters,
      streamIdle: (stream) => {
        if (this.#streams.get(stream.key) === stream) this.#streams.delete(stream.key);
      },
      demandChanged: (stream) => {
        for (const listener of this.#demandListeners) {
          try {
            listener(stream);
          } catch (err) {
            this.options.logger.warn({ stream: stream.key, err }, 'demand listener failed');
          }
        }
      },
    };
    const budget = (this.#budget = init.memoryBudget);
    const c = this.#counters;
    budget?.addSource('subscriberQueues', () => c.queuedBytes + c.sinkBytes);
    budget?.addSource('gopCaches', () => c.gopBytes);
  }

  /**
   * Throws MEMORY_BUDGET_EXCEEDED when the process's memory budget is spent. `claim()` and
   * `subscribe()` call it; glue that must answer before it subscribes (an HTTP response it hijacks,
   * a new HLS segmenter) calls it first.
   */
  admit(what: 'play' | 'publish'): void {
    this.#budget?.admit(what);
  }

  /**
   * Makes `publisher` the stream's publisher. Atomic: synchronous, with nothing awaited between the
   * check and the take (SRS needed #4449/#4452 for this). Throws STREAM_ALREADY_PUBLISHING while
   * another publisher holds the key, MEMORY_BUDGET_EXCEEDED past the memory budget; waiting
   * subscribers get `publisherStarted()` before it returns. A claim within the key's reconnect
   * grace takes the same Stream: its players continue without a new start (stream.ts).
   */
  claim(key: string, publisher: PublisherInfo): Stream {
    this.#assertOpen();
    const holder = this.#streams.get(key)?.publisher;
    if (holder) {
      throw new LiveError('STREAM_ALREADY_PUBLISHING', `stream ${key} is already being published by ${holder.id}`);
    }
    this.#budget?.admit('publish');
    const stream = this.#streamOf(key);
    stream.attachPublisher(publisher);
    for (const listener of this.#claimListeners) {
      try {
        listener(stream);
      } catch (err) {
        this.options.logger.warn({ stream: key, err }, 'claim listener failed');
      }
    }
    return stream;
  }

  /**
   * Calls `listener` synchronously at the end of every successful `claim()` (after waiting players
   * and taps were started), e.g. to start an always-on HLS segmenter. Returns the unsubscribe.
   */
  onClaim(listener: (stream: Stream) => void): () => void {
    this.#claimListeners.add(listener);
    return () => this.#claimListeners.delete(listener);
  }

  /**
   * Calls `listener` synchronously whenever a stream's `demand` (subscribers plus viewer taps) changes,
   * on connection events only (never per message): the edge puller starts and stops pulls with it.
   * Returns the unsubscribe.
   */
  onDemand(listener: (stream: Stream) => void): () => void {
    this.#demandListeners.add(listener);
    return () => this.#demandListeners.delete(listener);
  }

  /**
   * Attaches a raw-message observer to `key` (media-tap.ts), creating the stream entry if no
   * publisher has come yet; the entry stays while the tap does. The publisher never waits on it.
   */
  tap(key: string, tap: MediaTap): TapHandle {
    this.#assertOpen();
    const stream = this.#streamOf(key);
    stream.attachTap(tap);
    return { close: () => stream.detachTap(tap) };
  }

  /**
   * Ends `publisher`'s publish of `stream` (its PublisherInfo or id); does nothing if someone else
   * publishes it by now, so a late release from an old session cannot end a new one. Its players
   * wait `reconnectGraceMs` for a new claim of the key unless `options.grace` is false.
   */
  release(stream: Stream, publisher: PublisherInfo | string, options?: UnpublishOptions): void {
    const id = typeof publisher === 'string' ? publisher : publisher.id;
    if (stream.publisher?.id === id) stream.unpublish(options);
  }

  /**
   * Adds a player to `key`, creating the stream entry if no publisher has come yet. When the stream
   * is live, `sink.publisherStarted()` and the join burst (metadata, sequence headers, GOP) happen
   * before this returns; otherwise use `Subscriber.waitForPublisher()` for a bounded wait. Throws
   * MEMORY_BUDGET_EXCEEDED past the memory budget, before anything is created.
   */
  subscribe(key: string, sink: SubscriberSink): Subscriber {
    this.#assertOpen();
    this.#budget?.admit('play');
    const stream = this.#streamOf(key);
    const subscriber = new Subscriber(stream, sink, this.#ctx);
    stream.attach(subscriber);
    return subscriber;
  }

  /** The process's memory budget, if the hub was given one (for /metrics). */
  get memoryBudget(): MemoryBudget | undefined {
    return this.#budget;
  }

  /** The stream of `key`, if it has a publisher or subscribers. */
  get(key: string): Stream | undefined {
    return this.#streams.get(key);
  }

  /** All streams with a publisher or subscribers. */
  streams(): IterableIterator<Stream> {
    return this.#streams.values();
  }

  /** Totals for metrics. */
  stats(): HubStats {
    const c = this.#counters;
    return {
      streams: this.#streams.size,
      publishers: c.publishers,
      subscribers: c.subscribers - c.relaySubscribers,
      relaySubscribers: c.relaySubscribers,
      bytesIn: c.bytesIn,
      messagesIn: c.messagesIn,
      bytesOut: c.bytesOut,
      playerWrites: c.playerWrites,
      droppedMessages: c.droppedMessages,
      stalledCloses: c.stalledCloses,
      reconnects: c.reconnects,
      graceExpiries: c.graceExpiries,
      codecsLeftOut: c.codecsLeftOut,
      reconnecting: this.#countReconnecting(),
    };
  }

  /**
   * Closes every subscriber (their sinks get `close()` without a reason: a clean shutdown), ends
   * every publish and stops the write timer; later claims and subscribes throw STREAM_CLOSED. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#scheduler.close();
    for (const stream of [...this.#streams.values()]) {
      for (const subscriber of stream.subscribers) subscriber.terminate();
      // Ends a live publish, or the reconnect grace of a stream whose publisher left, at once.
      stream.unpublish({ grace: false });
      stream.closeTaps();
    }
    this.#claimListeners.clear();
    this.#demandListeners.clear();
    this.#streams.clear();
  }

  #countReconnecting(): number {
    let n = 0;
    for (const stream of this.#streams.values()) if (stream.reconnecting) n++;
    return n;
  }

  #streamOf(key: string): Stream {
    let stream = this.#streams.get(key);
    if (!stream) {
      stream = new Stream(key, this.#ctx);
      this.#streams.set(key, stream);
    }
    return stream;
  }

  #assertOpen(): void {
    if (this.#closed) throw new LiveError('STREAM_CLOSED', 'the hub is closed');
  }
}
