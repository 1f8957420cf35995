/**
 * One RTMP connection: socket bytes into the sans-I/O ServerSession, its publishes and plays to the
 * admission path (control/admission.ts) as transport-neutral requests, accepted ones to the hub, its
 * output back to the socket. Glue only: no protocol or admission decisions live here.
 */
import type { Socket } from 'node:net';
import { LiveError, ProtocolError, toLiveError } from '../../errors.ts';
import type { Refusal } from '../../control/access.ts';
import { rtmpRequest, type AdmissionRequest } from '../../control/admission-request.ts';
import { breakCodes } from '../../control/break-codes.ts';
import { clientStoppedReason, nameLimitRefusal, noDataReason } from '../../control/reasons.ts';
import type { Subscriber } from '../../hub/subscriber.ts';
import { systemTimers } from '../../hub/hub-options.ts';
import { mergeQuery } from '../../protocol/rtmp/bounded-query.ts';
import { ServerSession, type ServerSessionEvent } from '../../protocol/rtmp/server-session.ts';
import type { Log } from '../../log.ts';
import { PublishSession } from '../ingest/publish-session.ts';
import { serverSessionOptions, type RtmpConnectionDeps } from './rtmp-connection-deps.ts';
import { rejectPlay, startPlay } from './rtmp-play.ts';
import { SessionDriver } from './session-driver.ts';
import { refusalError, rtmpStatusOf } from './rtmp-status.ts';

/** One RTMP client (publisher or player) from handshake to close. */
export class RtmpConnection {
  readonly id: number;
  readonly clientIp: string;
  /** When the connection opened (for the handshake sweep). */
  readonly openedAt: number;
  handshakeDone = false;
  /** When the handshake finished: the connect timeout counts from here. */
  handshakeDoneAt: number | undefined;
  /**
   * When it last stopped publishing or playing (undefined until it first does): the idle sweep counts
   * from here, not from the open, so a long-lived connection may unpublish and publish again.
   */
  lastActiveAt: number | undefined;
  /** The session, log, app and the rest below are read by the connection's play part (rtmp-play.ts). */
  readonly session: ServerSession;
  readonly log: Log;
  app = '';
  private tcUrl = '';
  private connectQuery = new URLSearchParams();
  /** The connect object's capsEx announced Reconnect (E-RTMP v2): the drain asks it to move (docs/cluster.md "Drain"). */
  /** Sent the reconnect request: the end of this publish is the drain's (10/0), not the encoder's (1/0). */
  private reconnectRequested = false;
  /** The encoder's last Set Chunk Size; encoders send it before publish, so the publish session gets it at its start. */
  private peerChunkSize: number | undefined;
  private publishing: { session: PublishSession; streamId: number } | undefined;
  readonly players = new Map<number, Subscriber>();
  /** Runs the session's calls and hands their events here in order (pausing for access decisions). */
  readonly driver: SessionDriver;
  closed = false;
  /** What this connection adds to ServerCounters.rtmpPartialMessageBytes (the memory budget's RTMP share). */
  private heldPartial = 0;
  readonly socket: Socket;
  readonly deps: RtmpConnectionDeps;
  /** What the listener learns of the connection's progress (the handshake cap counts with it). */
  private readonly hooks: { handshakeDone(conn: RtmpConnection): void } | undefined;

  constructor(socket: Socket, id: number, deps: RtmpConnectionDeps, hooks?: RtmpConnection['hooks']) {
    this.socket = socket;
    this.deps = deps;
    this.hooks = hooks;
    this.id = id;
    this.clientIp = socket.remoteAddress ?? '';
    this.openedAt = deps.now();
    this.log = deps.log.child({ conn: id, ip: this.clientIp });
    this.session = new ServerSession(serverSessionOptions(deps));
    this.driver = new SessionDriver(this.session, socket, deps.counters, {
      event: (e) => this.onEvent(e),
      decide: (e) => (e.type === 'publish' ? this.onPublish(e) : startPlay(this, e)),
      fail: (err) => this.fail(err),
      closed: () => this.closed,
      outputAllowance: () => deps.maxOutputBytes + (this.players.size > 0 ? deps.playerQueueBytes : 0),
    });
  }

  /** Starts reading from the socket. */
  start(): void {
    this.socket.setNoDelay(true);
    this.socket.on('data', (data: Buffer) => this.onData(data));
    this.socket.on('error', (err) =>
      this.driver.guard(() => {
        this.endPublishing(breakCodes.networkError, `${breakCodes.networkError}: connection error: ${err.message}`);
        this.close(undefined, err.message);
      }),
    );
    this.socket.on('close', () => this.driver.guard(() => this.close(undefined, 'socket closed')));
    this.socket.on('drain', () => this.driver.guard(() => this.players.forEach((player) => player.onDrain())));
  }

  /** When the publisher last sent media, or undefined when this connection does not publish. */
  get lastMediaAt(): number | undefined {
    return this.publishing?.session.lastMediaAt;
  }

  /** True when the handshake is done and nothing is published, played, waited for or being decided. */
  get idle(): boolean {
    return this.handshakeDone && !this.publishing && this.players.size === 0 && !this.driver.busy;
  }

  /** Drops a publisher that sent nothing for `idleMs`: record 20/0, close, the encoder may reconnect at once. */
  dropIdle(idleMs: number): void {
    this.endPublishing(breakCodes.noData, noDataReason(idleMs));
    this.close(new LiveError('RTMP_IDLE_TIMEOUT', `publisher sent no media for ${idleMs} ms`));
  }

  /** True while this connection publishes a stream. */
  get publishes(): boolean {
    return !this.closed && this.publishing !== undefined;
  }

  /** The hub key of the stream this connection publishes, if it does. */
  get publishingKey(): string | undefined {
    return this.publishing?.session.key;
  }

  /**
   * The drain's end of a publisher that did not move: an error onStatus whose description is the 10/0
   * sentence (ffmpeg prints it as `Server error: ...`, OBS logs it), the record ended with it, then close.
   */
  closeForDrain(reason: string): boolean {
    const publishing = this.publishing;
    if (!this.publishes || !publishing) return false;
    try {
      this.session.sendStatus(publishing.streamId, 'error', 'NetConnection.Connect.Closed', reason);
    } catch (err) {
      this.logInternal(err, 'drain status failed');
    }
    this.endPublishing(breakCodes.serverStopped, reason);
    this.flushAndEnd();
    return true;
  }

  /**
   * The drain (E-RTMP v2 Reconnect Request): a publisher that announced the capability gets onStatus
   * `NetConnection.Connect.ReconnectRequest` on stream 0, with `tcUrl` (`rtmp://<advertise>/<app>`) when
   * another node is known; it keeps streaming, reconnects, then drops this connection. False when not sent.
   */
  requestReconnect(advertise: string | undefined, description: string): boolean {
    if (!this.publishes || !this.session.peerCapabilities.reconnect) return false;
    const extra = advertise === undefined ? undefined : { tcUrl: `rtmp://${advertise}/${this.app}` };
    try {
      this.session.sendStatus(0, 'status', 'NetConnection.Connect.ReconnectRequest', description, extra);
    } catch (err) {
      this.logInternal(err, 'reconnect request failed');
      return false;
    }
    this.driver.flush();
    this.reconnectRequested = true;
    return true;
  }

  /** Sends a PingRequest (User Control 6) so dead peers surface as socket errors. */
  ping(): void {
    if (this.closed || !this.handshakeDone) return;
    this.session.ping(this.deps.now() >>> 0);
    this.driver.flush();
  }

  private onData(data: Buffer): void {
    if (this.closed) return;
    this.deps.counters.bytesInRtmp += data.length;
    this.driver.run(() => this.session.receive(data));
    const held = this.session.partialBytes;
    if (held !== this.heldPartial) {
      this.deps.counters.rtmpPartialMessageBytes += held - this.heldPartial;
      this.heldPartial = held;
    }
  }

  /** Closes for an error the peer or a part caused: the publish ends with a break code, the close is counted by code. */
  fail(err: unknown): void {
    const live = toLiveError(err);
    const code = live.code === 'RTMP_MESSAGE_TOO_LARGE' ? breakCodes.messageTooLarge : breakCodes.protocolError;
    this.endPublishing(code, `${code}: ${live.code}: ${live.message}`);
    this.close(live);
  }

  private onEvent(event: ServerSessionEvent): void {
    switch (event.type) {
      case 'handshake-done':
        this.handshakeDone = true;
        this.handshakeDoneAt = this.deps.now();
        this.hooks?.handshakeDone(this);
        break;
      case 'connect':
        this.app = event.app;
        this.tcUrl = event.tcUrl;
        this.connectQuery = event.query;
        // Commands pipelined behind connect (createStream, play) come back from the decision, in order.
        this.driver.run(() => this.session.acceptConnect());
        break;
      case 'metadata':
      case 'media':
        if (this.publishing?.streamId === event.streamId) this.publishing.session.onMedia(event.message);
        break;
      case 'unpublish':
        if (this.publishing?.streamId === event.streamId) {
          if (this.reconnectRequested) this.endPublishing(breakCodes.serverStopped, movedReason);
          else this.endPublishing(breakCodes.clientStopped, clientStoppedReason());
        }
        break;
      case 'chunk-size':
        this.peerChunkSize = event.size;
        this.publishing?.session.onChunkSize(event.size);
        break;
      case 'refused': {
        // A name or query over the RTMP limits, refused by the protocol layer before there is a request to
        // decide; admission records a refused publish like any other.
        const refused = nameLimitRefusal(event.error.code, event.error.message);
        this.deps.counters.countError(refused.code);
        if (event.action === 'play') rejectPlay(this, event.streamId, refusalError(refused));
        else
          this.rejectPublish(
            event.streamId,
            this.deps.admission.refuse('publish', this.request(event.name, new URLSearchParams()), refused).refusal,
          );
        break;
      }
      case 'stop-play':
        this.players.get(event.streamId)?.close();
        this.players.delete(event.streamId);
        this.lastActiveAt = this.deps.now();
        break;
      case 'ignored':
        this.log.debug({ what: event.what }, 'ignored RTMP message');
        break;
      default:
        break;
    }
  }

  private async onPublish(event: Extract<ServerSessionEvent, { type: 'publish' }>): Promise<void> {
    if (this.publishing) {
      return this.rejectPublish(
        event.streamId,
        new LiveError('RTMP_STATE', 'this connection already publishes a stream'),
      );
    }
    const req = this.request(event.name, event.query);
    const publisher = { id: this.publisherId, clientIp: this.clientIp, protocol: req.protocol };
    // Deleted while it was decided (or closed): claiming would hold the stream for a publisher that left.
    const stillWanted = (): boolean => !this.closed && this.session.awaitsDecision(event.streamId);
    const outcome = await this.deps.admission.publish(req, publisher, { stillWanted });
    if (outcome.kind === 'abandoned') return;
    if (outcome.kind === 'refused') return this.rejectPublish(event.streamId, outcome.refusal);
    const stream = outcome.claim;
    let session: PublishSession;
    try {
      session = new PublishSession({
        hub: this.deps.hub,
        records: this.deps.records,
        log: this.log,
        now: this.deps.now,
        stream,
        publisherId: this.publisherId,
        domain: outcome.domain,
        app: this.app,
        name: event.name,
        clientIp: this.clientIp,
        disconnect: () => this.close(undefined, 'ended by the operator or a newer publisher'),
        query: req.query.toString(),
        serverIp: this.socket.localAddress ?? '',
        listener: this.deps.publishListener,
      });
    } catch (err) {
      // The claim must not outlive a publish that could not start: the stream would stay taken by nobody.
      this.deps.admission.release(stream, this.publisherId);
      throw err;
    }
    this.publishing = { session, streamId: event.streamId };
    if (this.peerChunkSize !== undefined) session.onChunkSize(this.peerChunkSize);
    this.deps.publishers.add(session);
    this.driver.run(() => this.session.acceptPublish(event.streamId));
    this.log.info({ stream: stream.key, domain: outcome.domain }, 'publish started');
  }

  /** The transport-neutral request of a publish or play on this connection (the host from the connect tcUrl). */
  request(stream: string, query: URLSearchParams): AdmissionRequest {
    const tls = this.deps.tls === true;
    return rtmpRequest({
      tls,
      tcUrl: this.tcUrl,
      app: this.app,
      stream,
      query: mergeQuery(this.connectQuery, query),
      clientIp: this.clientIp,
    });
  }

  private get publisherId(): string {
    return `rtmp-${this.id}`;
  }

  /** Sends the refusal (its sentence starts with the break code) before anything else, then closes. */
  private rejectPublish(streamId: number, refused: LiveError | Refusal): void {
    this.deps.counters.rejectedPublishes++;
    const err = refused instanceof LiveError ? refused : new LiveError(refused.code, refused.reason);
    this.driver.run(() => this.session.rejectPublish(streamId, rtmpStatusOf(err, 'publish'), err.message));
    this.log.info({ code: err.code, reason: err.message }, 'publish rejected');
    this.flushAndEnd();
  }

  /** Ends this connection's publish session (once) with a break code and its sentence. */
  endPublishing(breakCode: string, reason: string): void {
    const publishing = this.publishing;
    if (!publishing) return;
    this.publishing = undefined;
    this.lastActiveAt = this.deps.now();
    this.deps.publishers.remove(publishing.session);
    // end() never rejects; the handlers keep a throwing observer from reaching socket events and the sweep timer.
    const failed = (err: unknown) => this.logInternal(err, 'publish end failed');
    try {
      publishing.session.end(breakCode, reason).catch(failed);
    } catch (err) {
      failed(err);
    }
  }

  /** Logs and counts a fault of ours (not the peer's) that must not take the process down. */
  private logInternal(err: unknown, what: string): void {
    const live = toLiveError(err);
    this.deps.counters.countError(live.code);
    this.log.error({ code: live.code, err: live.message }, what);
  }

  /** Sends the last status, then closes: the encoder must be able to read why before the socket goes. */
  flushAndEnd(): void {
    this.driver.flush();
    if (this.closed) return;
    this.closed = true;
    this.releaseAll();
    this.socket.end();
    // A peer that never reads its half would keep the socket; the status has been written by then.
    (this.deps.timers ?? systemTimers).setTimeout(() => this.socket.destroy(), endGraceMs);
  }

  /** Closes the connection once; `err` is logged and counted with its stable code. */
  close(err?: LiveError, reason?: string): void {
    if (this.closed) {
      if (!this.socket.destroyed && err) this.socket.destroy();
      return;
    }
    this.closed = true;
    if (err) {
      this.deps.counters.countError(err.code);
      const level = err instanceof ProtocolError || err.kind === 'timeout' || err.kind === 'limit' ? 'warn' : 'error';
      this.log[level]({ code: err.code, reason: err.message }, 'connection closed');
    } else {
      this.log.debug({ reason }, 'connection closed');
    }
    this.releaseAll();
    this.socket.destroy();
  }

  /** Ends the publish (an encoder that just closes the socket stopped on purpose: 1/0) and every play. */
  private releaseAll(): void {
    this.driver.clear();
    this.deps.counters.rtmpPartialMessageBytes -= this.heldPartial;
    this.heldPartial = 0;
    if (this.reconnectRequested) this.endPublishing(breakCodes.serverStopped, movedReason);
    else this.endPublishing(breakCodes.clientStopped, clientStoppedReason());
    const players = [...this.players.values()];
    this.players.clear();
    for (const player of players) {
      try {
        player.close();
      } catch (err) {
        this.logInternal(err, 'player close failed');
      }
    }
  }
}

/** How long a peer that does not read its half may keep the socket after the last status was written. */
const endGraceMs = 2000;

/** The record of a publisher that left after the drain's reconnect request (E-RTMP v2: it moved to another node). */
const movedReason =
  '10/0: SERVER_DRAINING: the server drained; the encoder was asked to reconnect to another node (E-RTMP v2 reconnect request)';
