/**
 * The statistics sampler (docs/statistics.md): one timer reads the counters the media path already keeps
 * (stream bytes in, each player's bytes out and drops, the publishers' measured rates, HLS sessions and
 * bytes) every `tickMs`, accumulates them into the current minute per stream, and writes the minute's rows
 * to the store once it is over, then the roll-ups and, once an hour, the retention. Nothing is written per
 * packet; the media path is not touched. Time comes from the injected clock, so a test can sample a day.
 */
import type { Hub } from '../../hub/hub.ts';
import type { Stream } from '../../hub/stream.ts';
import type { Subscriber } from '../../hub/subscriber.ts';
import type { LivePublisherInfo } from '../../control/stream-policy.ts';
import { statsPeriods, type StatsSample, type StatsStore } from '../../store/stats-store.ts';
import type { HlsSession, HlsTraffic } from '../hls/hls-viewers.ts';
import { ClientIpTally } from './client-ip-tally.ts';

/** How long each period's rows are kept, in days (config `stats.*RetentionDays`). */
export interface StatsRetention {
  readonly minuteDays: number;
  readonly fiveMinuteDays: number;
  readonly hourDays: number;
  readonly dayDays: number;
}

/** What the sampler reads and writes. */
export interface StatsSamplerOptions {
  readonly hub: Hub;
  readonly store: StatsStore;
  readonly publishers: () => readonly LivePublisherInfo[];
  /** HLS sessions and bytes (servers/hls/hls-viewers.ts); absent without HLS. */
  readonly hls?:
    { counts(): Map<string, number>; drain(): Map<string, HlsTraffic>; sessions?(): HlsSession[] } | undefined;
  readonly now: () => number;
  /** How often counters are read (default 5 s): a player that leaves loses at most this much of its bytes. */
  readonly tickMs?: number;
  readonly retention: StatsRetention;
  /** Told of a failed store write (logged and counted by the caller); sampling goes on. */
  readonly onError: (err: unknown) => void;
}

/** A minute in progress for one stream. */
interface Bucket {
  domain: string;
  bytesIn: number;
  bytesOut: number;
  rtmpOut: number;
  flvOut: number;
  hlsOut: number;
  webrtcOut: number;
  rtmp: number;
  flv: number;
  hls: number;
  webrtc: number;
  requests: number;
  bitrate: number;
  fps: number;
  rateSamples: number;
  width: number;
  height: number;
  dropped: number;
}

const day = 86_400_000;

/** One per process: `start()` arms the timer, `tick()` is one reading, `close()` writes the minute in progress. */
export class StatsSampler {
  readonly #o: StatsSamplerOptions;
  readonly #tickMs: number;
  /** The counters as last read: per stream object and per player, so deltas survive joins and leaves. */
  #lastStreamBytes = new WeakMap<Stream, number>();
  #lastPlayer = new WeakMap<Subscriber, { bytes: number; dropped: number }>();
  /** The players of each stream seen so far: one that left is settled with its final bytes at the next read. */
  #tracked = new Map<Stream, Set<Subscriber>>();
  #lastHlsBytes = new WeakMap<HlsSession, number>();
  #unsubscribeDemand: (() => void) | undefined;
  /** Flux and plays per client address (DescribeTopClientIpSumInfoList). */
  readonly clientIps = new ClientIpTally();
  #minute = -1;
  #buckets = new Map<string, Bucket>();
  #lastPruneHour = -1;
  #timer: ReturnType<typeof setInterval> | undefined;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: StatsSamplerOptions) {
    this.#o = options;
    this.#tickMs = Math.max(100, options.tickMs ?? 5000);
  }

  start(): void {
    if (this.#timer || this.#closed) return;
    // A player that joins and leaves between two readings is still counted (a per-connection event).
    this.#unsubscribeDemand = this.#o.hub.onDemand((stream) => this.#track(stream));
    this.tick();
    this.#timer = setInterval(() => this.tick(), this.#tickMs);
    this.#timer.unref();
  }

  /** Reads the counters once; when the minute changed, the finished minute is written first. */
  tick(): void {
    if (this.#closed) return;
    const now = this.#o.now();
    const minute = Math.floor(now / statsPeriods.minute) * statsPeriods.minute;
    if (this.#minute < 0) this.#minute = minute;
    this.#read();
    if (minute !== this.#minute) {
      const finished = this.#minute;
      const rows = this.#rows(finished, this.#buckets);
      this.#buckets = new Map();
      this.#minute = minute;
      this.#queue(() => this.#write(finished, rows, now));
      // The viewers of the new minute start from the current ones.
      this.#read(true);
    }
  }

  /** The minute in progress as rows (not stored yet), read now: actions add it so "now" is current. */
  current(): StatsSample[] {
    this.tick();
    return this.#minute < 0 ? [] : this.#rows(this.#minute, this.#buckets);
  }

  /** Resolves once the writes queued so far are made. */
  flushed(): Promise<void> {
    return this.#writing;
  }

  /** Stops the timer and writes the minute in progress; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return await this.#writing;
    clearInterval(this.#timer);
    this.#unsubscribeDemand?.();
    this.tick();
    this.#closed = true;
    const minute = this.#minute;
    const rows = this.#rows(minute, this.#buckets);
    if (minute >= 0 && rows.length) this.#queue(() => this.#write(minute, rows, this.#o.now()));
    await this.#writing;
  }

  /** Adds the counters' deltas since the last read to the buckets; `viewersOnly` after a minute change. */
  #read(viewersOnly = false): void {
    const now = this.#o.now();
    const domains = new Map<string, LivePublisherInfo>();
    for (const p of this.#o.publishers()) domains.set(`${p.app}/${p.stream}`, p);
    const hlsCounts = this.#o.hls?.counts() ?? new Map<string, number>();
    const hlsTraffic = viewersOnly
      ? new Map<string, HlsTraffic>()
      : (this.#o.hls?.drain() ?? new Map<string, HlsTraffic>());
    const drained = new Map(hlsTraffic);
    const visited = new Set<Stream>();
    for (const stream of this.#o.hub.streams()) {
      visited.add(stream);
      const pub = domains.get(stream.key);
      const subscribers = stream.subscribers;
      const hls = hlsCounts.get(stream.key) ?? 0;
      const tracked = this.#tracked.get(stream);
      if (!stream.live && subscribers.length === 0 && hls === 0 && !hlsTraffic.has(stream.key) && !tracked) continue;
      const b = this.#bucket(stream.key, pub?.domain ?? '');
      if (pub?.domain) b.domain = pub.domain;
      const bytesIn = stream.stats().bytesIn;
      const lastIn = this.#lastStreamBytes.get(stream);
      this.#lastStreamBytes.set(stream, bytesIn);
      if (!viewersOnly && lastIn !== undefined) b.bytesIn += bytesIn >= lastIn ? bytesIn - lastIn : bytesIn;
      else if (!viewersOnly && lastIn === undefined && this.#minute >= 0) b.bytesIn += bytesIn;
      let rtmp = 0,
        flv = 0,
        webrtc = 0;
      const present = new Set<Subscriber>();
      for (const s of subscribers) {
        // A relay play of another node is demand, not a viewer (docs/cluster.md "Origin/edge relays").
        if (s.sink.relayHops !== undefined) continue;
        present.add(s);
        if (s.format === 'rtmp') rtmp++;
        else if (s.sink.playProtocol === 'webrtc') webrtc++;
        else flv++;
        this.#account(b, s, viewersOnly, now);
      }
      // Players that left since the last read: their bytes up to the close still count.
      for (const s of tracked ?? []) if (!present.has(s)) this.#account(b, s, viewersOnly, now);
      if (present.size) this.#tracked.set(stream, present);
      else this.#tracked.delete(stream);
      b.rtmp = Math.max(b.rtmp, rtmp);
      b.flv = Math.max(b.flv, flv);
      b.webrtc = Math.max(b.webrtc, webrtc);
      b.hls = Math.max(b.hls, hls);
      const traffic = hlsTraffic.get(stream.key);
      hlsTraffic.delete(stream.key);
      if (traffic) this.#addHls(b, traffic);
      if (pub && !viewersOnly) {
        b.bitrate += (pub.videoBitrate ?? 0) + (pub.audioBitrate ?? 0);
        b.fps += pub.fps ?? 0;
        b.rateSamples++;
        b.width = Math.max(b.width, pub.width ?? 0);
        b.height = Math.max(b.height, pub.height ?? 0);
      }
    }
    // Streams the hub dropped since the last read (publisher and players gone): their last bytes.
    for (const [stream, tracked] of this.#tracked) {
      if (visited.has(stream)) continue;
      this.#tracked.delete(stream);
      const b = this.#bucket(stream.key, domains.get(stream.key)?.domain ?? '');
      for (const s of tracked) this.#account(b, s, viewersOnly, now);
    }
    // HLS segments served after the stream left the hub (players fetch the last ones late).
    for (const [key, traffic] of hlsTraffic) this.#addHls(this.#bucket(key, domains.get(key)?.domain ?? ''), traffic);
    if (!viewersOnly) this.#readHlsAddresses(now, drained);
  }

  /** One player's bytes and drops since its last reading, into the stream's bucket and its address's tally. */
  #account(b: Bucket, s: Subscriber, viewersOnly: boolean, now: number): void {
    const last = this.#lastPlayer.get(s);
    const current = { bytes: s.bytesOut, dropped: s.droppedMessages };
    this.#lastPlayer.set(s, current);
    if (viewersOnly) return;
    if (!last) b.requests++;
    const sent = current.bytes - (last?.bytes ?? 0);
    b.bytesOut += sent;
    if (s.format === 'rtmp') b.rtmpOut += sent;
    else if (s.sink.playProtocol === 'webrtc') b.webrtcOut += sent;
    else b.flvOut += sent;
    b.dropped += current.dropped - (last?.dropped ?? 0);
    this.clientIps.add(now, s.sink.clientIp ?? '', sent, !last);
  }

  #addHls(b: Bucket, traffic: HlsTraffic): void {
    b.bytesOut += traffic.bytesOut;
    b.hlsOut += traffic.bytesOut;
    b.requests += traffic.newSessions;
  }

  /**
   * HLS bytes per client address: each session's playlist bytes since the last read, and the stream's
   * segment bytes shared evenly by its live sessions (segment URIs carry no session id, docs/statistics.md).
   */
  #readHlsAddresses(now: number, traffic: Map<string, HlsTraffic>): void {
    const sessions = this.#o.hls?.sessions?.() ?? [];
    const playlistBytes = new Map<string, number>();
    const perStream = new Map<string, number>();
    const deltas = sessions.map((s) => {
      const last = this.#lastHlsBytes.get(s);
      this.#lastHlsBytes.set(s, s.bytesOut);
      const delta = s.bytesOut - (last ?? 0);
      playlistBytes.set(s.key, (playlistBytes.get(s.key) ?? 0) + delta);
      perStream.set(s.key, (perStream.get(s.key) ?? 0) + 1);
      return { s, delta, started: last === undefined };
    });
    for (const { s, delta, started } of deltas) {
      const segments = Math.max(0, (traffic.get(s.key)?.bytesOut ?? 0) - (playlistBytes.get(s.key) ?? 0));
      this.clientIps.add(now, s.clientIp, delta + segments / perStream.get(s.key)!, started);
    }
  }

  /** A player came or went: remember the stream's players so one that leaves before the next read is settled. */
  #track(stream: Stream): void {
    let set = this.#tracked.get(stream);
    for (const s of stream.subscribers) {
      if (s.sink.relayHops !== undefined) continue;
      if (!set) this.#tracked.set(stream, (set = new Set()));
      set.add(s);
    }
  }

  #bucket(key: string, domain: string): Bucket {
    let b = this.#buckets.get(key);
    if (!b) {
      b = {
        domain,
        bytesIn: 0,
        bytesOut: 0,
        rtmpOut: 0,
        flvOut: 0,
        hlsOut: 0,
        webrtcOut: 0,
        rtmp: 0,
        flv: 0,
        hls: 0,
        webrtc: 0,
        requests: 0,
        bitrate: 0,
        fps: 0,
        rateSamples: 0,
        width: 0,
        height: 0,
        dropped: 0,
      };
      this.#buckets.set(key, b);
    }
    return b;
  }

  #rows(at: number, buckets: Map<string, Bucket>): StatsSample[] {
    const rows: StatsSample[] = [];
    for (const [key, b] of buckets) {
      const slash = key.indexOf('/');
      rows.push({
        at,
        period: statsPeriods.minute,
        domain: b.domain,
        app: key.slice(0, slash),
        stream: key.slice(slash + 1),
        bytesIn: b.bytesIn,
        bytesOut: b.bytesOut,
        rtmpBytesOut: b.rtmpOut,
        flvBytesOut: b.flvOut,
        hlsBytesOut: b.hlsOut,
        webrtcBytesOut: b.webrtcOut,
        rtmpViewers: b.rtmp,
        flvViewers: b.flv,
        hlsViewers: b.hls,
        webrtcViewers: b.webrtc,
        requests: b.requests,
        pushBitrate: b.rateSamples ? Math.round(b.bitrate / b.rateSamples) : 0,
        pushFps: b.rateSamples ? Math.round((b.fps / b.rateSamples) * 100) / 100 : 0,
        width: b.width,
        height: b.height,
        droppedFrames: b.dropped,
      });
    }
    return rows;
  }

  /** Writes one finished minute, its roll-ups (5 min and hour from minutes, day from hours) and, hourly, the retention. */
  async #write(minute: number, rows: StatsSample[], now: number): Promise<void> {
    const store = this.#o.store;
    await store.addSamples(rows);
    const five = Math.floor(minute / statsPeriods.fiveMinutes) * statsPeriods.fiveMinutes;
    await store.rollUp(statsPeriods.fiveMinutes, five, five + statsPeriods.fiveMinutes);
    const hour = Math.floor(minute / statsPeriods.hour) * statsPeriods.hour;
    await store.rollUp(statsPeriods.hour, hour, hour + statsPeriods.hour);
    const dayStart = Math.floor(minute / day) * day;
    await store.rollUp(statsPeriods.day, dayStart, dayStart + day, statsPeriods.hour);
    if (hour !== this.#lastPruneHour) {
      this.#lastPruneHour = hour;
      const r = this.#o.retention;
      await store.pruneSamples(statsPeriods.minute, now - r.minuteDays * day);
      await store.pruneSamples(statsPeriods.fiveMinutes, now - r.fiveMinuteDays * day);
      await store.pruneSamples(statsPeriods.hour, now - r.hourDays * day);
      await store.pruneSamples(statsPeriods.day, now - r.dayDays * day);
    }
  }

  #queue(step: () => Promise<void>): void {
    this.#writing = this.#writing.then(step).catch((err: unknown) => this.#o.onError(err));
  }
}
