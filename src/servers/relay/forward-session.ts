/**
 * One forward: a stream pushed to one target over RTMP(S) while it is published. It taps the hub (the
 * publisher never waits on it), sends metadata and sequence headers then the GOP from its keyframe on
 * each connection, bounds what waits in the socket, and reconnects with backoff until the stream ends.
 */
import { Buffer } from 'node:buffer';
import type { ErrorCode } from '../../errors.ts';
import type { Hub } from '../../hub/hub.ts';
import type { HubLogger } from '../../hub/hub-options.ts';
import type { TapHandle } from '../../hub/media-tap.ts';
import type { Stream } from '../../hub/stream.ts';
import { mediaMessage, MediaType, type MediaMessage } from '../../protocol/media.ts';
import { RtmpRejectedError } from '../rtmp/rtmp-client.ts';
import { Backoff } from './backoff.ts';
import type { ForwardError, ForwardState, ForwardStatus } from './forward-status.ts';

/** One publishing connection to a target; RtmpClient is the real one, tests fake it. */
export interface ForwardConnection {
  /** Sends releaseStream/FCPublish/createStream/publish; rejects with RtmpRejectedError on a refusal. */
  publish(): Promise<unknown>;
  /** Writes one message; the return value (socket full) is ignored: `bufferedBytes` bounds the queue. */
  sendMedia(msg: MediaMessage): boolean;
  readonly bufferedBytes: number;
  readonly bytesWritten: number;
  /** Resolves with why the connection ended. */
  readonly closed: Promise<Error>;
  close(): Promise<void>;
}

/** Opens a connection to `url` (TCP or TLS, handshake, connect) within `timeoutMs`. */
export type ForwardDialer = (url: string, timeoutMs: number) => Promise<ForwardConnection>;

/** Timers, injected so the backoff is tested without sleeping. */
export interface ForwardTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The relay.forward* timing and queue options. */
export interface ForwardOptions {
  readonly connectTimeoutMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly refusedRetryMs: number;
  readonly maxQueueBytes: number;
}

/** What a forward session is built from. */
export interface ForwardSessionInit {
  readonly key: string;
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  readonly target: string;
  /** The URL published to (secrets included). */
  readonly url: string;
  /** The URL shown in status and logs (secrets masked). */
  readonly displayUrl: string;
  readonly hub: Hub;
  readonly dial: ForwardDialer;
  readonly options: ForwardOptions;
  readonly timers: ForwardTimers;
  readonly now: () => number;
  readonly random?: () => number;
  readonly log: HubLogger;
  /** Counts an error code (ServerCounters.countError). */
  readonly countError: (code: ErrorCode) => void;
  /** Called once when the session stops. */
  readonly onStopped: (session: ForwardSession) => void;
}

// AMF0 §2.4 string "@setDataFrame": ingests (YouTube, nginx-rtmp) expect metadata wrapped as encoders send it.
const setDataFrame = Buffer.from([0x02, 0x00, 0x0d, ...Buffer.from('@setDataFrame')]);

/** A forward of one stream to one target; `start()` it at publish start, `stop()` is idempotent. */
export class ForwardSession {
  readonly #init: ForwardSessionInit;
  readonly #backoff: Backoff;
  #state: ForwardState = 'connecting';
  #since: number;
  readonly #startedAt: number;
  #tap: TapHandle | undefined;
  #stream: Stream | undefined;
  #conn: ForwardConnection | undefined;
  #timer: unknown;
  #dials = 0;
  #bytesBefore = 0;
  #reconnects = 0;
  #refusals = 0;
  #skips = 0;
  #skipped = 0;
  #skipping = false;
  #lastError: ForwardError | undefined;

  constructor(init: ForwardSessionInit) {
    this.#init = init;
    this.#backoff = new Backoff({
      initialMs: init.options.backoffInitialMs,
      maxMs: init.options.backoffMaxMs,
      random: init.random,
    });
    this.#since = this.#startedAt = init.now();
  }

  /** The current state. */
  get state(): ForwardState {
    return this.#state;
  }

  /** The hub key of the forwarded stream. */
  get key(): string {
    return this.#init.key;
  }

  /** The URL published to. */
  get url(): string {
    return this.#init.url;
  }

  /** Bytes waiting unsent in the current connection's socket. */
  get queuedBytes(): number {
    return this.#conn?.bufferedBytes ?? 0;
  }

  /** Taps the stream and dials the target. */
  start(): void {
    this.#tap = this.#init.hub.tap(this.#init.key, {
      publisherStarted: (stream) => void (this.#stream = stream),
      media: (msg) => this.#media(msg),
      publisherEnded: () => this.stop(),
      close: () => this.stop(),
    });
    if (this.#state !== 'stopped') void this.#dial();
  }

  /** Ends the forward (the stream ended, or shutdown): no more retries; the connection is closed. */
  stop(): void {
    if (this.#state === 'stopped') return;
    this.#set('stopped');
    if (this.#timer !== undefined) this.#init.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#tap?.close();
    if (this.#conn) this.#retire(this.#conn);
    this.#init.log.info({ stream: this.#init.key, target: this.#init.target }, 'forward stopped');
    this.#init.onStopped(this);
  }

  /** A snapshot for the API, the console and /metrics. */
  status(): ForwardStatus {
    const i = this.#init;
    return {
      key: i.key,
      domain: i.domain,
      app: i.app,
      stream: i.stream,
      target: i.target,
      url: i.displayUrl,
      state: this.#state,
      since: this.#since,
      startedAt: this.#startedAt,
      bytes: this.#bytesBefore + (this.#conn?.bytesWritten ?? 0),
      reconnects: this.#reconnects,
      refusals: this.#refusals,
      skippedMessages: this.#skipped,
      skips: this.#skips,
      lastError: this.#lastError,
    };
  }

  async #dial(): Promise<void> {
    if (this.#dials++ > 0) this.#reconnects++;
    this.#set('connecting');
    const { dial, url, options } = this.#init;
    let conn: ForwardConnection | undefined;
    try {
      conn = await dial(url, options.connectTimeoutMs);
      if (this.#isStopped()) {
        void conn.close().catch(() => undefined);
        return;
      }
      this.#conn = conn;
      await conn.publish();
    } catch (err) {
      if (conn) this.#retire(conn);
      if (!this.#isStopped()) this.#failed(classify(err, this.#init.now()));
      return;
    }
    if (this.#isStopped() || this.#conn !== conn) return;
    this.#backoff.reset();
    this.#set('forwarding');
    this.#init.log.info(
      { stream: this.#init.key, target: this.#init.target, url: this.#init.displayUrl },
      'forwarding',
    );
    this.#replay(conn);
    void conn.closed.then((why) => {
      if (this.#conn !== conn) return;
      this.#retire(conn);
      if (this.#isStopped()) return;
      this.#failed({
        code: 'FORWARD_DISCONNECTED',
        message: `the target closed the connection: ${why.message}`,
        rtmpStatus: '',
        at: this.#init.now(),
      });
    });
  }

  /** Headers and metadata first, then the cached GOP from its keyframe: the target can decode at once. */
  #replay(conn: ForwardConnection): void {
    const s = this.#stream;
    if (!s) return;
    // Without a cached keyframe, live inter frames are skipped until the next one (not counted as a skip).
    this.#skipping = s.hasVideo;
    for (const p of [s.metadata, s.videoHeader, s.audioHeader]) if (p) this.#send(conn, p.message, false);
    for (const p of s.gopPackets) this.#send(conn, p.message, false);
  }

  #media(msg: MediaMessage): void {
    const conn = this.#conn;
    if (this.#state === 'forwarding' && conn) this.#send(conn, msg, true);
  }

  /**
   * Writes one message unless the target is too far behind: past `maxQueueBytes` in the socket, frames
   * are skipped to the next keyframe (counted) so a slow target costs bounded memory and never the publisher.
   */
  #send(conn: ForwardConnection, msg: MediaMessage, live: boolean): void {
    if (msg.type === MediaType.Data) {
      conn.sendMedia(mediaMessage(MediaType.Data, msg.timestamp, Buffer.concat([setDataFrame, msg.payload])));
      return;
    }
    if (msg.sequenceHeader) {
      conn.sendMedia(msg);
      return;
    }
    const max = this.#init.options.maxQueueBytes;
    const buffered = conn.bufferedBytes;
    if (this.#skipping) {
      const keyframe = msg.type === MediaType.Video && msg.keyframe;
      // Audio-only streams have no keyframes: they resume once the socket drained to half the bound.
      const resume = this.#stream?.hasVideo ? keyframe && buffered <= max : buffered <= max / 2;
      if (!resume) {
        if (live) this.#skipped++;
        return;
      }
      this.#skipping = false;
    }
    if (buffered > max) {
      this.#skipping = true;
      this.#skips++;
      this.#skipped++;
      this.#init.countError('FORWARD_QUEUE_OVERFLOW');
      return;
    }
    conn.sendMedia(msg);
  }

  #failed(error: ForwardError): void {
    this.#lastError = error;
    this.#init.countError(error.code);
    const refused = error.code === 'FORWARD_REFUSED';
    if (refused) this.#refusals++;
    // A refusal (wrong key, forbidden stream) will not heal in a second: ask again only slowly.
    const delay = refused ? this.#init.options.refusedRetryMs : this.#backoff.next();
    this.#init.log.warn(
      { stream: this.#init.key, target: this.#init.target, code: error.code, err: error.message, retryInMs: delay },
      'forward failed',
    );
    this.#set('backing-off');
    this.#timer = this.#init.timers.setTimeout(() => {
      this.#timer = undefined;
      if (this.#state === 'backing-off') void this.#dial();
    }, delay);
  }

  #retire(conn: ForwardConnection): void {
    if (this.#conn !== conn) return;
    this.#conn = undefined;
    this.#bytesBefore += conn.bytesWritten;
    void conn.close().catch(() => undefined);
  }

  /** A method, not a field read: TypeScript would narrow the state across the awaits of #dial. */
  #isStopped(): boolean {
    return this.#state === 'stopped';
  }

  #set(state: ForwardState): void {
    if (state === this.#state && state !== 'connecting') return;
    this.#state = state;
    this.#since = this.#init.now();
  }
}

/** The status error of a failed dial or publish: a refusal keeps the target's status code. */
function classify(err: unknown, at: number): ForwardError {
  if (err instanceof RtmpRejectedError)
    return { code: 'FORWARD_REFUSED', message: err.message, rtmpStatus: err.status, at };
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : 'ERROR';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return { code: 'FORWARD_UNREACHABLE', message: `${code}: ${message}`, rtmpStatus: '', at };
}
