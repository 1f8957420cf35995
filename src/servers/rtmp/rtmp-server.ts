/** The RTMP listener: accepts sockets, enforces the connection limit and sweeps timeouts and pings. */
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { LiveError } from '../../errors.ts';
import { RtmpConnection, type RtmpConnectionDeps } from './rtmp-connection.ts';

/** Listener settings on top of what each connection needs. */
export interface RtmpServerOptions extends RtmpConnectionDeps {
  readonly host: string;
  readonly port: number;
  readonly maxConnections: number;
  readonly handshakeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly pingIntervalMs: number;
}

/** How often timeouts are checked: one timer for all connections instead of one per socket. */
const sweepIntervalMs = 1000;

/** The RTMP server on net.Server, one RtmpConnection per socket. */
export class RtmpServer {
  private readonly server: Server;
  private readonly connections = new Set<RtmpConnection>();
  private readonly options: RtmpServerOptions;
  private sweepTimer: NodeJS.Timeout | undefined;
  private lastPingAt = 0;
  private nextId = 1;
  private closing: Promise<void> | undefined;
  /** Resolves once the listener is closed and its last connection gone (net.Server 'close'). */
  private serverClosed: Promise<void> | undefined;

  constructor(options: RtmpServerOptions) {
    this.options = options;
    this.server = createServer({ noDelay: true }, (socket) => this.onSocket(socket));
  }

  /** Starts listening; resolves with the bound port (useful with port 0 in tests). */
  async start(): Promise<number> {
    this.server.listen(this.options.port, this.options.host);
    await once(this.server, 'listening');
    this.sweepTimer = setInterval(() => this.sweep(), sweepIntervalMs);
    this.sweepTimer.unref();
    return this.port;
  }

  /** The port the server is bound to. */
  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  /** Open connections right now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  private onSocket(socket: Socket): void {
    const { counters, log } = this.options;
    if (this.connections.size >= this.options.maxConnections || this.serverClosed) {
      counters.countError('RTMP_CONNECTION_LIMIT');
      log.warn({ ip: socket.remoteAddress, limit: this.options.maxConnections }, 'connection refused: limit reached');
      socket.destroy();
      return;
    }
    const conn = new RtmpConnection(socket, this.nextId++, this.options);
    this.connections.add(conn);
    counters.rtmpConnections = this.connections.size;
    counters.rtmpConnectionsTotal++;
    socket.once('close', () => {
      this.connections.delete(conn);
      counters.rtmpConnections = this.connections.size;
    });
    conn.start();
  }

  /**
   * Closes connections stuck in the handshake or that never publish nor play, drops publishers that
   * stopped sending (so the encoder can reconnect at once with the same URL), and pings the rest.
   */
  private sweep(): void {
    const { now: clock, handshakeTimeoutMs, idleTimeoutMs, pingIntervalMs } = this.options;
    const now = clock();
    const ping = pingIntervalMs > 0 && now - this.lastPingAt >= pingIntervalMs;
    if (ping) this.lastPingAt = now;
    for (const conn of this.connections) {
      const lastMediaAt = conn.lastMediaAt;
      if (!conn.handshakeDone && now - conn.openedAt > handshakeTimeoutMs) {
        conn.close(new LiveError('RTMP_HANDSHAKE_TIMEOUT', `no handshake within ${handshakeTimeoutMs} ms`));
      } else if (lastMediaAt !== undefined && idleTimeoutMs > 0 && now - lastMediaAt > idleTimeoutMs) {
        conn.dropIdle(idleTimeoutMs);
      } else if (conn.idle && idleTimeoutMs > 0 && now - (conn.lastActiveAt ?? conn.openedAt + handshakeTimeoutMs) > idleTimeoutMs) {
        const what = conn.lastActiveAt === undefined ? 'connected but neither published nor played' : 'stopped publishing and playing';
        conn.close(new LiveError('RTMP_IDLE_TIMEOUT', `${what}; idle for ${idleTimeoutMs} ms`));
      } else if (ping) {
        conn.ping();
      }
    }
  }

  /**
   * Stops accepting sockets while the open connections go on (the first step of a graceful shutdown:
   * publishers and players are told before close() ends them); idempotent.
   */
  stopAccepting(): void {
    this.serverClosed ??= new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Stops listening and closes every connection; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.sweepTimer);
      this.stopAccepting();
      for (const conn of this.connections) conn.close(undefined, 'server closing');
      await this.serverClosed;
    })();
    return this.closing;
  }
}
