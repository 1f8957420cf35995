// What every benchmark player (RTMP or HTTP-FLV) records, and the read buffer they share.
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** One read buffer for all sockets of a process: onread callbacks run one at a time and copy nothing out. */
export const sharedReadBuffer = Buffer.allocUnsafe(256 * 1024);

/** Options common to both kinds of player. */
export interface PlayerOptions {
  /** rtmp://host:port/app/name or http://host:port/app/name.flv */
  url: string;
  /** Stop reading (pause the socket) once the first keyframe has arrived: a stalled viewer. */
  stall: boolean;
  /** Latency probe: called with the body length of every video message as its last byte arrives. */
  onVideo?: (len: number) => void;
}

/** The counters a player keeps; times are performance.now() milliseconds, -1 until they happen. */
export abstract class BenchPlayer {
  /** Bytes received on the socket, all included. */
  bytes = 0;
  /** When the player started connecting. */
  readonly startedAt = performance.now();
  /** When the first byte of media (RTMP audio/video/data message, HTTP body) arrived. */
  firstByteAt = -1;
  /** When the first video keyframe (not a sequence header) had fully arrived. */
  firstKeyAt = -1;
  /** Why the player failed or the server closed it; empty while all is well. */
  error = '';
  /** The socket has closed. */
  closed = false;

  /** Closes the socket at once. */
  close(): void {
    this.error ||= 'closed by harness';
    this.#socket?.destroy();
  }

  #socket: Socket | undefined;

  /** Adopts the player's socket: its errors and its close are recorded the same way for every kind. */
  protected watch(socket: Socket): Socket {
    this.#socket = socket;
    socket.on('error', (err) => this.fail(err.message));
    socket.on('close', () => {
      this.closed = true;
      this.fail('closed by server');
    });
    return socket;
  }

  protected fail(why: string): void {
    if (this.error === '') this.error = why;
  }

  protected markFirstByte(): void {
    if (this.firstByteAt < 0) this.firstByteAt = performance.now();
  }

  protected markKeyframe(): void {
    if (this.firstKeyAt < 0) this.firstKeyAt = performance.now();
  }
}

/**
 * Whether the first two bytes of a video body start a coded keyframe (FLV 10.1 §E.4.3.1; enhanced RTMP v1
 * ExVideoTagHeader): a sequence header has the keyframe type too, but is not a picture.
 */
export function isVideoKeyframe(head: number): boolean {
  const b0 = head >> 8;
  if ((b0 & 0x80) !== 0) {
    const packetType = b0 & 0x0f;
    return ((b0 >> 4) & 0x07) === 1 && (packetType === 1 || packetType === 3);
  }
  if (b0 >> 4 !== 1) return false;
  const codec = b0 & 0x0f;
  return codec === 7 || codec === 12 ? (head & 0xff) === 1 : true;
}
