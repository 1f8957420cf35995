/**
 * HTTPS for an existing fastify app (playback or admin): a TLS listener whose decrypted sockets are
 * handed to the app's own node:http server as connections, so routes, hooks, the `http.*`/`api.*`
 * request timeouts, the idle timeout and the connection gate of http-hardening.ts apply unchanged.
 */
import type { FastifyInstance } from 'fastify';
import type { ErrorCode } from '../../errors.ts';
import type { Log } from '../../log.ts';
import { httpGuardOf } from '../http/http-hardening.ts';
import type { CertificateStore } from './certificate-store.ts';
import { TlsListener } from './tls-listener.ts';

/** Where and with what the HTTPS port of `app` listens. */
export interface HttpsFrontOptions {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly certificates: CertificateStore;
  readonly handshakeTimeoutMs: number;
  readonly countError: (code: ErrorCode) => void;
  readonly log: Log;
}

/** A TLS listener in front of `app` (hardened by hardenHttpServer before, so its gate counts TLS sockets too). */
export function httpsFront(app: FastifyInstance, options: HttpsFrontOptions): TlsListener {
  const guard = httpGuardOf(app);
  return new TlsListener({
    ...options,
    // Browsers and hls.js speak HTTP/1.1 here: the app is node:http, not http2.
    alpn: ['http/1.1'],
    admit: (raw) => guard?.admit(raw) ?? true,
    onSecure: (socket, raw) => {
      guard?.adopt(raw, socket);
      app.server.emit('connection', socket);
    },
  });
}
