/** The hub's view of an RTMP player: shared chunk bytes go straight to the socket, statuses via the session. */
import type { Socket } from 'node:net';
import type { LiveError } from '../../errors.ts';
import type { SubscriberSink } from '../../hub/subscriber-sink.ts';
import type { ServerSession } from '../../protocol/rtmp/server-session.ts';

/** Writes one player's merged media to its socket and tells it when the publisher comes and goes. */
export class RtmpPlayerSink implements SubscriberSink {
  readonly format = 'rtmp' as const;
  private started = false;
  private readonly socket: Socket;
  private readonly session: ServerSession;
  private readonly streamId: number;
  private readonly flushSession: () => void;
  private readonly closeConnection: (reason?: LiveError) => void;

  constructor(
    socket: Socket,
    session: ServerSession,
    streamId: number,
    flushSession: () => void,
    closeConnection: (reason?: LiveError) => void,
  ) {
    this.socket = socket;
    this.session = session;
    this.streamId = streamId;
    this.flushSession = flushSession;
    this.closeConnection = closeConnection;
  }

  /** Bytes the socket holds that the kernel has not taken yet. */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  /** One merged write: cork only when there is more than one buffer (fanout-measurements.md). */
  write(buffers: Buffer[]): void {
    if (this.socket.destroyed) return;
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
    if (this.started) this.session.publishNotify(this.streamId);
    else this.session.acceptPlay(this.streamId);
    this.started = true;
    this.flushSession();
  }

  /** Players stay connected: UnpublishNotify + StreamEOF, as nginx-rtmp and FMS do. */
  publisherEnded(): void {
    this.session.unpublishNotify(this.streamId);
    this.flushSession();
  }

  /** The hub gave up on this player (stalled, or shutting down): the connection goes with it. */
  close(reason?: LiveError): void {
    this.closeConnection(reason);
  }
}
