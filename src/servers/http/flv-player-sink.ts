/** The hub's view of an HTTP-FLV player: a chunked response that receives the shared FLV tag buffers. */
import type { ServerResponse } from 'node:http';
import type { LiveError } from '../../errors.ts';
import type { SubscriberSink } from '../../hub/subscriber-sink.ts';
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
    if (buffers.length === 1) {
      this.res.write(buffers[0]!);
      return;
    }
    this.res.cork();
    for (const b of buffers) this.res.write(b);
    this.res.uncork();
  }

  /** Sends the status line (a waiting player has none yet) and the FLV file header. */
  publisherStarted(): void {
    if (!this.res.headersSent) this.res.writeHead(200, flvHeaders);
    this.res.write(encodeFlvHeader({ audio: true, video: true }));
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
