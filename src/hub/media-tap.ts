/**
 * A synchronous observer of one stream's raw media messages, for consumers that repackage media
 * themselves (the HLS segmenter, a recorder) instead of reading a shared RTMP or FLV encoding.
 */
import type { LiveError } from '../errors.ts';
import type { MediaMessage } from '../protocol/media.ts';
import type { Stream } from './stream.ts';

/**
 * What a tap receives, always synchronously inside the publisher's call, so it must not block or
 * await: `publisherStarted()`, then every message in publish order, then `publisherEnded()`, for
 * each publisher in turn. A tap attached to a live stream first gets `publisherStarted()` and a
 * replay of the cached metadata, sequence headers and GOP, so it can start on a keyframe at once.
 */
export interface MediaTap {
  /**
   * True for a tap that serves viewers (the HLS segmenter): it counts as demand for the stream, so an
   * edge keeps pulling it while the tap is attached (docs/cluster.md "Origin/edge relays").
   */
  readonly viewer?: boolean;
  /** A publisher claimed the stream (or held it when the tap was attached). */
  publisherStarted(stream: Stream): void;
  /** One message as published; script data arrives as plain `onMetaData` (hub/metadata.ts). */
  media(msg: MediaMessage): void;
  /** The publisher left; every message it sent has been delivered. */
  publisherEnded(): void;
  /**
   * The publisher left and the stream waits `reconnectGraceMs` for it to return (hub-options.ts).
   * A tap that has this gets `publisherStarted()` when a publisher returns within the grace, or
   * `publisherEnded()` when none does; a tap without it gets `publisherEnded()` at once instead, as
   * it would without a grace, then `publisherStarted()` if one returns. Timestamps after a return
   * continue those before it (stream.ts rebases them).
   */
  publisherPaused?(): void;
  /**
   * The hub dropped the tap: a callback threw (the error, wrapped with `toLiveError`), or the hub
   * closed (no reason). Not called for the owner's own `TapHandle.close()`.
   */
  close?(reason?: LiveError): void;
}

/** The owner's handle on an attached tap. */
export interface TapHandle {
  /** Detaches the tap; a stream with no publisher, subscriber or tap leaves the hub. Idempotent. */
  close(): void;
}
