/**
 * A TLS front for an existing listener: a net.Server accepts the TCP socket, the owner's connection
 * gate admits it (total and per-address caps count the socket from its first byte, handshake
 * included), a tls.Server that never listens itself runs the handshake (its `handshakeTimeout` cuts
 * one that never finishes), and the decrypted socket goes to the same RTMP connection or HTTP app as
 * a plain one. TLS garbage closes only that socket, counted by code. Certificates come from the
 * CertificateStore: SNI through its callback, the default pair swapped in on each reload.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { once } from 'node:events';
import type { ErrorCode } from '../../errors.ts';
import type { Log } from '../../log.ts';
import type { CertificateStore } from './certificate-store.ts';

/** What a TLS listener is wired to. */
export interface TlsListenerOptions {
  /** `rtmps`, `https` or `admin`: the label in logs. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly certificates: CertificateStore;
  readonly handshakeTimeoutMs: number;
  /** ALPN protocols offered (`http/1.1` for HTTPS); none for RTMPS. */
  readonly alpn?: readonly string[];
  /** The owner's gate: false (after destroying the socket and counting why) refuses it. */
  readonly admit: (raw: Socket) => boolean;
  /** Hands the decrypted socket to the RTMP server or the HTTP app. */
  readonly onSecure: (socket: TLSSocket, raw: Socket) => void;
  readonly countError: (code: ErrorCode) => void;
  readonly log: Log;
}

/** TLS errors that only mean the client went away: nothing to count. */
const goneCodes = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
/** Handshake failures are logged at most this often (with the count since), so garbage does not flood the log. */
const failureLogIntervalMs = 10_000;

/** One TLS port in front of an RTMP server or an HTTP app. */
export class TlsListener {
  private readonly options: TlsListenerOptions;
  private readonly net: NetServer;
  private readonly tls: TlsServer;
  private readonly sockets = new Set<Socket>();
  private readonly unsubscribe: () => void;
  private stopped: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private lastFailureLogAt = -Infinity;
  private unloggedFailures = 0;

  constructor(options: TlsListenerOptions) {
    this.options = options;
    const certs = options.certificates;
    // node:tls on first use, not imported: a server without TLS never loads it (issue 17, idle memory).
    this.tls = process.getBuiltinModule('node:tls').createServer(
      {
        ...certs.defaultOptions(),
        SNICallback: certs.sniCallback,
        handshakeTimeout: options.handshakeTimeoutMs,
        ...(options.alpn && { ALPNProtocols: [...options.alpn] }),
      },
      (socket) => this.onSecure(socket),
    );
    this.tls.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => this.onTlsError(err, socket));
    // A reload applies to the next handshake; sockets in progress keep the context they have.
    this.unsubscribe = certs.onReload((o) => this.tls.setSecureContext(o));
    this.net = createNetServer({ noDelay: true }, (raw) => this.onSocket(raw));
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    this.net.listen(this.options.port, this.options.host);
    await once(this.net, 'listening');
    return this.port;
  }

  /** The bound port. */
  get port(): number {
    const a = this.net.address();
    return typeof a === 'object' && a ? a.port : this.options.port;
  }

  /** Sockets open on this port, handshaking or not. */
  get socketCount(): number {
    return this.sockets.size;
  }

  private onSocket(raw: Socket): void {
    if (this.stopped || !this.options.admit(raw)) {
      if (!raw.destroyed) raw.destroy();
      return;
    }
    this.sockets.add(raw);
    raw.once('close', () => this.sockets.delete(raw));
    // Without a listener a raw socket error during the handshake would be thrown; the TLS socket reports it.
    raw.on('error', () => {});
    this.tls.emit('connection', raw);
  }

  private onSecure(socket: TLSSocket): void {
    const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
    if (this.closing) return void socket.destroy();
    this.options.onSecure(socket, raw ?? socket);
  }

  private onTlsError(err: NodeJS.ErrnoException, socket: TLSSocket): void {
    socket.destroy();
    if (goneCodes.has(err.code ?? '')) return;
    const code: ErrorCode = err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT' ? 'TLS_HANDSHAKE_TIMEOUT' : 'TLS_HANDSHAKE_FAILED';
    this.options.countError(code);
    this.unloggedFailures++;
    const now = Date.now();
    if (now - this.lastFailureLogAt < failureLogIntervalMs) return;
    this.options.log.info(
      { code, listener: this.options.name, reason: err.code ?? err.message, failed: this.unloggedFailures },
      'TLS handshake failed',
    );
    this.lastFailureLogAt = now;
    this.unloggedFailures = 0;
  }

  /** Stops accepting new sockets; open ones go on (the first step of a shutdown); idempotent. */
  stopAccepting(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => this.net.close(() => resolve()));
    return this.stopped;
  }

  /** Stops listening and destroys the sockets still open (their owners have ended them by now); idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.unsubscribe();
      const stopped = this.stopAccepting();
      for (const s of this.sockets) s.destroy();
      await stopped;
    })();
    return this.closing;
  }
}
