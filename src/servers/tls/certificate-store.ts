/**
 * The certificates of every TLS listener (RTMPS, HTTPS, admin TLS): the default pair (`tls.cert`,
 * `tls.key`) and the SNI entries (`tls.certificates`), loaded from PEM files into secure contexts.
 * A reload (files changed, SIGHUP) builds every context anew before swapping any: a bad file keeps
 * the whole old set and logs TLS_CERT_RELOAD_FAILED. Connections in progress keep the context they
 * shook hands with; only new handshakes see the new one.
 */
import type { SecureContext, SecureContextOptions } from 'node:tls';
import { readFileSync, statSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { LiveError, type ErrorCode } from '../../errors.ts';
import type { Log } from '../../log.ts';
import { matchesServerName } from './server-name.ts';
import { tlsSecurityOptions, type TlsVersion } from './tls-defaults.ts';

/** The `tls.*` keys the store reads. */
export interface CertificateConfig {
  readonly cert: string;
  readonly key: string;
  readonly certificates: readonly {
    readonly domains: readonly string[];
    readonly cert: string;
    readonly key: string;
  }[];
  readonly reloadIntervalMs: number;
  readonly minVersion: TlsVersion;
}

/** One loaded certificate, as the API and the start-up checks describe it. */
export interface LoadedCertificate {
  /** 1-based position in list(): the default pair first (when set), then tls.certificates in order. */
  readonly id: number;
  /** The PEM chain as served. */
  readonly pem: string;
  /** When these files were loaded (start or the last reload). */
  readonly loadedAt: number;
  /** The SNI names it serves (`*` for the default pair). */
  readonly domains: readonly string[];
  readonly certFile: string;
  readonly subject: string;
  readonly issuer: string;
  /** Names the certificate is valid for (subjectAltName DNS entries, else the CN). */
  readonly names: readonly string[];
  readonly notBefore: number;
  readonly notAfter: number;
  readonly fingerprint256: string;
}

interface Entry {
  readonly info: LoadedCertificate;
  readonly options: SecureContextOptions;
  readonly context: SecureContext;
}

/** What the store needs around it; timers are injected so the poll runs in tests without sleeps. */
export interface CertificateStoreDeps {
  readonly log: Log;
  readonly countError: (code: ErrorCode) => void;
  readonly now?: () => number;
  readonly setInterval?: (fn: () => void, ms: number) => unknown;
  readonly clearInterval?: (handle: unknown) => void;
}

/** Warn when a certificate expires within this (doctor uses the same bound). */
export const expirySoonMs = 14 * 24 * 3600_000;

/** The secure contexts of the configured certificates, reloaded on change. */
export class CertificateStore {
  private readonly config: CertificateConfig;
  private readonly deps: CertificateStoreDeps;
  private defaultEntry: Entry | undefined;
  private sniEntries: Entry[] = [];
  private fileSignature = '';
  private timer: unknown;
  private readonly listeners = new Set<(options: SecureContextOptions) => void>();
  /** Bindings set through the Cloud API (ModifyLiveDomainCertBindings), in memory: the config is the truth at start. */
  private readonly bindings = new Map<string, { readonly certId: number; readonly enabled: boolean }>();
  /** Reloads that swapped the certificates in. */
  reloads = 0;

  constructor(config: CertificateConfig, deps: CertificateStoreDeps) {
    this.config = config;
    this.deps = deps;
  }

  /** True when any certificate is configured. */
  get configured(): boolean {
    return this.config.cert !== '' || this.config.certificates.length > 0;
  }

  /** Loads every file (a bad one throws TLS_CERT_INVALID: the server must not start half-secure) and starts the poll. */
  start(): void {
    try {
      this.load();
    } catch (err) {
      throw new LiveError('TLS_CERT_INVALID', (err as Error).message, { cause: err });
    }
    this.fileSignature = this.signature();
    this.warnExpiry();
    const every = this.config.reloadIntervalMs;
    if (every > 0 && this.timer === undefined) {
      const set = this.deps.setInterval ?? ((fn: () => void, ms: number) => setInterval(fn, ms).unref());
      this.timer = set(() => this.poll(), every);
    }
  }

  /** Stops the poll; idempotent. */
  close(): void {
    if (this.timer === undefined) return;
    (this.deps.clearInterval ?? ((h: unknown) => clearInterval(h as NodeJS.Timeout)))(this.timer);
    this.timer = undefined;
  }

  /** The default pair's options, for `tls.createServer` and `server.setSecureContext`. */
  defaultOptions(): SecureContextOptions {
    return this.requireDefault().options;
  }

  /** Calls `listener` with the new default options after each successful reload. */
  onReload(listener: (options: SecureContextOptions) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The context for an SNI name: an exact domain first, then a wildcard, else the default. */
  contextFor(serverName: string): SecureContext {
    return this.entryFor(serverName).context;
  }

  /** The certificate a handshake for `serverName` gets now (what DescribeLiveDomainCert reports). */
  certificateFor(serverName: string): LoadedCertificate {
    return this.entryFor(serverName).info;
  }

  /** An API binding of `domain`, if any: which certificate, and whether its HTTPS rule is on. */
  binding(domain: string): { readonly certId: number; readonly enabled: boolean } | undefined {
    return this.bindings.get(domain.toLowerCase());
  }

  /** Binds `domain` to certificate `certId` (its HTTPS rule on or off) until unbound, reloaded ids aside, or restart. */
  bind(domain: string, certId: number, enabled: boolean): void {
    this.bindings.set(domain.toLowerCase(), { certId, enabled });
  }

  /** Removes an API binding: the domain gets what tls.certificates gives it again. True when there was one. */
  unbind(domain: string): boolean {
    return this.bindings.delete(domain.toLowerCase());
  }

  private entryFor(serverName: string): Entry {
    const name = serverName.toLowerCase();
    const bound = this.bindings.get(name);
    if (bound) {
      const entry = this.entries().find((e) => e.info.id === bound.certId);
      // An HTTPS rule turned off leaves the name to the default certificate.
      if (entry && bound.enabled) return entry;
      if (!bound.enabled) return this.requireDefault();
    }
    const exact = this.sniEntries.find((e) => e.info.domains.some((d) => d.toLowerCase() === name));
    const wild = exact ?? this.sniEntries.find((e) => e.info.domains.some((d) => matchesServerName(d, name)));
    return wild ?? this.requireDefault();
  }

  private entries(): Entry[] {
    return [...(this.defaultEntry && this.config.cert !== '' ? [this.defaultEntry] : []), ...this.sniEntries];
  }

  /** `SNICallback` of every TLS listener: reads the current set, so a reload applies to the next handshake. */
  readonly sniCallback = (serverName: string, done: (err: Error | null, ctx?: SecureContext) => void): void => {
    done(null, this.contextFor(serverName));
  };

  /** Every loaded certificate, the default first. */
  list(): LoadedCertificate[] {
    return this.entries().map((e) => e.info);
  }

  /** Reads the files again and swaps them in; on any failure keeps the old set, logs and counts. True when swapped. */
  reload(why: string): boolean {
    this.fileSignature = this.signature();
    try {
      this.load();
    } catch (err) {
      this.deps.countError('TLS_CERT_RELOAD_FAILED');
      this.deps.log.error(
        { code: 'TLS_CERT_RELOAD_FAILED', why, err: (err as Error).message },
        'could not reload the TLS certificates; the old ones stay in use',
      );
      return false;
    }
    this.reloads++;
    this.deps.log.info(
      {
        why,
        certificates: this.list().map((c) => ({ domains: c.domains, notAfter: new Date(c.notAfter).toISOString() })),
      },
      'TLS certificates reloaded',
    );
    this.warnExpiry();
    const options = this.defaultOptions();
    for (const listener of this.listeners) listener(options);
    return true;
  }

  /** One poll: reloads when any file's size or mtime changed (fs.watch misses changes on some filesystems). */
  poll(): void {
    if (this.signature() !== this.fileSignature) this.reload('files changed');
  }

  private signature(): string {
    return this.files()
      .map((f) => {
        try {
          const s = statSync(f);
          return `${f}:${s.size}:${s.mtimeMs}`;
        } catch {
          return `${f}:missing`;
        }
      })
      .join('|');
  }

  private files(): string[] {
    const c = this.config;
    return [c.cert, c.key, ...c.certificates.flatMap((e) => [e.cert, e.key])].filter((f) => f !== '');
  }

  /** Builds every context first, then swaps: all or nothing. */
  private load(): void {
    const c = this.config;
    if (!this.configured) throw new Error('no certificate configured: set tls.cert and tls.key (or tls.certificates)');
    if ((c.cert === '') !== (c.key === '')) throw new Error('tls.cert and tls.key go together: set both or neither');
    const first = c.cert !== '' ? 1 : 0;
    const def = c.cert !== '' ? this.entry(1, ['*'], c.cert, c.key) : undefined;
    const sni = c.certificates.map((e, i) => this.entry(first + i + 1, e.domains, e.cert, e.key));
    this.defaultEntry = def ?? sni[0];
    this.sniEntries = sni;
  }

  private entry(id: number, domains: readonly string[], certFile: string, keyFile: string): Entry {
    const cert = read(certFile, 'certificate');
    const key = read(keyFile, 'key');
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(cert);
    } catch (err) {
      throw new Error(`${certFile} is not a PEM certificate (${(err as Error).message})`, { cause: err });
    }
    const options: SecureContextOptions = { cert, key, ...tlsSecurityOptions(this.config.minVersion) };
    let context: SecureContext;
    try {
      // node:tls on first use, not imported: a server without TLS never loads it (issue 17, idle memory).
      context = process.getBuiltinModule('node:tls').createSecureContext(options);
    } catch (err) {
      // OpenSSL says "key values mismatch" for a key of another certificate.
      throw new Error(`${certFile} with ${keyFile}: ${(err as Error).message}`, { cause: err });
    }
    const info: LoadedCertificate = {
      id,
      pem: cert,
      loadedAt: (this.deps.now ?? Date.now)(),
      domains,
      certFile,
      subject: x509.subject,
      issuer: x509.issuer,
      names: certificateNames(x509),
      notBefore: Date.parse(x509.validFrom),
      notAfter: Date.parse(x509.validTo),
      fingerprint256: x509.fingerprint256,
    };
    return { info, options, context };
  }

  private requireDefault(): Entry {
    if (!this.defaultEntry)
      throw new LiveError('TLS_CERT_INVALID', 'the TLS certificates are not loaded (CertificateStore.start)');
    return this.defaultEntry;
  }

  private warnExpiry(): void {
    const now = (this.deps.now ?? Date.now)();
    for (const c of this.list()) {
      if (c.notAfter - now > expirySoonMs) continue;
      const expired = c.notAfter <= now;
      this.deps.log.warn(
        { code: 'TLS_CERT_EXPIRES_SOON', cert: c.certFile, notAfter: new Date(c.notAfter).toISOString() },
        expired ? 'a TLS certificate has expired: clients refuse it' : 'a TLS certificate expires within 14 days',
      );
    }
  }
}

/** The DNS names of a certificate: its subjectAltName entries, else its CN. */
export function certificateNames(x509: X509Certificate): string[] {
  const alt = (x509.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:') || s.startsWith('IP Address:'))
    .map((s) => s.slice(s.indexOf(':') + 1).trim());
  if (alt.length > 0) return alt;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x509.subject)?.[1];
  return cn ? [cn] : [];
}

function read(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(
      `cannot read the ${what} file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      { cause: err },
    );
  }
}
