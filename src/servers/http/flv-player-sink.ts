/** The hub's view of an HTTP-FLV player: a chunked response that receives the shared FLV tag buffers. */
import type { ServerResponse } from 'node:http';
import type { LiveError } from '../../errors.ts';
import type { SubscriberSink } from '../../hub/subscriber-sink.ts';
import type { Stream } from '../../hub/stream.ts';
import { encodeFlvHeader } from '../../protocol/flv/flv-header.ts';

/** Response headers of a live FLV body: never cached, readable cross-origin (mpegts.js, flv.js). */
export const flvHeaders = {
  'content-type': 'video/x-flv',
  'cache-control': 'no-cache, no-store',
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'Content-Length, Content-Type',
  connection: 'keep-alive',
} as const;

/** Writes one player's merged FLV tags to its HTTP response; the response ends with the publisher. */
export class FlvPlayerSink implements SubscriberSink {
  readonly format = 'flv' as const;
  private readonly res: ServerResponse;
  private readonly onEnd: (reason?: LiveError) => void;
  /** The stream whose FLV header is still to be written (set when a publisher starts). */
  private pendingHeader: Stream | undefined;

  constructor(res: ServerResponse, onEnd: (reason?: LiveError) => void) {
    this.res = res;
    this.onEnd = onEnd;
  }

  /** Bytes the response holds that the socket has not taken yet. */
  get bufferedBytes(): number {
    return this.res.writableLength;
  }

  /** One merged write: cork only when there is more than one buffer. */
  write(buffers: Buffer[]): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (this.pendingHeader) buffers = [this.flvHeader(this.pendingHeader), ...buffers];
    if (buffers.length === 1) {
      this.res.write(buffers[0]!);
      return;
    }
    this.res.cork();
    for (const b of buffers) this.res.write(b);
    this.res.uncork();
  }

  /**
   * Sends the status line (a waiting player has none yet). The FLV header goes with the first media
   * write: by then the stream knows whether it carries audio and video, and players such as
   * mpegts.js and ffprobe wait for a track the header announces.
   */
  publisherStarted(stream: Stream): void {
    if (!this.res.headersSent) this.res.writeHead(200, flvHeaders);
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
