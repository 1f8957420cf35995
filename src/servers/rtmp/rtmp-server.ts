/** The RTMP listener: admits sockets through the connection gate and sweeps timeouts and pings. */
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { LiveError, toLiveError, type ErrorCode } from '../../errors.ts';
import { systemTimers, type HubTimers } from '../../hub/hub-options.ts';
import { ConnectionGate } from '../connection-gate.ts';
import { RtmpConnection } from './rtmp-connection.ts';
import type { RtmpConnectionDeps } from './rtmp-connection-deps.ts';

/** Listener settings on top of what each connection needs. */
export interface RtmpServerOptions extends RtmpConnectionDeps {
  readonly host: string;
  readonly port: number;
  readonly maxConnections: number;
  /** 0 = no per-address cap. */
  readonly maxConnectionsPerIp: number;
  /** CIDR blocks exempt from the per-address cap (limits.trustedNetworks). */
  readonly trustedNetworks: readonly string[];
  readonly maxHandshakes: number;
  readonly handshakeTimeoutMs: number;
  /** Handshake done (or publish/play stopped) but neither publishing nor playing: closed after this long; 0 = never. */
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly pingIntervalMs: number;
}

/** How often timeouts are checked: one timer for all connections instead of one per socket. */
const sweepIntervalMs = 1000;
/** Refusals are logged at most this often per code (with the count since), so a flood does not flood the log. */
const refusalLogIntervalMs = 10_000;

/** The RTMP server on net.Server, one RtmpConnection per socket. */
export class RtmpServer {
  private readonly server: Server;
  /** A worker's own listener (listenPrivate), not shared with the other workers. */
  private privateServer: Server | undefined;
  private readonly connections = new Set<RtmpConnection>();
  /** Connections that have not finished the handshake (the cap of rtmp.maxHandshakes). */
  private readonly handshaking = new Set<RtmpConnection>();
  private readonly gate: ConnectionGate;
  private readonly options: RtmpServerOptions;
  private readonly refusals = new Map<ErrorCode, { loggedAt: number; unlogged: number }>();
  /** The hub's timers (a fake clock in tests), so the sweep and with it every timeout runs on the injected clock. */
  private readonly timers: HubTimers;
  private sweepTimer: unknown;
  private lastPingAt = 0;
  private nextId = 1;
  /** The connection deps of RTMPS sockets (built once, not per socket). */
  private tlsDeps: RtmpConnectionDeps | undefined;
  private closing: Promise<void> | undefined;
  /** Resolves once the listener is closed and its last connection gone (net.Server 'close'). */
  private serverClosed: Promise<void> | undefined;

  constructor(options: RtmpServerOptions) {
    this.options = options;
    this.timers = options.timers ?? systemTimers;
    this.gate = new ConnectionGate({
      maxTotal: options.maxConnections,
      maxPerIp: options.maxConnectionsPerIp,
      trusted: options.trustedNetworks,
    });
    this.server = createServer({ noDelay: true }, (socket) => this.onSocket(socket));
  }

  /** Starts listening; resolves with the bound port (useful with port 0 in tests). */
  async start(): Promise<number> {
    this.server.listen(this.options.port, this.options.host);
    await once(this.server, 'listening');
    this.scheduleSweep();
    return this.port;
  }

  /**
   * Also listens on `host` at a port of its own (`exclusive`: under node:cluster the shared listener would
   * hand a relay to any worker; this one reaches this process). Resolves with the port; closed with the rest.
   */
  async listenPrivate(host: string): Promise<number> {
    const server = (this.privateServer = createServer({ noDelay: true }, (socket) => this.onSocket(socket)));
    server.listen({ host, port: 0, exclusive: true });
    await once(server, 'listening');
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
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

  /** Connections still in the handshake right now. */
  get handshakeCount(): number {
    return this.handshaking.size;
  }

  /** A plain RTMP socket: admitted through the gate, then one RtmpConnection. */
  private onSocket(socket: Socket): void {
    if (this.admitSocket(socket)) this.openConnection(socket, this.options);
  }

  /**
   * Admits a TCP socket or destroys it at once, counting why: total, per address, handshakes in
   * progress. The slot is given back when that socket closes. The RTMPS listener calls it with the
   * raw socket before its TLS handshake, so TLS sockets count against the same caps.
   */
  admitSocket(socket: Socket): boolean {
    const ip = socket.remoteAddress;
    if (this.closing || this.serverClosed || ip === undefined) {
      socket.destroy();
      return false;
    }
    const refusal = this.gate.admit(ip);
    if (refusal !== undefined) {
      const code = refusal === 'total' ? 'RTMP_CONNECTION_LIMIT' : 'RTMP_CONNECTION_LIMIT_PER_IP';
      const limit = refusal === 'total' ? this.options.maxConnections : this.options.maxConnectionsPerIp;
      this.refuse(socket, code, ip, limit);
      return false;
    }
    if (this.handshaking.size >= this.options.maxHandshakes) {
      this.gate.release(ip);
      this.refuse(socket, 'RTMP_HANDSHAKE_LIMIT', ip, this.options.maxHandshakes);
      return false;
    }
    socket.once('close', () => this.gate.release(ip));
    return true;
  }

  /** An RTMPS socket after its TLS handshake (its raw socket went through admitSocket): requests say `rtmps`. */
  acceptSecure(socket: Socket): void {
    if (this.closing || this.serverClosed) return void socket.destroy();
    this.tlsDeps ??= { ...this.options, tls: true };
    this.openConnection(socket, this.tlsDeps);
  }

  private openConnection(socket: Socket, deps: RtmpConnectionDeps): void {
    const { counters } = this.options;
    const conn = new RtmpConnection(socket, this.nextId++, deps, {
      handshakeDone: (c) => this.handshaking.delete(c),
    });
    this.connections.add(conn);
    this.handshaking.add(conn);
    counters.rtmpConnections = this.connections.size;
    counters.rtmpConnectionsTotal++;
    socket.once('close', () => {
      this.connections.delete(conn);
      this.handshaking.delete(conn);
      counters.rtmpConnections = this.connections.size;
    });
    conn.start();
  }

  private refuse(socket: Socket, code: ErrorCode, ip: string, limit: number): void {
    socket.destroy();
    this.options.counters.countError(code);
    const now = this.options.now();
    const entry = this.refusals.get(code) ?? { loggedAt: -Infinity, unlogged: 0 };
    this.refusals.set(code, entry);
    entry.unlogged++;
    if (now - entry.loggedAt < refusalLogIntervalMs) return;
    this.options.log.warn({ code, ip, limit, refused: entry.unlogged }, 'connection refused');
    entry.loggedAt = now;
    entry.unlogged = 0;
  }

  /** Arms the next sweep: one timeout re-armed after each sweep (HubTimers has no interval), none once closing. */
  private scheduleSweep(): void {
    if (this.closing) return;
    this.sweepTimer = this.timers.setTimeout(() => {
      this.sweepTimer = undefined;
      try {
        this.sweep();
      } finally {
        this.scheduleSweep();
      }
    }, sweepIntervalMs);
  }

  /**
   * Closes connections stuck in the handshake or that neither publish nor play, drops publishers that
   * stopped sending (so the encoder can reconnect at once with the same URL), and pings the rest.
   */
  private sweep(): void {
    const { now: clock, pingIntervalMs } = this.options;
    const now = clock();
    const ping = pingIntervalMs > 0 && now - this.lastPingAt >= pingIntervalMs;
    if (ping) this.lastPingAt = now;
    for (const conn of this.connections) {
      try {
        this.sweepOne(conn, now, ping);
      } catch (err) {
        // One connection's fault must not stop the sweep of the others, nor reach the timer.
        conn.close(toLiveError(err));
      }
    }
  }

  /** One connection's timeouts, in order: handshake, idle publisher, connect-to-publish/play; else a ping. */
  private sweepOne(conn: RtmpConnection, now: number, ping: boolean): void {
    const { handshakeTimeoutMs, connectTimeoutMs, idleTimeoutMs } = this.options;
    const lastMediaAt = conn.lastMediaAt;
    if (!conn.handshakeDone && now - conn.openedAt > handshakeTimeoutMs) {
      conn.close(new LiveError('RTMP_HANDSHAKE_TIMEOUT', `no handshake within ${handshakeTimeoutMs} ms`));
    } else if (lastMediaAt !== undefined && idleTimeoutMs > 0 && now - lastMediaAt > idleTimeoutMs) {
      conn.dropIdle(idleTimeoutMs);
    } else if (
      conn.idle &&
      connectTimeoutMs > 0 &&
      now - (conn.lastActiveAt ?? conn.handshakeDoneAt ?? now) > connectTimeoutMs
    ) {
      const what =
        conn.lastActiveAt === undefined
          ? 'neither published nor played'
          : 'stopped publishing and playing and did not start again';
      conn.close(new LiveError('RTMP_CONNECT_TIMEOUT', `${what} within ${connectTimeoutMs} ms`));
    } else if (ping) {
      conn.ping();
    }
  }

  /** The connections publishing now (RTMP and RTMPS), for the drain's reconnect requests. */
  publishingConnections(): RtmpConnection[] {
    return [...this.connections].filter((c) => c.publishes);
  }

  /**
   * Stops accepting sockets while the open connections go on (the first step of a graceful shutdown:
   * publishers and players are told before close() ends them); idempotent.
   */
  stopAccepting(): void {
    this.privateServer?.close();
    this.serverClosed ??= new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Stops listening and closes every connection; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.sweepTimer !== undefined) this.timers.clearTimeout(this.sweepTimer);
      this.sweepTimer = undefined;
      this.stopAccepting();
      for (const conn of this.connections) conn.close(undefined, 'server closing');
      await this.serverClosed;
    })();
    return this.closing;
  }
}
