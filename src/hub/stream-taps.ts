/**
 * The raw-message observers (media-tap.ts) of one stream: copy-on-write so a callback may detach
 * taps while the publisher iterates, and every call guarded, so a tap that throws is dropped and
 * can never break the publisher.
 */
import { toLiveError } from '../errors.ts';
import type { MediaMessage } from '../protocol/media.ts';
import type { HubLogger } from './hub-options.ts';
import type { MediaTap } from './media-tap.ts';
import type { Stream } from './stream.ts';

/** One stream's taps, and which of them wait through a reconnect grace (`publisherPaused`). */
export class StreamTaps {
  readonly #key: string;
  readonly #logger: HubLogger;
  readonly #removed: () => void;
  #taps: readonly MediaTap[] = [];
  /** Told `publisherPaused()` at the start of a grace: they get `publisherEnded()` if it expires. */
  #paused: readonly MediaTap[] = [];

  /** `removed` runs after a tap left (detached or dropped), so the stream can check whether it is idle. */
  constructor(key: string, logger: HubLogger, removed: () => void) {
    this.#key = key;
    this.#logger = logger;
    this.#removed = removed;
  }

  /** How many taps are attached. */
  get size(): number {
    return this.#taps.length;
  }

  /** How many attached taps serve viewers (`MediaTap.viewer`); asked on connection events only. */
  get viewers(): number {
    let n = 0;
    for (const tap of this.#taps) if (tap.viewer) n++;
    return n;
  }

  /** Adds a tap (it gets nothing yet). */
  add(tap: MediaTap): void {
    this.#taps = [...this.#taps, tap];
  }

  /** Forgets a tap; false if it was not attached. */
  remove(tap: MediaTap): boolean {
    const i = this.#taps.indexOf(tap);
    if (i < 0) return false;
    this.#taps = this.#taps.toSpliced(i, 1);
    this.#removed();
    return true;
  }

  /** Hub.close(): tells every tap the hub is gone and forgets them. */
  closeAll(): void {
    const taps = this.#taps;
    this.#taps = this.#paused = [];
    for (const tap of taps) tap.close?.();
  }

  /** One message to every tap, in attach order. */
  media(msg: MediaMessage): void {
    const taps = this.#taps;
    for (let i = 0; i < taps.length; i++) {
      try {
        taps[i]!.media(msg);
      } catch (err) {
        this.#drop(taps[i]!, err);
      }
    }
  }

  /** A publisher claimed the stream: every tap starts (a grace, if any, is over). */
  started(stream: Stream): void {
    this.#paused = [];
    for (const tap of this.#taps) this.call(tap, () => tap.publisherStarted(stream));
  }

  /** The stream ended for its players: every tap, or only those paused by a grace that expired. */
  ended(onlyPaused: boolean): void {
    const taps = onlyPaused ? this.#paused.filter((tap) => this.#taps.includes(tap)) : this.#taps;
    this.#paused = [];
    for (const tap of taps) this.call(tap, () => tap.publisherEnded());
  }

  /** A grace begins: taps that can wait are paused, the others end now as without a grace. */
  paused(): void {
    const paused: MediaTap[] = [];
    for (const tap of this.#taps) {
      if (!tap.publisherPaused) this.call(tap, () => tap.publisherEnded());
      else if (this.call(tap, () => tap.publisherPaused!())) paused.push(tap);
    }
    this.#paused = paused;
  }

  /** Runs one tap callback; a tap that throws is dropped (and told why) and false returned. */
  call(tap: MediaTap, call: () => void): boolean {
    try {
      call();
      return true;
    } catch (err) {
      this.#drop(tap, err);
      return false;
    }
  }

  #drop(tap: MediaTap, err: unknown): void {
    const reason = toLiveError(err);
    this.#logger.warn({ stream: this.#key, err: reason }, 'media tap failed; dropped');
    this.remove(tap);
    try {
      tap.close?.(reason);
    } catch {
      // A tap that throws again while being dropped has nothing more to tell.
    }
  }
}
