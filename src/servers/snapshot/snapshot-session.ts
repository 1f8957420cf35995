/**
 * The snapshots of one stream by one template (or screenshot task), as a hub MediaTap: the tap only keeps a
 * reference to the latest keyframe and the video sequence header (the publisher's own immutable buffers, no
 * copy), so the publisher never waits. The first keyframe and then every `SnapshotInterval` the kept
 * keyframe is handed to `take` as a small FLV (header, sequence header, keyframe) for the decoder.
 */
import type { Hub } from '../../hub/hub.ts';
import type { TapHandle } from '../../hub/media-tap.ts';
import { encodeFlvHeader } from '../../protocol/flv/flv-header.ts';
import { encodeFlvTag } from '../../protocol/flv/flv-tag.ts';
import { MediaType, type MediaMessage } from '../../protocol/media.ts';
import type { SnapshotTemplate } from '../../store/snapshot-store.ts';

/** Interval timers, injected so tests drive the ticks. */
export interface SnapshotTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** What a session is built from. */
export interface SnapshotSessionInit {
  readonly key: string;
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  readonly template: SnapshotTemplate;
  readonly taskId: string;
  readonly intervalMs: number;
  readonly hub: Hub;
  readonly timers: SnapshotTimers;
  /** A picture is due: `flv` holds the keyframe to decode. */
  readonly take: (session: SnapshotSession, flv: Buffer) => void;
  /** The session stopped (stream ended, task over); called once. */
  readonly onStopped: (session: SnapshotSession) => void;
}

/** One stream's snapshots by one template; `start()` taps the hub, `stop()` is idempotent. */
export class SnapshotSession {
  readonly init: SnapshotSessionInit;
  #tap: TapHandle | undefined;
  #timer: unknown;
  #header: MediaMessage | undefined;
  #keyframe: MediaMessage | undefined;
  /** The keyframe last handed to `take`: an unchanged picture is not taken twice. */
  #taken: MediaMessage | undefined;
  #first = true;
  #stopped = false;

  constructor(init: SnapshotSessionInit) {
    this.init = init;
  }

  /** Whether it still takes pictures. */
  get active(): boolean {
    return !this.#stopped;
  }

  /** Taps the stream and starts the interval. */
  start(): void {
    this.#tap = this.init.hub.tap(this.init.key, {
      publisherStarted: () => undefined,
      media: (msg) => this.#media(msg),
      publisherEnded: () => this.stop(),
      close: () => this.stop(),
    });
    this.#timer = this.init.timers.setInterval(() => this.tick(), this.init.intervalMs);
  }

  /** Hands the latest keyframe to `take` if it is new (the interval's timer calls it). */
  tick(): void {
    const key = this.#keyframe;
    if (this.#stopped || !key || key === this.#taken) return;
    this.#taken = key;
    const parts = [encodeFlvHeader({ audio: false, video: true })];
    if (this.#header) parts.push(encodeFlvTag({ ...this.#header, timestamp: 0 }));
    parts.push(encodeFlvTag({ ...key, timestamp: 0 }));
    this.init.take(this, Buffer.concat(parts));
  }

  /** Stops the tap and the timer. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.init.timers.clearInterval(this.#timer);
    this.#tap?.close();
    this.#keyframe = this.#header = this.#taken = undefined;
    this.init.onStopped(this);
  }

  #media(msg: MediaMessage): void {
    if (msg.type !== MediaType.Video) return;
    if (msg.sequenceHeader) {
      this.#header = msg;
    } else if (msg.keyframe) {
      this.#keyframe = msg;
      // The first picture comes with the first keyframe, not one interval later (as Tencent's first one).
      if (this.#first) {
        this.#first = false;
        this.tick();
      }
    }
  }
}
