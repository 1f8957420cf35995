/** The hub's view of an HTTP-FLV or WS-FLV player: a live body that receives the shared FLV tag buffers. */
import type { LiveError } from '../../errors.ts';
import type { SubscriberSink } from '../../hub/subscriber-sink.ts';
import type { Stream } from '../../hub/stream.ts';
import { encodeFlvHeader } from '../../protocol/flv/flv-header.ts';

/** Where the sink writes: an HTTP body (LiveResponse) or WebSocket messages (WsFlvResponse). */
export interface FlvOut {
  readonly bufferedBytes: number;
  head(status: number, headers: Readonly<Record<string, string>>): void;
  write(buffers: readonly Buffer[]): void;
}

/** Response headers of a live FLV body: never cached, readable cross-origin (mpegts.js, flv.js). */
export const flvHeaders = {
  'content-type': 'video/x-flv',
  'cache-control': 'no-cache, no-store',
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'Content-Length, Content-Type',
} as const;

/** Writes one player's merged FLV tags, one writev per batch; the response ends with the publisher. */
export class FlvPlayerSink implements SubscriberSink {
  readonly format = 'flv' as const;
  /** The tags go out as they are (the FLV header in front once): a joined batch is the same bytes. */
  readonly writesJoined = true;
  private readonly out: FlvOut;
  private readonly onEnd: (reason?: LiveError) => void;
  /** The stream whose FLV header is still to be written (set when a publisher starts). */
  private pendingHeader: Stream | undefined;
  /** The player's address (SubscriberSink.clientIp), set by the route. */
  clientIp: string | undefined;

  constructor(out: FlvOut, onEnd: (reason?: LiveError) => void) {
    this.out = out;
    this.onEnd = onEnd;
  }

  /** Bytes the socket holds that the kernel has not taken yet. */
  get bufferedBytes(): number {
    return this.out.bufferedBytes;
  }

  /** One merged write: the batch, with the FLV header in front the first time. */
  write(buffers: Buffer[]): void {
    if (this.pendingHeader) buffers = [this.flvHeader(this.pendingHeader), ...buffers];
    this.out.write(buffers);
  }

  /**
   * Sends the status line (a waiting player has none yet). The FLV header goes with the first media
   * write: by then the stream knows whether it carries audio and video, and players such as
   * mpegts.js and ffprobe wait for a track the header announces.
   */
  publisherStarted(stream: Stream): void {
    this.out.head(200, flvHeaders);
    this.pendingHeader = stream;
  }

  private flvHeader(stream: Stream): Buffer {
    this.pendingHeader = undefined;
    const known = stream.hasAudio || stream.hasVideo;
    return encodeFlvHeader({ audio: !known || stream.hasAudio, video: !known || stream.hasVideo });
  }

  /** An FLV body cannot restart its timeline, so the player reconnects for the next publisher. */
  publisherEnded(): void {
    this.onEnd();
  }

  /** The hub gave up on this player (stalled, or shutting down). */
  close(reason?: LiveError): void {
    this.onEnd(reason);
  }
}
