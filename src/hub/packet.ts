/**
 * One published media message and its output encodings. Encode once, share everywhere (design.md):
 * each format is built at most once, on the first request, and every reader gets the same Buffer.
 */
import { MediaType, type MediaMessage } from '../protocol/media.ts';

/**
 * The wire formats subscribers read: RTMP chunks, FLV tags, or RTMP chunks of every track for players
 * that announced Enhanced RTMP v2 Multitrack (the same bytes as 'rtmp' for single-track messages).
 */
export type OutputFormat = 'rtmp' | 'flv' | 'rtmp-multitrack';

/** Builds one format's bytes for a message; the hub wires the protocol encoders in. */
export type PacketEncoders = Readonly<Record<'rtmp' | 'flv', (msg: MediaMessage) => Buffer>>;

/** An immutable MediaMessage with lazily built, shared RTMP and FLV encodings. */
export class Packet {
  readonly message: MediaMessage;
  /** A video keyframe: where playback (and a skipping subscriber) can start. */
  readonly keyframe: boolean;
  /** Audio or video frame that advances the timeline (not a sequence header, not script data). */
  readonly frame: boolean;
  /** Payload bytes the packet holds: the default track plus, for E-RTMP v2 Multitrack, every track (memory budget). */
  readonly size: number;
  readonly #encoders: PacketEncoders;
  #rtmp: Buffer | undefined;
  #flv: Buffer | undefined;
  #multitrack: Buffer | undefined;

  constructor(message: MediaMessage, encoders: PacketEncoders) {
    this.message = message;
    this.#encoders = encoders;
    this.keyframe = message.type === MediaType.Video && message.keyframe;
    this.frame = message.type !== MediaType.Data && !message.sequenceHeader;
    this.size = message.payload.length + (message.multitrack?.length ?? 0);
  }

  /** The media timestamp in milliseconds. */
  get timestamp(): number {
    return this.message.timestamp;
  }

  /** The message in `format`, built on first use; later calls return the same Buffer. */
  bytes(format: OutputFormat): Buffer {
    if (format === 'rtmp') return (this.#rtmp ??= this.#encoders.rtmp(this.message));
    if (format === 'flv') return (this.#flv ??= this.#encoders.flv(this.message));
    return (this.#multitrack ??= this.#allTracks());
  }

  /** Every track as the publisher sent it (ModEx included), or the shared RTMP bytes of a single-track message. */
  #allTracks(): Buffer {
    const all = this.message.multitrack;
    if (all === undefined) return this.bytes('rtmp');
    return this.#encoders.rtmp({ ...this.message, payload: all });
  }

  /** Whether `format` has been built (for tests and stats: unread formats must cost nothing). */
  built(format: OutputFormat): boolean {
    return (format === 'rtmp' ? this.#rtmp : format === 'flv' ? this.#flv : this.#multitrack) !== undefined;
  }
}
