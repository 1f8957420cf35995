/**
 * The registry of HLS streams: one segmenter per watched stream, shared by all its viewers. A
 * segmenter starts with the first HLS request for a live stream (or with the publish, when HLS is
 * always on) and stops once nobody asked for anything for `idleTimeoutMs`, so idle streams cost nothing.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Hub } from '../../hub/hub.ts';
import type { HubLogger } from '../../hub/hub-options.ts';
import type { TapHandle } from '../../hub/media-tap.ts';
import { TsMuxer } from '../../protocol/mpegts/ts-muxer.ts';
import { Fmp4SegmentMuxer } from './fmp4-segment-muxer.ts';
import { globalWaitTimers, type WaitTimers } from './change-waiters.ts';
import type { ResolvedHlsOptions } from './hls-options.ts';
import { HlsStream } from './hls-stream.ts';
import { RequestParking } from './request-parking.ts';
import { SegmentFiles } from './segment-files.ts';
import type { SegmentMuxer } from './segmenter.ts';
import { HlsViewers } from './hls-viewers.ts';

/** What the HLS server is built from. */
export interface HlsServerDeps {
  readonly hub: Hub;
  readonly options: ResolvedHlsOptions;
  readonly logger: HubLogger;
  readonly timers?: WaitTimers;
  /** The segment muxer; TsMuxer, or Fmp4SegmentMuxer with `segmentFormat: fmp4`, unless a test swaps it. */
  readonly newMuxer?: () => SegmentMuxer;
  /** Origin/edge relays: whether a stream not live here is held by another node (servers/relay/edge-puller.ts). */
  readonly edge?: { canPull(key: string): Promise<boolean> } | undefined;
  /** An HLS viewer session without a playlist request for this long has left (stats.hlsSessionTimeoutMs). */
  readonly viewerTimeoutMs?: number;
}

/** Totals for metrics and tests. */
export interface HlsStats {
  readonly streams: number;
  readonly segments: number;
  readonly bytes: number;
  readonly waiting: number;
  /** Distinct client addresses with a parked request. */
  readonly waitingAddresses: number;
}

interface Entry {
  readonly stream: HlsStream;
  readonly tap: TapHandle;
  readonly files: SegmentFiles | undefined;
}

const sweepIntervalMs = 1000;

/** One per process: `start()` it, ask it for streams per request, `close()` it on shutdown. */
export class HlsServer {
  readonly options: ResolvedHlsOptions;
  /** The caps on parked requests, shared by every stream (docs/hls.md "Limits"). */
  readonly parking: RequestParking;
  /** HLS viewer sessions and bytes for statistics (hls-viewers.ts, docs/statistics.md). */
  readonly viewers: HlsViewers;
  readonly #deps: HlsServerDeps;
  readonly #timers: WaitTimers;
  readonly #entries = new Map<string, Entry>();
  #sweep: unknown;
  #offClaim: (() => void) | undefined;
  #generation = 0;
  #closed = false;

  constructor(deps: HlsServerDeps) {
    this.#deps = deps;
    this.options = deps.options;
    this.#timers = deps.timers ?? globalWaitTimers;
    const o = deps.options;
    this.viewers = new HlsViewers({ now: o.now, ...(deps.viewerTimeoutMs ? { timeoutMs: deps.viewerTimeoutMs } : {}) });
    this.parking = new RequestParking({
      maxTotal: o.maxBlockingWaiters,
      maxPerIp: o.maxBlockingWaitersPerIp,
      trusted: o.trustedNetworks,
    });
  }

  /** Clears segment files a previous run left, starts always-on segmenting and the idle sweep. */
  start(): void {
    const dir = this.options.dir;
    if (this.options.storage === 'disk' && dir) rmSync(dir, { recursive: true, force: true });
    if (this.options.alwaysOn) {
      this.#offClaim = this.#deps.hub.onClaim((stream) => {
        // An edge pull is not segmented for nobody: its segmenter would keep the pull alive for ever.
        if (stream.publisher?.protocol === 'relay') return;
        this.#ensure(stream.key, stream.key.slice(stream.key.indexOf('/') + 1));
      });
    }
    this.#armSweep();
  }

  /** The HLS stream of `key` if one runs; the request counts as activity. */
  get(key: string): HlsStream | undefined {
    const stream = this.#entries.get(key)?.stream;
    if (stream) stream.lastRequestAt = this.options.now();
    return stream;
  }

  /**
   * The HLS stream of `key` for a playlist request: the running one, or a new segmenter when the
   * hub stream is live. Undefined when there is nothing to play (no segmenter, no publisher), so
   * requests for made-up names create nothing.
   */
  open(key: string, name: string): HlsStream | undefined {
    const running = this.get(key);
    if (running || this.#closed) return running;
    if (!this.#deps.hub.get(key)?.live) return undefined;
    // A new segmenter holds up to hls.maxStreamBytes: past the memory budget it is refused (429).
    this.#deps.hub.admit('play');
    return this.#ensure(key, name);
  }

  /**
   * `open()`, or on an edge a segmenter for a stream another node holds: its tap is demand, so the edge
   * pulls the stream while it runs (the playlist then waits for its first segments like a cold start).
   */
  async openOrPull(key: string, name: string): Promise<HlsStream | undefined> {
    const local = this.open(key, name);
    if (local || this.#closed || !this.#deps.edge) return local;
    if (!(await this.#deps.edge.canPull(key))) return undefined;
    // Asked again: another request may have started it, or the stream went live here, meanwhile.
    const again = this.open(key, name);
    if (again || this.#closed) return again;
    this.#deps.hub.admit('play');
    return this.#ensure(key, name);
  }

  /** Totals: running segmenters, segments held, their bytes in memory, parked requests. */
  stats(): HlsStats {
    let segments = 0;
    let bytes = 0;
    let waiting = 0;
    for (const { stream } of this.#entries.values()) {
      segments += stream.segments.length;
      bytes += stream.bytes;
      waiting += stream.waiters.size;
    }
    return { streams: this.#entries.size, segments, bytes, waiting, waitingAddresses: this.parking.addresses };
  }

  /** Stops segmenters nobody watched for `idleTimeoutMs` (always-on ones only once their publisher left). */
  sweep(): void {
    const now = this.options.now();
    for (const [key, { stream }] of this.#entries) {
      if (stream.waiters.size > 0) continue;
      if (this.options.alwaysOn && stream.live && this.#deps.hub.get(key)?.publisher?.protocol !== 'relay') continue;
      if (now - stream.lastRequestAt >= this.options.idleTimeoutMs) this.#stop(key);
    }
  }

  /** Stops every segmenter and the sweep; parked requests are released. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#offClaim?.();
    this.#timers.clearTimeout(this.#sweep);
    for (const key of [...this.#entries.keys()]) this.#stop(key);
  }

  #ensure(key: string, name: string): HlsStream {
    const running = this.#entries.get(key);
    if (running) return running.stream;
    const o = this.options;
    const gen = `${o.now().toString(36)}${(this.#generation++).toString(36)}`;
    // One folder per run, named so no app or stream name (even `..`) can point outside the HLS folder.
    const folder = `${encodeURIComponent(key).replaceAll('.', '%2E')}-${gen}`;
    const files = o.storage === 'disk' && o.dir ? new SegmentFiles(join(o.dir, folder)) : undefined;
    const logger = this.#deps.logger;
    const stream = new HlsStream({
      key,
      name,
      gen,
      options: o,
      newMuxer:
        this.#deps.newMuxer ??
        (this.options.segmentFormat === 'fmp4' ? () => new Fmp4SegmentMuxer() : () => new TsMuxer()),
      timers: this.#timers,
      files,
      onError: (err) => logger.debug({ stream: key, err }, 'HLS segmenter skipped media'),
    });
    // The tap is attached after the entry exists: a live stream replays its GOP into it at once.
    const entry: Entry = { stream, files, tap: { close() {} } };
    this.#entries.set(key, entry);
    const tap = this.#deps.hub.tap(key, {
      // Its viewers fetch segments, not a socket: the segmenter stands for them as the stream's demand.
      viewer: true,
      publisherStarted: () => stream.publisherStarted(),
      media: (msg) => stream.media(msg),
      publisherEnded: () => stream.publisherEnded(),
      publisherPaused: () => stream.publisherPaused(),
      close: () => this.#stop(key),
    });
    this.#entries.set(key, { ...entry, tap });
    logger.info({ stream: key }, 'HLS segmenter started');
    return stream;
  }

  #stop(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    entry.tap.close();
    entry.stream.close();
    void entry.files?.clear();
    this.#deps.logger.info({ stream: key }, 'HLS segmenter stopped');
  }

  #armSweep(): void {
    if (this.#closed) return;
    this.#sweep = this.#timers.setTimeout(() => {
      this.sweep();
      this.#armSweep();
    }, sweepIntervalMs);
  }
}
