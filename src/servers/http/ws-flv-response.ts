/**
 * A live FLV body over a WebSocket (RFC 6455) on the upgraded socket, the way mpegts.js and flv.js read
 * WS-FLV: each merged batch of the HTTP-FLV sink becomes one binary message, header and buffers in one
 * writev, so WS-FLV shares HTTP-FLV's encoding and write merging. The handshake is done before the body.
 */
import type { Socket } from 'node:net';
import { closeFrame, frameHeader, opcodes } from './ws-flv-frames.ts';

/** How long an ended body may take to reach its player before the socket is destroyed (as LiveResponse). */
const endGraceMs = 5000;

/** The FlvPlayerSink's output over WebSocket frames. */
export class WsFlvResponse {
  private readonly socket: Socket;
  private ended = false;

  constructor(socket: Socket) {
    this.socket = socket;
  }

  /** Bytes the socket holds that the kernel has not taken yet (the hub's slow-client measure). */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  /** Whether the socket can still be written. */
  get writable(): boolean {
    return !this.ended && !this.socket.destroyed;
  }

  /** Nothing to send: the 101 answer went out before the player subscribed. */
  head(): void {}

  /** One binary message per batch; corked so the frame header and the buffers leave in one writev. */
  write(buffers: readonly Buffer[]): void {
    if (!this.writable || buffers.length === 0) return;
    let length = 0;
    for (const b of buffers) length += b.length;
    if (length === 0) return;
    const socket = this.socket;
    socket.cork();
    socket.write(frameHeader(opcodes.binary, length));
    for (const b of buffers) socket.write(b);
    socket.uncork();
  }

  /** A pong for a ping, unless the player is not reading (then its own backlog answers for it). */
  pong(payload: Buffer): void {
    if (!this.writable || this.socket.writableLength > 0) return;
    this.socket.write(Buffer.concat([frameHeader(opcodes.pong, payload.length), payload]));
  }

  /** Ends the body with a close frame (1000 normal; 4000+HTTP status for a refusal after the handshake). */
  end(code = 1000, reason = ''): void {
    if (!this.writable) return;
    this.ended = true;
    this.socket.end(closeFrame(code, reason));
    setTimeout(() => this.socket.destroy(), endGraceMs).unref();
  }

  /** Drops the connection at once (a stalled reader, a protocol error). */
  destroy(): void {
    this.ended = true;
    this.socket.destroy();
  }
}
