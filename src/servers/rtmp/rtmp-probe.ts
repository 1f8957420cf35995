/**
 * The network step of the troubleshooter: opens a TCP connection to the URL's host and port (for
 * `rtmps://`, then the TLS handshake, noting the certificate without trusting or refusing it: the
 * TLS check judges it), runs the RTMP handshake (RTMP 1.0 §5.2) and a `connect` to the URL's app,
 * timing each stage, then hangs up. It publishes nothing, so it never takes a stream or leaves a record.
 * The doctor (control/doctor) sees it only through its ProbeRtmp interface; the CLI and the API inject it.
 */
import { Buffer } from 'node:buffer';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { ClientSession } from '../../protocol/rtmp/client-session.ts';
import type { ProbeRtmp, ProbeStage, RtmpProbeResult, TlsPeer } from '../../control/doctor/push-probe.ts';

/** A probe bounded by `timeoutMs` in all (default 5000). */
export function createRtmpProbe(options: { timeoutMs?: number } = {}): ProbeRtmp {
  const timeoutMs = options.timeoutMs ?? 5000;
  return (host, port, app, o) => probe(host, port, app, timeoutMs, o?.tls === true);
}

function probe(host: string, port: number, app: string, timeoutMs: number, secure: boolean): Promise<RtmpProbeResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    let mark = started;
    const lap = (): number => {
      const now = performance.now();
      const ms = Math.round((now - mark) * 10) / 10;
      mark = now;
      return ms;
    };
    const times: { tcpMs?: number; tlsMs?: number; tls?: TlsPeer; handshakeMs?: number; address?: string } = {};
    let stage: ProbeStage = 'tcp';
    const session = new ClientSession({ digest: true });
    // Not verified here: an untrusted, expired or mismatched certificate is reported by the TLS check, not a dead end.
    // node:tls on first use, not imported: a server without TLS never loads it (issue 17, idle memory).
    const socket: Socket = secure
      ? process
          .getBuiltinModule('node:tls')
          .connect({ host, port, rejectUnauthorized: false, ...(isIP(host) === 0 && { servername: host }) })
      : netConnect({ host, port });
    let done = false;
    const finish = (result: RtmpProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const fail = (error: string): void => finish({ ok: false, failedAt: stage, error, ...times });
    const timer = setTimeout(() => fail(`timeout: no answer within ${timeoutMs} ms`), timeoutMs);
    const flush = (): void => {
      const out = session.drain();
      if (out.length > 0) socket.write(Buffer.concat(out));
    };
    let connectTx = -1;
    socket.once('connect', () => {
      times.tcpMs = lap();
      times.address = socket.remoteAddress ?? host;
      stage = secure ? 'tls' : 'handshake';
      if (!secure) flush();
    });
    socket.once('secureConnect', () => {
      times.tlsMs = lap();
      times.tls = tlsPeer(socket as TLSSocket, host);
      stage = 'handshake';
      flush();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' || err.code === 'ENODATA') stage = 'resolve';
      fail(err.code ?? err.message);
    });
    socket.on('close', () =>
      fail(
        stage === 'handshake' || stage === 'tls'
          ? `the server closed the connection during the ${stage === 'tls' ? 'TLS ' : ''}handshake`
          : 'the server closed the connection',
      ),
    );
    socket.on('data', (data: Buffer) => {
      let events;
      try {
        events = session.receive(data);
      } catch (err) {
        return fail(`not an RTMP answer (${(err as Error).message})`);
      }
      for (const e of events) {
        if (e.type === 'handshake-done') {
          times.handshakeMs = lap();
          stage = 'connect';
          connectTx = session.connect(
            `${secure ? 'rtmps' : 'rtmp'}://${host.includes(':') ? `[${host}]` : host}:${port}/${app}`,
            app,
          );
        } else if ((e.type === 'result' || e.type === 'error') && e.transactionId === connectTx) {
          const connectMs = lap();
          if (e.type === 'result') return finish({ ok: true, ...times, connectMs });
          return finish({ ok: false, failedAt: 'connect', error: describe(e.args[0]), ...times, connectMs });
        }
      }
      flush();
    });
  });
}

function tlsPeer(socket: TLSSocket, host: string): TlsPeer | undefined {
  const x509 = socket.getPeerX509Certificate();
  if (!x509) return undefined;
  const names = (x509.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:') || s.startsWith('IP Address:'))
    .map((s) => s.slice(s.indexOf(':') + 1).trim());
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x509.subject)?.[1];
  const nameMatches = isIP(host) === 0 ? x509.checkHost(host) !== undefined : x509.checkIP(host) !== undefined;
  const trustError = socket.authorizationError;
  return {
    protocol: socket.getProtocol() ?? '',
    trusted: socket.authorized,
    ...(trustError !== undefined && trustError !== null && { trustError: String(trustError) }),
    subject: x509.subject.replace(/\n/g, ', '),
    issuer: x509.issuer.replace(/\n/g, ', '),
    names: names.length > 0 ? names : cn ? [cn] : [],
    nameMatches,
    notBefore: Date.parse(x509.validFrom),
    notAfter: Date.parse(x509.validTo),
  };
}

function describe(info: unknown): string {
  if (info instanceof Map) {
    const d: unknown = info.get('description') ?? info.get('code');
    if (typeof d === 'string' && d !== '') return d;
  }
  return 'connect was refused';
}
