/**
 * One live stream (`app/name`, a key the caller builds; the hub never parses URLs): at most one
 * publisher, the cached metadata and sequence headers, the GOP cache, and its subscribers.
 */
import { MediaType, type MediaMessage } from '../protocol/media.ts';
import { GopCache } from './gop-cache.ts';
import type { HubContext } from './hub-context.ts';
import type { MediaTap } from './media-tap.ts';
import { asMetadata } from './metadata.ts';
import { lacksDefaultTrack, noteCodecLeftOut, offerOtherTracks } from './tracks.ts';
import { Packet } from './packet.ts';
import { StreamTaps } from './stream-taps.ts';
import { StreamTimeline } from './stream-timeline.ts';
import type { Subscriber } from './subscriber.ts';
import type { PublisherInfo, StreamCodecInfo, StreamStats, UnpublishOptions } from './stream-types.ts';

export type { PublisherInfo, StreamCodecInfo, StreamStats, UnpublishOptions } from './stream-types.ts';

/** A stream of the hub; obtained from `Hub.claim()`, `Hub.subscribe()` or `Hub.get()`. */
export class Stream {
  readonly key: string;
  readonly #ctx: HubContext;
  readonly #gop: GopCache;
  #publisher: PublisherInfo | undefined;
  #publishedAt: number | undefined;
  #metadata: Packet | undefined;
  #videoHeader: Packet | undefined;
  #audioHeader: Packet | undefined;
  #hasVideo = false;
  #hasAudio = false;
  #codecInfo: StreamCodecInfo = {};
  /** Copy-on-write: publish() iterates a snapshot while sink callbacks add or remove subscribers. */
  #subscribers: readonly Subscriber[] = [];
  /** Raw-message observers (HLS segmenter). */
  readonly #taps: StreamTaps;
  #bytesIn = 0;
  #messagesIn = 0;
  #relays = 0;
  /** Timer of the stall check while no publisher sends media (which is when stalls are otherwise noticed). */
  #stallCheck: unknown;
  /** Timer of the reconnect grace: set while the publisher is gone and its players wait for it. */
  #graceTimer: unknown;
  readonly #timeline = new StreamTimeline();

  constructor(key: string, ctx: HubContext) {
    this.key = key;
    this.#ctx = ctx;
    this.#gop = new GopCache(ctx.options.gopCache, ctx.counters);
    this.#taps = new StreamTaps(key, ctx.options.logger, () => (this.#ctx.demandChanged(this), this.#checkIdle()));
  }

  /** True while a publisher holds the stream. */
  get live(): boolean {
    return this.#publisher !== undefined;
  }

  /**
   * True while the publisher is gone but its players wait for it to return (reconnect grace): a claim
   * of the same key now continues this stream for them instead of starting a new one.
   */
  get reconnecting(): boolean {
    return this.#graceTimer !== undefined;
  }

  /** The current publisher, if any. */
  get publisher(): PublisherInfo | undefined {
    return this.#publisher;
  }

  /** The cached `onMetaData` script tag. */
  get metadata(): Packet | undefined {
    return this.#metadata;
  }

  /** The cached video decoder configuration (AVC/HEVC record or Enhanced RTMP SequenceStart). */
  get videoHeader(): Packet | undefined {
    return this.#videoHeader;
  }

  /** The cached audio decoder configuration (AAC AudioSpecificConfig or SequenceStart). */
  get audioHeader(): Packet | undefined {
    return this.#audioHeader;
  }

  /** Whether the current publisher has sent any video (else skipping to a keyframe is pointless). */
  get hasVideo(): boolean {
    return this.#hasVideo;
  }

  /** Whether the current publisher has sent any audio (HTTP-FLV header flags, FLV 10.1 §E.2). */
  get hasAudio(): boolean {
    return this.#hasAudio;
  }

  /** Codec facts set by the caller with `setCodecInfo()`. */
  get codecInfo(): Readonly<StreamCodecInfo> {
    return this.#codecInfo;
  }

  /** The cached GOP (or audio tail) a joining subscriber receives after the headers. */
  get gopPackets(): readonly Packet[] {
    return this.#gop.packets;
  }

  /** The current subscribers (a snapshot; do not keep it). */
  get subscribers(): readonly Subscriber[] {
    return this.#subscribers;
  }

  /** Subscribers (relay plays too, so chains hold) plus viewer taps (HLS): what an edge pulls for. */
  get demand(): number {
    return this.#subscribers.length + this.#taps.viewers;
  }

  /** Subscribers that are relay plays of other nodes. */
  get relays(): number {
    return this.#relays;
  }

  /** A snapshot for the API and metrics. */
  stats(): StreamStats {
    return {
      key: this.key,
      publisher: this.#publisher,
      publishedAt: this.#publishedAt,
      bytesIn: this.#bytesIn,
      messagesIn: this.#messagesIn,
      subscribers: this.#subscribers.length - this.#relays,
      relays: this.#relays,
      codecInfo: this.#codecInfo,
      gopBytes: this.#gop.bytes,
    };
  }

  /** Whether joiners get the cached GOP (fast first frame) or wait for the next keyframe (low latency). */
  get gopCacheEnabled(): boolean {
    return this.#gop.enabled;
  }

  /** Switches the GOP cache of this stream; the hub option `gopCache.enabled` is the default. */
  set gopCacheEnabled(on: boolean) {
    this.#gop.enabled = on;
  }

  /**
   * Records codec facts the caller parsed from a sequence header. `track` defaults to the info's own
   * `kind`/`track`/`type` field when that is 'audio' or 'video'; info without a track is ignored.
   */
  setCodecInfo(info: object, track: 'audio' | 'video' | undefined = trackOf(info)): void {
    if (track) noteCodecLeftOut(this.#ctx, this.key, info, this.#codecInfo[track]);
    if (track) this.#codecInfo = { ...this.#codecInfo, [track]: info };
  }

  /**
   * Takes one message from the publisher: caches it, and offers it to every subscriber. Synchronous
   * and never waits for a reader. Returns false (and drops the message) when no publisher holds the
   * stream, e.g. data still arriving from a session the hub already released.
   */
  publish(msg: MediaMessage): boolean {
    if (!this.#publisher) return false;
    const timeline = this.#timeline;
    if (timeline.rebasing) msg = timeline.rebase(msg);
    timeline.note(msg);
    const counters = this.#ctx.counters;
    this.#bytesIn += msg.payload.length;
    this.#messagesIn++;
    counters.bytesIn += msg.payload.length;
    counters.messagesIn++;
    if (lacksDefaultTrack(msg))
      return offerOtherTracks(this.#subscribers, new Packet(msg, this.#ctx.encoders), this.#ctx.options.now());
    const packet = this.#cache(msg);
    if (this.#taps.size > 0) this.#taps.media(packet.message);
    const subscribers = this.#subscribers;
    if (subscribers.length === 0) return true;
    const now = this.#ctx.options.now();
    for (let i = 0; i < subscribers.length; i++) subscribers[i]!.offer(packet, now);
    return true;
  }

  /**
   * Ends the current publish; caches go. Subscribers get what was sent, then (at once, or when a
   * reconnect grace expires without a new publisher) `publisherEnded()`. With `grace: false` a
   * running grace ends now too.
   */
  unpublish(options: UnpublishOptions = {}): void {
    const grace = options.grace ?? true;
    if (!this.#publisher) {
      if (!grace && this.reconnecting) this.#endGrace();
      return;
    }
    this.#publisher = undefined;
    this.#publishedAt = undefined;
    this.#ctx.counters.publishers--;
    this.#clearCaches();
    const graceMs = this.#ctx.options.reconnectGraceMs;
    if (grace && graceMs > 0 && (this.#subscribers.length > 0 || this.#taps.size > 0)) this.#startGrace(graceMs);
    else this.#endPlayers(false);
  }

  /** @internal Hub.claim(): the caller has checked that no publisher holds the stream. */
  attachPublisher(publisher: PublisherInfo): void {
    this.#clearStallCheck();
    const resumed = this.reconnecting;
    if (resumed) {
      this.#clearGrace();
      this.#timeline.resume();
      this.#ctx.counters.reconnects++;
      this.#ctx.options.logger.info(
        { stream: this.key, publisher: publisher.id, players: this.#subscribers.length },
        'publisher returned within the reconnect grace: players continue',
      );
    }
    this.#publisher = publisher;
    this.#publishedAt = this.#ctx.options.now();
    this.#ctx.counters.publishers++;
    for (const subscriber of this.#subscribers) {
      if (resumed && subscriber.started) subscriber.resume();
      else subscriber.start();
    }
    this.#taps.started(this);
  }

  /**
   * @internal Hub.tap(): adds the tap; on a live stream it gets `publisherStarted()` and the cached
   * metadata, sequence headers and GOP at once, as a joining player would.
   */
  attachTap(tap: MediaTap): void {
    const taps = this.#taps;
    taps.add(tap);
    if (tap.viewer) this.#ctx.demandChanged(this);
    if (!this.#publisher) return;
    if (!taps.call(tap, () => tap.publisherStarted(this))) return;
    const replay = [this.#metadata, this.#videoHeader, this.#audioHeader, ...this.#gop.packets];
    for (const packet of replay) {
      if (packet && !taps.call(tap, () => tap.media(packet.message))) return;
    }
  }

  /** @internal TapHandle.close(): forgets the tap; an unused stream leaves the hub. */
  detachTap(tap: MediaTap): void {
    this.#taps.remove(tap);
  }

  /** @internal Hub.close(): tells every tap the hub is gone and forgets them. */
  closeTaps(): void {
    this.#taps.closeAll();
  }

  /** @internal Hub.subscribe(): adds the subscriber; a live stream starts it at once. */
  attach(subscriber: Subscriber): void {
    this.#subscribers = [...this.#subscribers, subscriber];
    this.#ctx.counters.subscribers++;
    this.#demandChanged(subscriber, 1);
    if (this.#publisher) subscriber.start();
  }

  /** @internal Subscriber.close(): forgets the subscriber; an unused stream leaves the hub. */
  detach(subscriber: Subscriber): void {
    const i = this.#subscribers.indexOf(subscriber);
    if (i < 0) return;
    this.#subscribers = this.#subscribers.toSpliced(i, 1);
    this.#ctx.counters.subscribers--;
    this.#demandChanged(subscriber, -1);
    this.#checkIdle();
  }

  /** A subscriber came (+1) or went (-1): relay plays are counted apart, and edge pulls follow the demand. */
  #demandChanged(subscriber: Subscriber, by: 1 | -1): void {
    if (subscriber.sink.relayHops !== undefined) {
      this.#relays += by;
      this.#ctx.counters.relaySubscribers += by;
    }
    this.#ctx.demandChanged(this);
  }

  /**
   * The publisher left with players attached: they keep their connections, have everything it sent
   * written, and wait `graceMs` for a claim of this key (docs/cluster.md "Reconnect grace").
   */
  #startGrace(graceMs: number): void {
    this.#graceTimer = this.#ctx.options.timers.setTimeout(() => {
      this.#graceTimer = undefined;
      this.#ctx.counters.graceExpiries++;
      this.#endGrace();
    }, graceMs);
    for (const subscriber of this.#subscribers) subscriber.pause();
    this.#taps.paused();
    this.#scheduleStallCheck();
  }

  /** No publisher came back in time (or the grace is cut short): the players end as without a grace. */
  #endGrace(): void {
    this.#clearGrace();
    this.#endPlayers(true);
  }

  /** Tells every subscriber and the taps (only the paused ones after a grace) that the stream ended. */
  #endPlayers(afterGrace: boolean): void {
    this.#timeline.reset();
    for (const subscriber of this.#subscribers) subscriber.end();
    this.#taps.ended(afterGrace);
    this.#scheduleStallCheck();
    this.#checkIdle();
  }

  #clearGrace(): void {
    if (this.#graceTimer === undefined) return;
    this.#ctx.options.timers.clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
  }

  #cache(msg: MediaMessage): Packet {
    const encoders = this.#ctx.encoders;
    if (msg.type === MediaType.Data) {
      const metadata = asMetadata(msg);
      if (!metadata) return new Packet(msg, encoders);
      return (this.#metadata = new Packet(metadata, encoders));
    }
    const packet = new Packet(msg, encoders);
    if (msg.type === MediaType.Video) this.#hasVideo = true;
    else this.#hasAudio = true;
    if (!msg.sequenceHeader) this.#gop.push(packet);
    else if (msg.type === MediaType.Video) this.#videoHeader = packet;
    else this.#audioHeader = packet;
    return packet;
  }

  #clearCaches(): void {
    this.#metadata = this.#videoHeader = this.#audioHeader = undefined;
    this.#hasVideo = this.#hasAudio = false;
    this.#codecInfo = {};
    this.#gop.clear();
  }

  /**
   * Stalls are noticed as media arrives; without a publisher nothing arrives, so a player that stopped
   * reading with bytes still unsent would keep its socket and bytes for ever. While such a player waits
   * for the next publisher, it is checked every half stall timeout instead (no timer otherwise).
   */
  #scheduleStallCheck(): void {
    if (this.#stallCheck !== undefined || this.#publisher) return;
    if (!this.#subscribers.some((s) => s.sink.bufferedBytes > 0)) return;
    const { timers, subscriber } = this.#ctx.options;
    this.#stallCheck = timers.setTimeout(
      () => {
        this.#stallCheck = undefined;
        if (this.#publisher) return;
        const now = this.#ctx.options.now();
        for (const s of this.#subscribers) s.checkStalled(now);
        this.#scheduleStallCheck();
      },
      Math.ceil(subscriber.stallTimeoutMs / 2),
    );
  }

  #clearStallCheck(): void {
    if (this.#stallCheck === undefined) return;
    this.#ctx.options.timers.clearTimeout(this.#stallCheck);
    this.#stallCheck = undefined;
  }

  #checkIdle(): void {
    if (this.#subscribers.length === 0) this.#clearStallCheck();
    if (this.#publisher || this.#subscribers.length > 0 || this.#taps.size > 0) return;
    // Nobody is left to keep waiting for: the grace has no one to serve.
    this.#clearGrace();
    this.#timeline.reset();
    this.#ctx.streamIdle(this);
  }
}

function trackOf(info: object): 'audio' | 'video' | undefined {
  const i = info as { kind?: unknown; track?: unknown; type?: unknown };
  for (const v of [i.kind, i.track, i.type]) if (v === 'audio' || v === 'video') return v;
  return undefined;
}
