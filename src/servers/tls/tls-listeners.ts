/**
 * The TLS side of a running service (docs/tls.md): the certificates and the up to three TLS listeners
 * (RTMPS in front of the RTMP server, HTTPS in front of the playback app, HTTPS-only admin port),
 * started once the plain servers exist, stopped with them. service.ts holds one of these.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/config-schema.ts';
import type { ErrorCode } from '../../errors.ts';
import type { Log } from '../../log.ts';
import type { RtmpServer } from '../rtmp/rtmp-server.ts';
import { CertificateStore } from './certificate-store.ts';
import { httpsFront } from './https-front.ts';
import { TlsListener } from './tls-listener.ts';

/** What the listeners are wired to. */
export interface TlsListenersDeps {
  readonly config: Config;
  readonly log: Log;
  readonly countError: (code: ErrorCode) => void;
  readonly now: () => number;
}

/** The certificates and TLS listeners of one service; all off when rtmps, https and api.tls are. */
export class TlsListeners {
  /** Undefined while every TLS listener is off. */
  readonly certificates: CertificateStore | undefined;
  rtmps: TlsListener | undefined;
  https: TlsListener | undefined;
  admin: TlsListener | undefined;
  private readonly deps: TlsListenersDeps;
  private closing: Promise<void> | undefined;

  constructor(deps: TlsListenersDeps) {
    this.deps = deps;
    const c = deps.config;
    const on = c.rtmps.enabled || c.https.enabled || c.api.tls;
    this.certificates = on
      ? new CertificateStore(c.tls, {
          log: deps.log.child({ layer: 'tls' }),
          countError: deps.countError,
          now: deps.now,
        })
      : undefined;
  }

  /** Loads the certificates (TLS_CERT_INVALID stops the start) and starts their poll; before any listener. */
  loadCertificates(): void {
    this.certificates?.start();
  }

  /** RTMPS in front of `rtmp` when `rtmps.enabled`: its gate admits the raw socket, the decrypted one becomes a connection. */
  async startRtmps(rtmp: RtmpServer): Promise<number> {
    if (!this.deps.config.rtmps.enabled) return 0;
    this.rtmps = new TlsListener({
      ...this.options('rtmps', this.deps.config.rtmps),
      admit: (raw) => rtmp.admitSocket(raw),
      onSecure: (socket) => rtmp.acceptSecure(socket),
    });
    return this.rtmps.start();
  }

  /** HTTPS playback in front of `app` when `https.enabled`. */
  async startHttps(app: FastifyInstance): Promise<number> {
    if (!this.deps.config.https.enabled) return 0;
    this.https = httpsFront(app, this.options('https', this.deps.config.https));
    return this.https.start();
  }

  /** The admin port over HTTPS only (`api.tls`): the app never listens in clear. */
  async startAdmin(app: FastifyInstance): Promise<number> {
    await app.ready();
    this.admin = httpsFront(app, this.options('admin', this.deps.config.api));
    return this.admin.start();
  }

  /** Reads the certificate files again (SIGHUP); a bad file keeps the old ones (TLS_CERT_RELOAD_FAILED). */
  reload(why: string): boolean {
    return this.certificates?.reload(why) ?? false;
  }

  /** Stops accepting on every TLS port (the first step of a drain); open sockets go on. */
  stopAccepting(): void {
    for (const l of this.listeners()) void l.stopAccepting();
  }

  /** Destroys what is left of the TLS sockets (their servers ended them by now) and stops the poll; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(this.listeners().map((l) => l.close()));
      this.certificates?.close();
    })();
    return this.closing;
  }

  private listeners(): TlsListener[] {
    return [this.rtmps, this.https, this.admin].filter((l): l is TlsListener => l !== undefined);
  }

  private options(name: string, where: { readonly host: string; readonly port: number }) {
    const { config, log, countError } = this.deps;
    const certificates = this.certificates;
    if (!certificates) throw new Error('TLS listener without certificates');
    return {
      name,
      host: where.host,
      port: where.port,
      certificates,
      handshakeTimeoutMs: config.tls.handshakeTimeoutMs,
      countError,
      log: log.child({ server: name }),
    };
  }
}
