/**
 * One published media message and its output encodings. Encode once, share everywhere (design.md):
 * each format is built at most once, on the first request, and every reader gets the same Buffer.
 */
import { MediaType, type MediaMessage } from '../protocol/media.ts';

/** The wire formats subscribers read: RTMP chunks or FLV tags. */
export type OutputFormat = 'rtmp' | 'flv';

/** Builds one format's bytes for a message; the hub wires the protocol encoders in. */
export type PacketEncoders = Readonly<Record<OutputFormat, (msg: MediaMessage) => Buffer>>;

/** An immutable MediaMessage with lazily built, shared RTMP and FLV encodings. */
export class Packet {
  readonly message: MediaMessage;
  /** A video keyframe: where playback (and a skipping subscriber) can start. */
  readonly keyframe: boolean;
  /** Audio or video frame that advances the timeline (not a sequence header, not script data). */
  readonly frame: boolean;
  readonly #encoders: PacketEncoders;
  #rtmp: Buffer | undefined;
  #flv: Buffer | undefined;

  constructor(message: MediaMessage, encoders: PacketEncoders) {
    this.message = message;
    this.#encoders = encoders;
    this.keyframe = message.type === MediaType.Video && message.keyframe;
    this.frame = message.type !== MediaType.Data && !message.sequenceHeader;
  }

  /** The media timestamp in milliseconds. */
  get timestamp(): number {
    return this.message.timestamp;
  }

  /** The message in `format`, built on first use; later calls return the same Buffer. */
  bytes(format: OutputFormat): Buffer {
    if (format === 'rtmp') return (this.#rtmp ??= this.#encoders.rtmp(this.message));
    return (this.#flv ??= this.#encoders.flv(this.message));
  }

  /** Whether `format` has been built (for tests and stats: unread formats must cost nothing). */
  built(format: OutputFormat): boolean {
    return (format === 'rtmp' ? this.#rtmp : this.#flv) !== undefined;
  }
}
