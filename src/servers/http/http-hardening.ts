/**
 * Server-level defences of an HTTP listener against slow and greedy clients, applied alike to the
 * playback app (app.ts) and the admin app (api-app.ts): Node's request-phase timeouts, the head size,
 * an idle timeout, and a connection gate (total and per client address). The request-phase timeouts
 * of Node's http server (`headersTimeout`, `requestTimeout`) run from a request's first byte until
 * its message is complete, so they never cut a response: a live HTTP-FLV body lasts for hours, and a
 * parked HLS request has long been received. Only the idle timeout sees responses, and the routes
 * that hold a response open on purpose lift it (`markLongLived`, `holdIdleTimeout`).
 */
import type { FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { LiveError, type ErrorCode } from '../../errors.ts';
import { ConnectionGate } from '../connection-gate.ts';

// Not `import { … } from 'node:http'`: its ES module facade reads every export, and the lazy WebSocket
// getters load undici (about 9 MB idle, issue 17); the CommonJS exports do not.
const { STATUS_CODES } = process.getBuiltinModule('node:http');

/** The limits of one listener: the `http.*` or `api.*` keys of the config (docs/config.md). */
export interface HttpListenerLimits {
  /** The request head must arrive within this (0 = none). */
  readonly headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (0 = none). */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** No byte either way for this long while a response is due closes the connection (0 = none). */
  readonly connectionTimeoutMs: number;
  readonly maxHeaderBytes: number;
  readonly maxConnections: number;
  /** 0 = no per-address cap. */
  readonly maxConnectionsPerIp: number;
}

/**
 * How often Node checks the request-phase timeouts. Its default of 30 s would let a slowloris socket
 * live up to 40 s with a 10 s headersTimeout; the check walks only sockets with a request in progress.
 */
const timeoutCheckIntervalMs = 1000;

// Sockets whose response is a live body: a client error there must not write a status line into it.
const longLived = new WeakSet<Socket>();
const guards = new WeakMap<Server, HttpGuard>();

/** One listener's gate and the count of what it refused or cut, by code; /metrics reads it. */
export class HttpGuard {
  /** `playback` or `admin`, the `listener` label in /metrics. */
  readonly listener: string;
  /** Connections refused or closed, by stable code. */
  readonly errors = new Map<ErrorCode, number>();
  readonly #gate: ConnectionGate;
  readonly #sockets = new Set<Socket>();
  readonly #adopted = new WeakSet<Socket>();

  constructor(listener: string, gate: ConnectionGate) {
    this.listener = listener;
    this.#gate = gate;
  }

  /** Sockets open on this listener. */
  get open(): number {
    return this.#gate.open;
  }

  /** Distinct client addresses with an open socket. */
  get addresses(): number {
    return this.#gate.addresses;
  }

  /** Counts one connection refused or closed for `code`. */
  count(code: ErrorCode): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  /**
   * @internal Admits a new socket, or closes it at once and counts why. The TLS listener admits the
   * raw socket before its handshake; the decrypted one it then hands over was adopted and passes.
   */
  admit(socket: Socket): boolean {
    if (this.#adopted.has(socket)) return true;
    const ip = socket.remoteAddress ?? '';
    const refused = this.#gate.admit(ip);
    if (refused) {
      this.count(refused === 'total' ? 'HTTP_CONNECTION_LIMIT' : 'HTTP_CONNECTION_LIMIT_PER_IP');
      socket.destroy();
      return false;
    }
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      this.#gate.release(ip);
    });
    return true;
  }

  /**
   * @internal The TLS socket decrypted from `raw` (admitted before its handshake) takes its place: it
   * holds raw's slot (given back when raw closes) and is the one a shutdown looks at for a response.
   */
  adopt(raw: Socket, secure: Socket): void {
    this.#adopted.add(secure);
    if (!this.#sockets.delete(raw)) return;
    this.#sockets.add(secure);
    secure.once('close', () => this.#sockets.delete(secure));
  }

  /**
   * @internal On close: drops every socket with no response in flight (a request head still
   * dripping, an idle keep-alive), so a slowloris client cannot hold a shutdown open; responses
   * in flight finish.
   */
  dropUnanswered(): void {
    for (const socket of this.#sockets) if (!inFlight(socket)) socket.destroy();
  }
}

/** Applies `limits` to `app`'s node server (before listen) and returns its guard. */
export function hardenHttpServer(
  app: FastifyInstance,
  listener: string,
  limits: HttpListenerLimits,
  trustedNetworks: readonly string[],
): HttpGuard {
  const l = limits;
  if (l.requestTimeoutMs > 0 && l.headersTimeoutMs > l.requestTimeoutMs) {
    // Node refuses this pair too: the head is part of the request.
    throw new LiveError(
      'CONFIG_INVALID',
      `${listener}: headersTimeoutMs (${l.headersTimeoutMs}) must not exceed requestTimeoutMs (${l.requestTimeoutMs})`,
    );
  }
  // maxHeaderSize is read per connection and connectionsCheckingInterval on listen (node:http), so both may be set here.
  const server = app.server as Server & { maxHeaderSize?: number; connectionsCheckingInterval?: number };
  const gate = new ConnectionGate({
    maxTotal: l.maxConnections,
    maxPerIp: l.maxConnectionsPerIp,
    trusted: trustedNetworks,
  });
  const guard = new HttpGuard(listener, gate);
  server.headersTimeout = l.headersTimeoutMs;
  server.requestTimeout = l.requestTimeoutMs;
  server.keepAliveTimeout = l.keepAliveTimeoutMs;
  server.maxHeaderSize = l.maxHeaderBytes;
  server.setTimeout(l.connectionTimeoutMs);
  // Read by Node when the server starts listening.
  server.connectionsCheckingInterval = Math.min(
    timeoutCheckIntervalMs,
    Math.max(100, l.headersTimeoutMs || timeoutCheckIntervalMs),
  );
  // Before Node's own connection listener: a refused socket never gets a parser.
  server.prependListener('connection', (socket: Socket) => guard.admit(socket));
  // Fastify's client-error handler answers without a stable code and counts nothing: ours replaces it.
  server.removeAllListeners('clientError');
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => onClientError(guard, err, socket));
  server.on('timeout', (socket: Socket) => {
    // A socket with no response in flight is an expired keep-alive: routine, not counted.
    if (inFlight(socket)) guard.count('HTTP_IDLE_TIMEOUT');
    socket.destroy();
  });
  app.addHook('preClose', (done) => {
    guard.dropUnanswered();
    done();
  });
  guards.set(server, guard);
  return guard;
}

/** The guard `hardenHttpServer` put on `app`, if any. */
export function httpGuardOf(app: FastifyInstance): HttpGuard | undefined {
  return guards.get(app.server as Server);
}

/**
 * The socket now carries a live body (HTTP-FLV): the idle timeout no longer applies (the hub closes
 * players that stall, `fanout.stallTimeoutMs`), and a client error on it closes it without a reply.
 */
export function markLongLived(socket: Socket): void {
  longLived.add(socket);
  // Injected requests (fastify's inject, in tests) have a socket without timers.
  if (typeof socket.setTimeout === 'function') socket.setTimeout(0);
}

/** Lifts the idle timeout while a request is parked on purpose; the returned function restores it. */
export function holdIdleTimeout(socket: Socket): () => void {
  if (typeof socket.setTimeout !== 'function') return () => {};
  socket.setTimeout(0);
  return () => {
    if (!socket.destroyed) socket.setTimeout((socket as Socket & { server?: Server }).server?.timeout ?? 0);
  };
}

const clientErrors: Readonly<Record<string, readonly [ErrorCode, number, string]>> = {
  ERR_HTTP_REQUEST_TIMEOUT: ['HTTP_REQUEST_TIMEOUT', 408, 'the request did not arrive within the timeout'],
  HPE_HEADER_OVERFLOW: ['HTTP_HEADERS_TOO_LARGE', 431, 'the request head is larger than the limit'],
};

function onClientError(guard: HttpGuard, err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset or an already closed socket: the client went away, nothing to answer or count.
  if (err.code === 'ECONNRESET' || socket.destroyed) return void socket.destroy();
  const [code, status, message] =
    clientErrors[err.code ?? ''] ?? (['HTTP_BAD_REQUEST', 400, 'the request is not valid HTTP/1.1'] as const);
  guard.count(code);
  if (socket.writable && !longLived.has(socket) && !inFlight(socket)?.headersSent) {
    const body = JSON.stringify({ code, message });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** The response node:http is writing on `socket`, if any (its `_httpMessage`, set while a response is due). */
function inFlight(socket: Socket): { headersSent?: boolean } | undefined {
  return (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage ?? undefined;
}
