/**
 * The network step of the troubleshooter: opens a TCP connection to the URL's host and port, runs
 * the RTMP handshake (RTMP 1.0 §5.2) and a `connect` to the URL's app, timing each stage, then hangs
 * up. It publishes nothing, so it never takes a stream or leaves a record.
 */
import { Buffer } from 'node:buffer';
import { connect as netConnect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ClientSession } from '../../protocol/rtmp/client-session.ts';

/** Where a probe stopped: the name did not resolve, TCP failed, the peer is not RTMP, or connect was refused. */
export type ProbeStage = 'resolve' | 'tcp' | 'handshake' | 'connect';

/** The outcome of one probe; times are milliseconds since the previous stage ended. */
export interface RtmpProbeResult {
  readonly ok: boolean;
  readonly failedAt?: ProbeStage;
  /** The socket error code (`ECONNREFUSED`), `timeout`, or the server's connect description. */
  readonly error?: string;
  /** The address TCP connected to. */
  readonly address?: string;
  readonly tcpMs?: number;
  readonly handshakeMs?: number;
  readonly connectMs?: number;
}

/** Probes `host:port` with a connect to `app`. */
export type ProbeRtmp = (host: string, port: number, app: string) => Promise<RtmpProbeResult>;

/** A probe bounded by `timeoutMs` in all (default 5000). */
export function createRtmpProbe(options: { timeoutMs?: number } = {}): ProbeRtmp {
  const timeoutMs = options.timeoutMs ?? 5000;
  return (host, port, app) => probe(host, port, app, timeoutMs);
}

function probe(host: string, port: number, app: string, timeoutMs: number): Promise<RtmpProbeResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    let mark = started;
    const lap = (): number => {
      const now = performance.now();
      const ms = Math.round((now - mark) * 10) / 10;
      mark = now;
      return ms;
    };
    const times: { tcpMs?: number; handshakeMs?: number; address?: string } = {};
    let stage: ProbeStage = 'tcp';
    const session = new ClientSession({ digest: true });
    const socket = netConnect({ host, port });
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
      stage = 'handshake';
      flush();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' || err.code === 'ENODATA') stage = 'resolve';
      fail(err.code ?? err.message);
    });
    socket.on('close', () => fail(stage === 'handshake' ? 'the server closed the connection during the handshake' : 'the server closed the connection'));
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
          connectTx = session.connect(`rtmp://${host.includes(':') ? `[${host}]` : host}:${port}/${app}`, app);
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

function describe(info: unknown): string {
  if (info instanceof Map) {
    const d: unknown = info.get('description') ?? info.get('code');
    if (typeof d === 'string' && d !== '') return d;
  }
  return 'connect was refused';
}
