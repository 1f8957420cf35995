/**
 * Push relays (docs/cluster.md "Push relays"): every stream published to a configured domain/app is
 * forwarded to each matching `relay.forward` target while it is live, one ForwardSession per (stream,
 * target). It learns of publishes as a PublishListener, after the claim, so rejected publishers never
 * start a forward; a publish that itself came from an openlive forward is not forwarded again.
 */
import type { ErrorCode } from '../../errors.ts';
import type { Hub } from '../../hub/hub.ts';
import type { HubLogger } from '../../hub/hub-options.ts';
import type { PublishListener, PublishObserver, PublishStart } from '../ingest/publish-session.ts';
import { RtmpClient } from '../rtmp/rtmp-client.ts';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import {
  ForwardSession,
  type ForwardConnection,
  type ForwardDialer,
  type ForwardOptions,
  type ForwardTimers,
} from './forward-session.ts';
import type { ForwardState, ForwardStatus } from './forward-status.ts';
import {
  isForwarded,
  matchTargets,
  redactUrl,
  targetName,
  targetUrl,
  type ForwardTargetConfig,
} from './forward-targets.ts';

/** What the forwarder is built from; `dial`, `timers` and `random` are swapped in tests. */
export interface PushForwarderDeps {
  readonly hub: Hub;
  readonly targets: readonly ForwardTargetConfig[];
  readonly options: ForwardOptions;
  readonly log: HubLogger;
  readonly now: () => number;
  readonly countError: (code: ErrorCode) => void;
  readonly dial?: ForwardDialer;
  readonly timers?: ForwardTimers;
  readonly random?: () => number;
}

/** Totals for /metrics, cumulative over the forwarder's life. */
export interface ForwardTotals {
  readonly bytes: number;
  readonly reconnects: number;
  readonly refusals: number;
  readonly skippedMessages: number;
  /** Publishes not forwarded because they carried the forward marker (a loop avoided). */
  readonly loopsAvoided: number;
}

/** How many stopped forwards stay visible (with their last error) in the API and console. */
const recentStopped = 100;

/**
 * The real dialer: RtmpClient over TCP for `rtmp://`, over `node:tls` for `rtmps://` (the system's CAs
 * unless `tls` says otherwise, e.g. a private CA).
 */
export function rtmpDialer(tls?: TlsConnectionOptions): ForwardDialer {
  return async (url, timeoutMs) => {
    const client = await RtmpClient.connect(url, { timeoutMs, ...(tls && { tls }) });
    return connectionOf(client);
  };
}

function connectionOf(client: RtmpClient): ForwardConnection {
  return {
    publish: () => client.publish(),
    sendMedia: (msg) => client.sendMedia(msg),
    get bufferedBytes() {
      return client.bufferedBytes;
    },
    get bytesWritten() {
      return client.bytesWritten;
    },
    closed: client.closed,
    close: () => client.close(),
  };
}

const realDial = rtmpDialer();

/** One per process; `start()` is a no-op kept for symmetry, `close()` stops every forward. */
export class PushForwarder implements PublishListener {
  readonly #deps: PushForwarderDeps;
  readonly #live = new Set<ForwardSession>();
  #stopped: ForwardStatus[] = [];
  #done = { bytes: 0, reconnects: 0, refusals: 0, skippedMessages: 0 };
  #loopsAvoided = 0;
  #closed = false;

  constructor(deps: PushForwarderDeps) {
    this.#deps = deps;
    // Bad URLs are configuration errors: fail at start-up, not at the first publish.
    for (const t of deps.targets) targetUrl(t.url, 'app', 'stream');
  }

  /** Whether any target is configured. */
  get enabled(): boolean {
    return this.#deps.targets.length > 0;
  }

  /** Nothing to start: forwards begin with publishes. */
  start(): void {}

  /** Starts a forward to each target matching the publish's domain and app. */
  onPublish(start: PublishStart): PublishObserver | undefined {
    if (this.#closed) return undefined;
    const targets = matchTargets(this.#deps.targets, start.domain, start.app);
    if (targets.length === 0) return undefined;
    if (isForwarded(start.query)) {
      this.#loopsAvoided++;
      this.#deps.log.info({ app: start.app, stream: start.stream }, 'not forwarding a stream that was forwarded here');
      return undefined;
    }
    const d = this.#deps;
    const key = `${start.app}/${start.stream}`;
    for (const t of targets) {
      // A publisher that came back within a reconnect grace keeps its running forwards: no second one.
      const url = targetUrl(t.url, start.app, start.stream);
      if ([...this.#live].some((s) => s.key === key && s.url === url)) continue;
      const session = new ForwardSession({
        key,
        domain: start.domain,
        app: start.app,
        stream: start.stream,
        target: targetName(t),
        url,
        displayUrl: redactUrl(t.url).replaceAll('{stream}', start.stream).replaceAll('{app}', start.app),
        hub: d.hub,
        dial: d.dial ?? realDial,
        options: d.options,
        timers: d.timers ?? {
          setTimeout: (fn, ms) => setTimeout(fn, ms),
          clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
        },
        now: d.now,
        random: d.random,
        log: d.log,
        countError: d.countError,
        onStopped: (s) => this.#onStopped(s),
      });
      this.#live.add(session);
      try {
        session.start();
      } catch (err) {
        d.log.warn({ stream: start.stream, err }, 'could not start a forward');
        session.stop();
      }
    }
    return undefined;
  }

  /** Every forward, live ones first, then recently stopped ones (newest first). */
  list(): ForwardStatus[] {
    return [...[...this.#live].map((s) => s.status()), ...this.#stopped];
  }

  /** Live forwards per state, for /metrics. */
  countByState(): Record<ForwardState, number> {
    const counts: Record<ForwardState, number> = { connecting: 0, forwarding: 0, 'backing-off': 0, stopped: 0 };
    for (const s of this.#live) counts[s.state]++;
    return counts;
  }

  /** Bytes waiting unsent in the forwards' sockets (a source of the memory budget). */
  queuedBytes(): number {
    let n = 0;
    for (const s of this.#live) n += s.queuedBytes;
    return n;
  }

  /** Cumulative totals over live and ended forwards. */
  totals(): ForwardTotals {
    const t = { ...this.#done };
    for (const s of this.#live) {
      const st = s.status();
      t.bytes += st.bytes;
      t.reconnects += st.reconnects;
      t.refusals += st.refusals;
      t.skippedMessages += st.skippedMessages;
    }
    return { ...t, loopsAvoided: this.#loopsAvoided };
  }

  /** Stops every forward (shutdown). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of [...this.#live]) s.stop();
  }

  #onStopped(session: ForwardSession): void {
    if (!this.#live.delete(session)) return;
    const st = session.status();
    this.#done.bytes += st.bytes;
    this.#done.reconnects += st.reconnects;
    this.#done.refusals += st.refusals;
    this.#done.skippedMessages += st.skippedMessages;
    this.#stopped = [st, ...this.#stopped].slice(0, recentStopped);
  }
}
