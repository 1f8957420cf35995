/**
 * Turns publishes into Tencent CSS event callbacks: the PublishListener the ingest path calls. When a
 * publish starts it looks up the template bound to its domain + AppName (once, asynchronously); the push
 * event (1) goes out when the first codec header or frame shows the picture size, push errors (321) once
 * per reporting interval in which some occurred, and the interruption (0) at the end, all sharing one
 * sequence and queued in that order. Per message it costs the detector's comparisons, or nothing when no
 * template is bound; delivery happens elsewhere, so a slow receiver never reaches the encoder. A live push
 * is remembered in the store as an "open push" until its interruption is queued, so the start after a
 * `kill -9` can still send that interruption (recoverOpenPushes).
 */
import type { Log } from '../../log.ts';
import { MediaType, type MediaMessage } from '../../protocol/media.ts';
import type { VideoInfo } from '../../protocol/codec/media-info.ts';
import type { CallbackConfig } from '../../control/callbacks/callback-config.ts';
import {
  callbackEventTypes,
  interruptionEvent,
  newSequence,
  pushErrorEvent,
  pushEvent,
  type CallbackBody,
  type PictureSize,
  type PushIdentity,
} from '../../control/callbacks/callback-events.ts';
import { PushErrorDetector } from '../../control/callbacks/push-error-detector.ts';
import { breakCodes } from '../../control/break-codes.ts';
import { recoveredReason } from '../../control/publish-records.ts';
import type { CallbackStore, CallbackTemplate, CallbackUrlKind, OpenPush } from '../../store/callback-store.ts';
import type { PublishListener, PublishObserver, PublishStart, PublishStop } from '../ingest/publish-session.ts';
import type { OutgoingCallback } from './callback-deliverer.ts';

/** How publish callbacks are built. */
export interface PublishCallbacksOptions {
  readonly config: Pick<CallbackConfig, 'resolve'>;
  readonly deliverer: { enqueue(callback: OutgoingCallback): Promise<void> };
  /** Where live pushes are remembered until their interruption is queued (store.callbacks). */
  readonly openPushes: Pick<CallbackStore, 'addOpenPush' | 'listOpenPushes'>;
  readonly log: Log;
  /** Tencent `appid` in every body. */
  readonly appId: number;
  /** How often push errors are reported (Tencent report_interval). */
  readonly reportIntervalMs: number;
  /** The delivery timeout, announced in push-error bodies (Tencent `timeout`). */
  readonly timeoutMs: number;
  readonly random?: (n: number) => Buffer;
}

/** The PublishListener that queues event callbacks. */
export class PublishCallbacks implements PublishListener {
  readonly options: PublishCallbacksOptions;
  private readonly queuing = new Set<Promise<void>>();

  constructor(options: PublishCallbacksOptions) {
    this.options = options;
  }

  onPublish(start: PublishStart): PublishObserver {
    return new CallbackSession(this, start);
  }

  /**
   * Queues the interruption (5/0, ended `at`) of every push a killed server left open, with the push's
   * sequence and fields; queuing it removes the open push. Call once at start-up, after the deliverer
   * started and before publishers are accepted. Resolves with how many were queued.
   */
  async recoverOpenPushes(at: number): Promise<number> {
    const { openPushes, deliverer, log } = this.options;
    const left = await openPushes.listOpenPushes();
    for (const push of left) {
      const body = interruptionEvent(push, at, breakCodes.internalError, recoveredReason, push, push.callbackKey);
      const { stream, sequence, url } = push;
      await deliverer.enqueue({
        eventType: callbackEventTypes.interruption,
        eventTime: at,
        stream,
        sequence,
        url,
        body: JSON.stringify(body),
      });
    }
    if (left.length > 0)
      log.warn({ pushes: left.length }, 'queued the interruptions of pushes a previous run left live');
    return left.length;
  }

  /** Resolves when every callback produced so far is queued: call before closing the deliverer. */
  async flush(): Promise<void> {
    while (this.queuing.size > 0) await Promise.allSettled([...this.queuing]);
  }

  /** Keeps track of a session's queuing chain for flush(). */
  track(chain: Promise<void>): void {
    this.queuing.add(chain);
    void chain.finally(() => this.queuing.delete(chain));
  }
}

/** The callbacks of one publish. */
class CallbackSession implements PublishObserver {
  private readonly owner: PublishCallbacks;
  private readonly identity: PushIdentity;
  private readonly template: Promise<CallbackTemplate | undefined>;
  private chain: Promise<void>;
  private readonly detector = new PushErrorDetector();
  /** False once the template is known to want nothing from the media path. */
  private watching = true;
  private reportErrors = true;
  private pushQueued = false;
  private nextReportAt: number;

  constructor(owner: PublishCallbacks, start: PublishStart) {
    const o = owner.options;
    this.owner = owner;
    this.identity = { ...start, appId: o.appId, sequence: newSequence(o.random) };
    this.nextReportAt = start.startedAt + o.reportIntervalMs;
    this.template = o.config.resolve(start.domain, start.app).then(
      (template) => {
        this.reportErrors = template?.urls.pushException !== undefined;
        this.watching = template !== undefined;
        return template;
      },
      (err: unknown) => {
        o.log.error({ err, domain: start.domain, app: start.app }, 'could not look up the callback template');
        this.watching = this.reportErrors = false;
        return undefined;
      },
    );
    this.chain = this.template.then(() => undefined);
  }

  onMedia(message: MediaMessage, now: number, video: VideoInfo | undefined): void {
    if (!this.watching) return;
    if (this.reportErrors) this.detector.onMessage(message, now);
    // The push event waits for the picture size: the video header, or the first frame of a stream without one.
    if (!this.pushQueued && (video !== undefined || (!message.sequenceHeader && message.type !== MediaType.Data))) {
      this.queuePush(video ?? {}, true);
    }
    if (now >= this.nextReportAt) {
      this.nextReportAt = now + this.owner.options.reportIntervalMs;
      if (this.detector.hasErrors) this.queueReport(now);
    }
  }

  onChunkSize(size: number, now: number): void {
    if (this.watching && this.reportErrors) this.detector.onChunkSize(size, now);
  }

  onEnd(stop: PublishStop): void {
    if (!this.pushQueued) this.queuePush(stop, false);
    if (this.detector.hasErrors) this.queueReport(stop.endedAt);
    const { breakCode, reason, endedAt } = stop;
    this.queue('streamEnd', callbackEventTypes.interruption, endedAt, (key) =>
      interruptionEvent(this.identity, endedAt, breakCode, reason, stop, key),
    );
  }

  /** Queues the push event; while the push is live, first remembers it as open (its interruption is owed). */
  private queuePush(size: PictureSize, live: boolean): void {
    this.pushQueued = true;
    const picture = { width: size.width, height: size.height };
    if (live) this.rememberOpen(picture);
    this.queue('streamBegin', callbackEventTypes.push, this.identity.startedAt, (key) =>
      pushEvent(this.identity, picture, key),
    );
  }

  /** Stores what the interruption needs, in the queuing order, so the interruption's queuing removes it. */
  private rememberOpen(size: PictureSize): void {
    const { openPushes, log } = this.owner.options;
    this.chain = this.chain.then(async () => {
      const template = await this.template;
      const url = template?.urls.streamEnd;
      if (!template || !url) return;
      const push: OpenPush = {
        ...this.identity,
        url,
        callbackKey: template.callbackKey,
        width: size.width ?? 0,
        height: size.height ?? 0,
      };
      await openPushes
        .addOpenPush(push)
        .catch((err: unknown) => log.error({ err, stream: push.stream }, 'could not remember the open push'));
    });
    this.owner.track(this.chain);
  }

  private queueReport(at: number): void {
    // Taken now, so the next interval starts counting from zero.
    const errors = this.detector.takeReport() ?? [];
    const { reportIntervalMs, timeoutMs } = this.owner.options;
    this.queue('pushException', callbackEventTypes.pushError, at, (key) =>
      pushErrorEvent(this.identity, at, errors, { reportIntervalMs, timeoutMs }, key),
    );
  }

  /** Queues one callback after the ones before it, if the template has a URL for its kind. */
  private queue(
    kind: CallbackUrlKind,
    eventType: number,
    eventTime: number,
    build: (key: string) => CallbackBody,
  ): void {
    const { deliverer } = this.owner.options;
    const { stream, sequence } = this.identity;
    this.chain = this.chain.then(async () => {
      const template = await this.template;
      const url = template?.urls[kind];
      if (!template || !url) return;
      await deliverer.enqueue({
        eventType,
        eventTime,
        stream,
        sequence,
        url,
        body: JSON.stringify(build(template.callbackKey)),
      });
    });
    this.owner.track(this.chain);
  }
}
