/**
 * One RTMP connection: socket bytes into the sans-I/O ServerSession, its events to the access hook
 * and the hub, its output back to the socket. Glue only: no protocol decisions live here.
 */
import type { Socket } from 'node:net';
import { LiveError, ProtocolError, toLiveError } from '../../errors.ts';
import type { Access } from '../../control/access.ts';
import type { Hub } from '../../hub/hub.ts';
import type { Stream } from '../../hub/stream.ts';
import type { Subscriber } from '../../hub/subscriber.ts';
import { ServerSession, type ServerSessionEvent } from '../../protocol/rtmp/server-session.ts';
import { describeMediaMessage } from '../../protocol/codec/media-info.ts';
import type { MediaMessage } from '../../protocol/media.ts';
import type { Log } from '../../log.ts';
import type { ServerCounters } from '../counters.ts';
import { RtmpPlayerSink } from './rtmp-player-sink.ts';
import { rtmpStatusOf } from './rtmp-status.ts';

/** What a connection needs from the server that owns it. */
export interface RtmpConnectionDeps {
  readonly hub: Hub;
  readonly access: Access;
  readonly log: Log;
  readonly counters: ServerCounters;
  readonly now: () => number;
  readonly chunkSize: number;
  readonly maxMessageSize: number;
  readonly playWaitMs: number;
}

type PendingEvent = ServerSessionEvent;

/** One RTMP client (publisher or player) from handshake to close. */
export class RtmpConnection {
  readonly id: number;
  readonly clientIp: string;
  /** When the connection opened and when media last arrived from it (for the idle sweep). */
  readonly openedAt: number;
  lastMediaAt: number;
  handshakeDone = false;
  private readonly session: ServerSession;
  private readonly log: Log;
  private app = '';
  private tcUrl = '';
  private connectQuery = new URLSearchParams();
  private publishing: { stream: Stream; streamId: number; key: string } | undefined;
  private readonly players = new Map<number, Subscriber>();
  /** Events left to handle while an asynchronous access decision is pending; the socket is paused meanwhile. */
  private backlog: PendingEvent[] = [];
  private busy = false;
  private closed = false;
  private readonly socket: Socket;
  private readonly deps: RtmpConnectionDeps;

  constructor(socket: Socket, id: number, deps: RtmpConnectionDeps) {
    this.socket = socket;
    this.deps = deps;
    this.id = id;
    this.clientIp = socket.remoteAddress ?? '';
    this.openedAt = deps.now();
    this.lastMediaAt = this.openedAt;
    this.log = deps.log.child({ conn: id, ip: this.clientIp });
    this.session = new ServerSession({
      chunkSize: deps.chunkSize,
      maxMessageSize: deps.maxMessageSize,
      epoch: 0,
    });
  }

  /** Starts reading from the socket. */
  start(): void {
    this.socket.setNoDelay(true);
    this.socket.on('data', (data: Buffer) => this.onData(data));
    this.socket.on('error', (err) => this.close(undefined, err.message));
    this.socket.on('close', () => this.close(undefined, 'socket closed'));
    this.socket.on('drain', () => {
      for (const player of this.players.values()) player.onDrain();
    });
  }

  /** True while this connection publishes a stream. */
  get isPublisher(): boolean {
    return this.publishing !== undefined;
  }

  /** Sends a PingRequest (User Control 6) so dead peers surface as socket errors. */
  ping(): void {
    if (this.closed || !this.handshakeDone) return;
    this.session.ping(this.deps.now() >>> 0);
    this.flush();
  }

  private onData(data: Buffer): void {
    if (this.closed) return;
    this.deps.counters.bytesInRtmp += data.length;
    let events: ServerSessionEvent[];
    try {
      events = this.session.receive(data);
    } catch (err) {
      this.close(toLiveError(err));
      return;
    }
    this.flush();
    if (this.busy) this.backlog.push(...events);
    else this.handleEvents(events);
  }

  /** Handles events in order; an asynchronous one pauses the socket and keeps the rest for later. */
  private handleEvents(events: PendingEvent[]): void {
    for (let i = 0; i < events.length && !this.closed; i++) {
      const event = events[i]!;
      if (event.type === 'publish' || event.type === 'play') {
        this.busy = true;
        this.backlog = events.slice(i + 1);
        this.socket.pause();
        const done = event.type === 'publish' ? this.onPublish(event) : this.onPlay(event);
        done
          .catch((err: unknown) => this.close(toLiveError(err)))
          .finally(() => {
            this.busy = false;
            const rest = this.backlog;
            this.backlog = [];
            if (this.closed) return;
            this.socket.resume();
            this.handleEvents(rest);
          });
        return;
      }
      this.onEvent(event);
    }
  }

  private onEvent(event: ServerSessionEvent): void {
    switch (event.type) {
      case 'handshake-done':
        this.handshakeDone = true;
        break;
      case 'connect':
        this.app = event.app;
        this.tcUrl = event.tcUrl;
        this.connectQuery = event.query;
        this.session.acceptConnect();
        this.flush();
        break;
      case 'metadata':
      case 'media':
        if (this.publishing?.streamId === event.streamId) this.onMedia(event.message);
        break;
      case 'unpublish':
        if (this.publishing?.streamId === event.streamId) this.stopPublishing('publisher stopped');
        break;
      case 'stop-play':
        this.players.get(event.streamId)?.close();
        this.players.delete(event.streamId);
        break;
      case 'ignored':
        this.log.debug({ what: event.what }, 'ignored RTMP message');
        break;
      default:
        break;
    }
  }

  private onMedia(message: MediaMessage): void {
    const publishing = this.publishing!;
    this.lastMediaAt = this.deps.now();
    if (message.sequenceHeader) {
      try {
        const info = describeMediaMessage(message);
        if (info) publishing.stream.setCodecInfo(info);
      } catch (err) {
        // A config we cannot parse still plays through: players' decoders may know better.
        this.log.warn({ code: toLiveError(err).code, err: (err as Error).message }, 'unparsable codec config');
      }
    }
    publishing.stream.publish(message);
  }

  private async onPublish(event: Extract<ServerSessionEvent, { type: 'publish' }>): Promise<void> {
    const query = mergeQuery(this.connectQuery, event.query);
    const decision = await this.deps.access.checkPublish({
      app: this.app,
      stream: event.name,
      query,
      tcUrl: this.tcUrl,
      clientIp: this.clientIp,
    });
    if (this.closed) return;
    if (!decision.allowed) return this.rejectPublish(event.streamId, new LiveError(decision.code, decision.reason));
    if (this.publishing) {
      return this.rejectPublish(event.streamId, new LiveError('RTMP_STATE', 'this connection already publishes a stream'));
    }
    const key = streamKey(this.app, event.name);
    let stream: Stream;
    try {
      // The claim is synchronous: no await between checking for a publisher and taking the stream.
      stream = this.deps.hub.claim(key, { id: `rtmp-${this.id}`, clientIp: this.clientIp });
    } catch (err) {
      return this.rejectPublish(event.streamId, toLiveError(err));
    }
    this.publishing = { stream, streamId: event.streamId, key };
    this.lastMediaAt = this.deps.now();
    this.session.acceptPublish(event.streamId);
    this.flush();
    this.log.info({ stream: key }, 'publish started');
  }

  private rejectPublish(streamId: number, err: LiveError): void {
    this.deps.counters.rejectedPublishes++;
    const status = rtmpStatusOf(err, 'publish');
    this.session.rejectPublish(streamId, status, err.message);
    this.log.info({ code: err.code, reason: err.message }, 'publish rejected');
    this.flushAndEnd();
  }

  private async onPlay(event: Extract<ServerSessionEvent, { type: 'play' }>): Promise<void> {
    const query = mergeQuery(this.connectQuery, event.query);
    const decision = await this.deps.access.checkPlay({
      protocol: 'rtmp',
      app: this.app,
      stream: event.name,
      query,
      host: hostOfTcUrl(this.tcUrl),
      clientIp: this.clientIp,
    });
    if (this.closed) return;
    if (!decision.allowed) return this.rejectPlay(event.streamId, new LiveError(decision.code, decision.reason));
    const key = streamKey(this.app, event.name);
    const sink = new RtmpPlayerSink(
      this.socket,
      this.session,
      event.streamId,
      () => this.flush(),
      (reason) => this.close(reason, 'closed by the hub'),
    );
    const subscriber = this.deps.hub.subscribe(key, sink);
    this.players.set(event.streamId, subscriber);
    // A player that arrives before the publisher waits a bounded time, then hears StreamNotFound.
    const live = await subscriber.waitForPublisher(this.deps.playWaitMs);
    if (!live && !this.closed && !subscriber.closed) {
      subscriber.close();
      this.players.delete(event.streamId);
      this.rejectPlay(event.streamId, new LiveError('STREAM_NOT_FOUND', `stream ${key} is not publishing`));
    }
  }

  private rejectPlay(streamId: number, err: LiveError): void {
    this.deps.counters.rejectedPlays++;
    this.session.rejectPlay(streamId, rtmpStatusOf(err, 'play'), err.message);
    this.log.info({ code: err.code, reason: err.message }, 'play rejected');
    this.flushAndEnd();
  }

  /** Ends a publish: the hub tells the players, the stream stays claimable by the next publisher. */
  stopPublishing(reason: string): void {
    const publishing = this.publishing;
    if (!publishing) return;
    this.publishing = undefined;
    this.deps.hub.release(publishing.stream, `rtmp-${this.id}`);
    this.log.info({ stream: publishing.key, reason }, 'publish stopped');
  }

  /** Writes whatever the session has queued (control messages, statuses) to the socket. */
  private flush(): void {
    const out = this.session.drain();
    if (out.length === 0 || this.socket.destroyed) return;
    for (const b of out) this.deps.counters.bytesOutRtmpControl += b.length;
    if (out.length === 1) {
      this.socket.write(out[0]!);
      return;
    }
    this.socket.cork();
    for (const b of out) this.socket.write(b);
    this.socket.uncork();
  }

  /** Sends the last status, then closes: the encoder must be able to read why before the socket goes. */
  private flushAndEnd(): void {
    this.flush();
    this.closed = true;
    this.releaseAll('rejected');
    this.socket.end();
    // A peer that never reads its half would keep the socket; the status has been written by then.
    setTimeout(() => this.socket.destroy(), 2000).unref();
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
    this.releaseAll(err?.message ?? reason ?? 'closed');
    this.socket.destroy();
  }

  private releaseAll(reason: string): void {
    this.stopPublishing(reason);
    for (const player of this.players.values()) player.close();
    this.players.clear();
  }
}

/** The hub key of a stream: AppName/StreamName. */
export function streamKey(app: string, name: string): string {
  return `${app}/${name}`;
}

/** The publish-name query wins over the connect query (ffmpeg puts it on the name, some SDKs on the app). */
function mergeQuery(connect: URLSearchParams, name: URLSearchParams): URLSearchParams {
  const merged = new URLSearchParams(connect);
  for (const [k, v] of name) merged.set(k, v);
  return merged;
}

/** The host part of a tcUrl, or '' when it is not a URL. */
function hostOfTcUrl(tcUrl: string): string {
  try {
    return new URL(tcUrl).hostname;
  } catch {
    return '';
  }
}
