/** The hub's view of an RTMP player: shared chunk bytes go straight to the socket, statuses via the session. */
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import type { LiveError } from '../../errors.ts';
import type { SubscriberSink } from '../../hub/subscriber-sink.ts';
import type { ServerSession } from '../../protocol/rtmp/server-session.ts';

/** The message stream id the hub's shared RTMP chunks carry (default-encoders.ts). */
const SharedStreamId = 1;

/**
 * A copy of one shared message (a fmt 0 chunk first, RTMP 1.0 §5.3.1.2.1) with another message stream
 * id: a player that plays on a second created stream (after deleteStream, or two plays on one
 * connection) must see its media on that stream, and strict clients drop the rest. Costs one copy
 * per message for such players only; first plays are on stream 1 and share the hub's bytes.
 */
function withMessageStreamId(chunks: Buffer, streamId: number): Buffer {
  const csidBits = chunks[0]! & 0x3f;
  const basic = csidBits === 0 ? 2 : csidBits === 1 ? 3 : 1;
  const copy = Buffer.from(chunks);
  copy.writeUInt32LE(streamId, basic + 7);
  return copy;
}

/** What the sink asks of its connection. */
export interface RtmpPlayerConnection {
  /** The first publisher is there: accept the play (the connection runs the session's decision and its events). */
  start(): void;
  /** Write what the session queued. */
  flush(): void;
  /** The hub gave up on this player: close the connection. */
  close(reason?: LiveError): void;
}

/** Writes one player's merged media to its socket and tells it when the publisher comes and goes. */
export class RtmpPlayerSink implements SubscriberSink {
  /** Players that announced Enhanced RTMP v2 Multitrack (capsEx) in connect receive every track. */
  readonly format: 'rtmp' | 'rtmp-multitrack';
  private started = false;
  private readonly socket: Socket;
  private readonly session: ServerSession;
  private readonly streamId: number;
  private readonly conn: RtmpPlayerConnection;
  /** Set for the relay play of another node (an edge): its hop count (SubscriberSink.relayHops). */
  readonly relayHops: number | undefined;
  /** The player's address (SubscriberSink.clientIp). */
  readonly clientIp: string | undefined;
  /** Joined batches are fine on stream 1; another message stream id is patched into each message's first chunk. */
  readonly writesJoined: boolean;

  constructor(
    socket: Socket,
    session: ServerSession,
    streamId: number,
    conn: RtmpPlayerConnection,
    relayHops?: number,
  ) {
    this.relayHops = relayHops;
    this.clientIp = socket.remoteAddress;
    this.format = session.peerCapabilities.multitrack ? 'rtmp-multitrack' : 'rtmp';
    this.socket = socket;
    this.session = session;
    this.streamId = streamId;
    this.writesJoined = streamId === SharedStreamId;
    this.conn = conn;
  }

  /** Bytes the socket holds that the kernel has not taken yet. */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  /** One merged write: cork only when there is more than one buffer (fanout-measurements.md). */
  write(buffers: Buffer[]): void {
    if (this.socket.destroyed) return;
    if (this.streamId !== SharedStreamId) buffers = buffers.map((b) => withMessageStreamId(b, this.streamId));
    if (buffers.length === 1) {
      this.socket.write(buffers[0]!);
      return;
    }
    this.socket.cork();
    for (const b of buffers) this.socket.write(b);
    this.socket.uncork();
  }

  /** First publisher: Play.Start and friends; a returning one: StreamBegin + PublishNotify. */
  publisherStarted(): void {
    const first = !this.started;
    this.started = true;
    if (first) return this.conn.start();
    this.session.publishNotify(this.streamId);
    this.conn.flush();
  }

  /** Players stay connected: UnpublishNotify + StreamEOF, as nginx-rtmp and FMS do. */
  publisherEnded(): void {
    this.session.unpublishNotify(this.streamId);
    this.conn.flush();
  }

  /** The hub gave up on this player (stalled, or shutting down): the connection goes with it. */
  close(reason?: LiveError): void {
    this.conn.close(reason);
  }
}
