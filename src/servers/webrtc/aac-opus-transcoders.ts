/**
 * The AAC → Opus transcoders of this node (aac-opus-transcoder.ts), one per stream that has WHEP viewers
 * and AAC audio: the first viewer of a stream starts its ffmpeg child, the last one leaving stops it. At
 * most `webrtc.maxTranscodes` run at once across streams; a viewer past that gets video without audio
 * (WEBRTC_TRANSCODE_LIMIT). With `webrtc.transcodeAac` off, or once ffmpeg turned out to be missing
 * (logged once), viewers of AAC streams get no audio, as before transcoding existed.
 */
import type { Hub } from '../../hub/hub.ts';
import type { TapHandle } from '../../hub/media-tap.ts';
import { AacOpusTranscoder, type AacOpusTranscoderOptions, type OpusListener } from './aac-opus-transcoder.ts';

/** What the transcoders are built from. */
export interface AacOpusTranscodersOptions extends Omit<AacOpusTranscoderOptions, 'onUnavailable'> {
  readonly enabled: boolean;
  readonly maxTranscodes: number;
  readonly hub: Hub;
}

/** A viewer's place on its stream's transcoder; `leave()` is idempotent. */
export interface TranscodeViewer {
  leave(): void;
}

/** Whether a cached audio header is an AAC AudioSpecificConfig (FLV SoundFormat 10, AACPacketType 0). */
export function isAacHeader(payload: Buffer | undefined): boolean {
  return payload !== undefined && payload.length >= 4 && payload[0]! >> 4 === 10 && payload[1] === 0;
}

/** The transcoders per stream key. */
export class AacOpusTranscoders {
  readonly #o: AacOpusTranscodersOptions;
  readonly #byKey = new Map<string, { t: AacOpusTranscoder; tap: TapHandle }>();
  /** Transcoders closed whose children have not exited yet: they count for `children` and the cap. */
  #leaving: AacOpusTranscoder[] = [];
  #unavailable = false;
  #closed = false;

  constructor(o: AacOpusTranscodersOptions) {
    this.#o = o;
  }

  /** Streams with a transcoder now. */
  get size(): number {
    return this.#byKey.size;
  }

  /** ffmpeg children alive now (running or being stopped), for tests and stats. */
  get children(): number {
    let n = 0;
    for (const { t } of this.#byKey.values()) n += t.children;
    return n + this.#leaving.reduce((a, t) => a + t.children, 0);
  }

  /** The transcoder of `key`, if any (tests). */
  get(key: string): AacOpusTranscoder | undefined {
    return this.#byKey.get(key)?.t;
  }

  /**
   * Adds a WHEP viewer of `key` whose stream has AAC audio; its listener gets the Opus packets. Undefined
   * when transcoding is off or unavailable, or when `maxTranscodes` other streams are being transcoded.
   */
  join(key: string, listener: OpusListener): TranscodeViewer | undefined {
    if (!this.#o.enabled || this.#unavailable || this.#closed) return undefined;
    let entry = this.#byKey.get(key);
    if (!entry) {
      // Children still exiting count too: the cap is on ffmpeg processes (SIGTERM usually ends one in ms).
      this.#leaving = this.#leaving.filter((x) => x.children > 0);
      if (this.#byKey.size + this.#leaving.length >= this.#o.maxTranscodes) {
        this.#o.countError('WEBRTC_TRANSCODE_LIMIT');
        this.#o.log.warn(
          { stream: key, code: 'WEBRTC_TRANSCODE_LIMIT', maxTranscodes: this.#o.maxTranscodes },
          'AAC to Opus transcoders at webrtc.maxTranscodes: this WHEP viewer gets video only',
        );
        return undefined;
      }
      const t = new AacOpusTranscoder(key, { ...this.#o, onUnavailable: (err) => this.#markUnavailable(err) });
      entry = { t, tap: { close: () => {} } };
      this.#byKey.set(key, entry);
      // The tap replays the cached AudioSpecificConfig at once, which starts the child.
      entry.tap = this.#o.hub.tap(key, t);
    }
    const { t } = entry;
    t.add(listener);
    let left = false;
    return {
      leave: () => {
        if (left) return;
        left = true;
        if (t.remove(listener) === 0) this.#end(key, t);
      },
    };
  }

  #end(key: string, t: AacOpusTranscoder): void {
    const entry = this.#byKey.get(key);
    if (entry?.t !== t) return;
    this.#byKey.delete(key);
    entry.tap.close();
    t.close();
    this.#leaving = this.#leaving.filter((x) => x.children > 0);
    if (t.children > 0) this.#leaving.push(t);
  }

  #markUnavailable(err: Error): void {
    if (this.#unavailable) return;
    this.#unavailable = true;
    this.#o.log.error(
      { code: 'WEBRTC_TRANSCODE_FAILED', ffmpegPath: this.#o.ffmpegPath, err: err.message },
      'ffmpeg cannot be started: WHEP plays AAC streams without audio (set snapshot.ffmpegPath or install ffmpeg)',
    );
    for (const [key, { t }] of this.#byKey) this.#end(key, t);
  }

  /** Stops every transcoder (SIGTERM, SIGKILL after the timeout); later joins get none. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const [key, { t }] of this.#byKey) this.#end(key, t);
  }
}
