/**
 * The network step of the troubleshooter for `srt://` URLs: a real SRT handshake as a caller
 * (protocol/srt/srt-caller.ts; draft-sharabayko-srt §4.3.1) over a UDP socket: the induction shows
 * that UDP gets through and an SRT v5 listener answers, the conclusion carries the URL's stream id
 * marked `m=probe` (control/srt-stream-id.ts), which openlive answers with srtProbeReason instead of
 * publishing. A rejection code is reported as it came; a listener that accepts (not openlive) is shut at once.
 */
import { createSocket as dgramSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { probeStreamId, srtProbeReason } from '../../control/srt-stream-id.ts';
import type { ProbeSrt, SrtProbeResult, SrtProbeStage } from '../../control/doctor/push-probe.ts';
import { SrtCaller } from '../../protocol/srt/srt-caller.ts';

/** How the probe gets its socket (tests inject one) and how long it waits in all. */
export interface SrtProbeOptions {
  /** Default 5000 ms: libsrt's connect timeout is 3 s, a lossy path needs its retries. */
  readonly timeoutMs?: number;
  readonly createSocket?: (type: 'udp4' | 'udp6') => Socket;
}

const tickMs = 20;

/** An SRT probe bounded by `timeoutMs` in all. */
export function createSrtProbe(options: SrtProbeOptions = {}): ProbeSrt {
  const timeoutMs = options.timeoutMs ?? 5000;
  const open = options.createSocket ?? ((type) => dgramSocket({ type }));
  return async (host, port, streamId) => {
    let address: string;
    let family: number;
    try {
      const found = isIP(host) !== 0 ? { address: host, family: isIP(host) } : await lookup(host);
      ({ address, family } = found);
    } catch (err) {
      return { ok: false, failedAt: 'resolve', error: (err as NodeJS.ErrnoException).code ?? String(err) };
    }
    return handshake(open(family === 6 ? 'udp6' : 'udp4'), address, port, probeStreamId(streamId), timeoutMs);
  };
}

function handshake(socket: Socket, address: string, port: number, streamId: string, timeoutMs: number) {
  return new Promise<SrtProbeResult>((resolve) => {
    let mark = performance.now();
    const lap = (): number => {
      const now = performance.now();
      const ms = Math.round((now - mark) * 10) / 10;
      mark = now;
      return ms;
    };
    const clockUs = (): number => performance.now() * 1000;
    const times: { inductionMs?: number } = {};
    let done = false;
    const finish = (result: Omit<SrtProbeResult, 'address'>): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      socket.close();
      resolve({ ...result, address, ...times });
    };
    let reached: SrtProbeStage = 'induction';
    const stage = (): SrtProbeStage => reached;
    const caller: SrtCaller = new SrtCaller(
      {
        localId: randomInt(1, 0x7fffffff),
        initialSeq: randomInt(0, 0x7fffffff),
        streamId,
        latencyMs: 120,
        nowUs: clockUs(),
        connectTimeoutUs: timeoutMs * 1000,
      },
      {
        send: (datagram) => socket.send(datagram, port, address, (err) => err && finish(failure(err))),
        deliver: () => {},
        closed: () => {},
        connected: () => {
          // Not openlive (or one without probes): it took the conclusion as a connection; end it politely.
          const conclusionMs = lap();
          caller.connection?.close(clockUs());
          finish({ ok: true, connected: true, conclusionMs });
        },
        rejected: (reason) => {
          if (reason === undefined) {
            const failedAt = stage();
            const what = failedAt === 'induction' ? 'the induction' : 'the conclusion (the induction was answered)';
            return finish({ ok: false, failedAt, error: `timeout: no answer to ${what} within ${timeoutMs} ms` });
          }
          const conclusionMs = lap();
          const ok = reason === srtProbeReason;
          finish({ ok, rejectReason: reason, conclusionMs, ...(!ok && { failedAt: 'conclusion' as const }) });
        },
      },
    );
    const failure = (err: NodeJS.ErrnoException): Omit<SrtProbeResult, 'address'> => ({
      ok: false,
      failedAt: stage(),
      error: err.code ?? err.message,
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish(failure(err)));
    socket.on('message', (msg, rinfo) => {
      if (rinfo.port !== port) return;
      const before = caller.state;
      try {
        caller.receive(msg, clockUs());
      } catch (err) {
        return finish({ ok: false, failedAt: stage(), error: `not an SRT answer (${(err as Error).message})` });
      }
      if (before === 'induction' && caller.state !== 'induction') {
        reached = 'conclusion';
        times.inductionMs = lap();
      }
    });
    const timer = setInterval(() => caller.tick(clockUs()), tickMs);
    caller.start(clockUs());
  });
}
