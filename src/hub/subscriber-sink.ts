/** The interface the I/O glue implements for each player: where a subscriber's bytes go. */
import type { LiveError } from '../errors.ts';
import type { OutputFormat } from './packet.ts';
import type { Stream } from './stream.ts';

/**
 * One player's output, implemented by the glue (RTMP connection, HTTP-FLV response). The hub calls
 * it synchronously and never awaits it; the glue reports socket 'drain' through `Subscriber.onDrain()`.
 */
export interface SubscriberSink {
  /** Which shared encoding this sink receives. */
  readonly format: OutputFormat;
  /** Bytes handed to the socket but not yet flushed to the kernel (`socket.writableLength`). */
  readonly bufferedBytes: number;
  /**
   * Set for the relay play of another node (an edge pulling this stream): its hop count. It counts as
   * demand (chains of edges hold) but not as a viewer in stats (docs/cluster.md "Origin/edge relays").
   */
  readonly relayHops?: number;
  /**
   * Set for a WHEP (WebRTC) player: it reads the `flv` encoding, but the stats count it apart from HTTP-FLV
   * (docs/statistics.md).
   */
  readonly playProtocol?: 'webrtc';
  /** The player's address, for the per-address flux of DescribeTopClientIpSumInfoList (stats sampler). */
  readonly clientIp?: string;
  /**
   * One merged write (a writev's worth), in order. Do `cork(); write×n; uncork()` only when there is
   * more than one buffer: corking a single write costs more than a plain write (fanout-measurements.md).
   * The array is handed over (the hub keeps no reference); the Buffers are shared, never modify them.
   */
  write(buffers: Buffer[]): void;
  /**
   * The sink writes a batch's bytes as they are, so the hub may hand it the batch joined into one shared
   * Buffer (WriteScheduler.joined). Unset for sinks that look at each message (tests, re-encoders).
   */
  readonly writesJoined?: boolean;
  /**
   * A publisher is live: called before its first media, synchronously inside `Hub.subscribe()` when
   * the stream is already live, or inside `Hub.claim()` for a waiting subscriber. RTMP sends
   * Play.Start (or StreamBegin + PublishNotify), HTTP-FLV sends the status line and FLV header.
   */
  publisherStarted(stream: Stream): void;
  /** The publisher left; everything it sent has been written. RTMP: UnpublishNotify; HTTP-FLV: end. */
  publisherEnded(): void;
  /**
   * The hub gives up on this player: SUBSCRIBER_STALLED, a `write()` that threw (wrapped with
   * `toLiveError`), or no reason when the hub closes. Not called for the glue's own
   * `Subscriber.close()`. Must be idempotent.
   */
  close(reason?: LiveError): void;
}
