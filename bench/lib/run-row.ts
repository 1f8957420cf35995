// One measurement: a fresh server, the publisher, N players, warm-up, then a window over which the server's
// CPU and memory and every player's bitrate are read; and the stalled-reader variant of it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { FlvPlayer } from './flv-player.ts';
import { RtmpPlayer } from './rtmp-player.ts';
import type { BenchPlayer } from './bench-player.ts';
import { LatencyProbes, PublishRelay } from './latency-probe.ts';
import { LoadPool } from './load-pool.ts';
import type { RtmpPlayerKind } from './load-protocol.ts';
import { machineJiffies, sumCpu, sumRss } from './proc-stats.ts';
import { percentile, type RowResult, type StallResult, type BenchProtocol } from './report.ts';
import { startServer, type RunningServer, type ServerSpec } from './servers.ts';
import { sleep, type Media } from './setup.ts';

/** How a row is run. */
export interface RowOptions {
  media: Media;
  warmupS: number;
  windowS: number;
  perProcess: number;
  joinRate: number;
  rtmpPlayer: RtmpPlayerKind;
  /** Nice value of the load-generator processes (0 = as the server): models load generators on other machines. */
  loadNice?: number;
}

const MB = 1024 * 1024;

/** A server with the publisher running and the stream confirmed live; close() tears both down. */
export interface Live {
  server: RunningServer;
  playUrl: string;
  /** The publisher's relay: when each video message went to the server (latency-probe.ts). */
  relay: PublishRelay;
  close(): Promise<void>;
}

/** Probe players per row for the publisher→player latency (joined after the load, so written last). */
const PROBES = 4;

export async function goLive(spec: ServerSpec, protocol: BenchProtocol, media: Media): Promise<Live> {
  const dir = mkdtempSync(`${tmpdir()}/fanout-${spec.kind}-`);
  const server = await startServer(spec, dir);
  const playUrl = protocol === 'rtmp' ? server.rtmpUrl : protocol === 'rtmps' ? server.rtmpsUrl() : server.flvUrl;
  let publisher: ChildProcess | undefined;
  const relay = new PublishRelay();
  const close = async (): Promise<void> => {
    publisher?.kill('SIGKILL');
    relay.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (playUrl === null) throw new Error(`${spec.label} has no ${protocol} playback`);
    const log = openSync(`${dir}/publisher.log`, 'a');
    // -stream_loop keeps timestamps increasing across loops; -re paces it like a live encoder.
    const args = ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', media.path];
    const target = new URL(server.publishUrl);
    const relayPort = await relay.start(Number(target.port));
    const publishUrl = server.publishUrl.replace(`:${target.port}/`, `:${relayPort}/`);
    publisher = spawn('ffmpeg', [...args, '-c', 'copy', '-f', 'flv', publishUrl], {
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    await waitForKeyframe(playUrl, 20_000);
    return { server, playUrl, relay, close };
  } catch (err) {
    const logs = `server log:\n${server.logTail()}\npublisher log:\n${tail(`${dir}/publisher.log`)}`;
    await close();
    throw new Error(`${(err as Error).message}\n${logs}`, { cause: err });
  }
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-10).join('\n');
  } catch {
    return '';
  }
}

/** Plays the stream in this process until a keyframe arrives: the stream is live and its GOP is cached. */
async function waitForKeyframe(url: string, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < until) {
    await sleep(1000);
    const p: BenchPlayer = url.startsWith('rtmp')
      ? new RtmpPlayer({ url, stall: false })
      : new FlvPlayer({ url, stall: false });
    const giveUp = performance.now() + 5000;
    while (p.firstKeyAt < 0 && p.error === '' && performance.now() < giveUp) await sleep(50);
    const ok = p.firstKeyAt >= 0;
    last = p.error || 'no keyframe within 5 s';
    p.close();
    if (ok) return;
  }
  throw new Error(`the stream did not go live at ${url}: ${last}`);
}

/** openlive's `openlive_player_writes_total` from /metrics (NaN for the other servers or on failure). */
async function playerWrites(server: RunningServer): Promise<number> {
  if (server.spec.kind !== 'openlive' || server.flvUrl === null) return Number.NaN;
  try {
    const text = await (await fetch(new URL('/metrics', server.flvUrl))).text();
    const m = /^openlive_player_writes_total(?:\{[^}]*\})? (\d+)/m.exec(text);
    return m === null ? Number.NaN : Number(m[1]);
  } catch {
    return Number.NaN;
  }
}

/** Samples a number for ms milliseconds at every stepMs, returning the samples. */
async function sampleFor(ms: number, stepMs: number, f: () => number): Promise<number[]> {
  const out: number[] = [];
  const until = performance.now() + ms;
  while (performance.now() < until) {
    await sleep(Math.min(stepMs, Math.max(0, until - performance.now())));
    out.push(f());
  }
  return out;
}

/** Measures one server × protocol × N. */
export async function runRow(spec: ServerSpec, protocol: BenchProtocol, n: number, o: RowOptions): Promise<RowResult> {
  const live = await goLive(spec, protocol, o.media);
  const pids = (): number[] => live.server.measuredPids();
  let pool: LoadPool | undefined;
  let probes: LatencyProbes | undefined;
  try {
    await sleep(1000);
    const idle0 = sumCpu(pids());
    const idleT = performance.now();
    const rssBefore = Math.max(...(await sampleFor(2000, 500, () => sumRss(pids()))));
    const idleCpuPct = ((sumCpu(pids()) - idle0) / ((performance.now() - idleT) / 1000)) * 100;

    pool = new LoadPool(live.playUrl, n, o.perProcess, o.joinRate, false, o.rtmpPlayer, o.loadNice ?? 0);
    const joinUntil = performance.now() + (n / o.joinRate) * 1000 + 20_000;
    for (;;) {
      const s = await pool.status();
      if ((s.opened === n && s.firstKey + s.failed >= n) || performance.now() > joinUntil) break;
      await sleep(250);
    }
    probes = new LatencyProbes(live.playUrl, protocol === 'rtmps' ? 0 : PROBES);
    await sleep(o.warmupS * 1000);

    probes.record(true);
    const writes0 = await playerWrites(live.server);
    const cpu0 = sumCpu(pids());
    const gen0 = sumCpu(pool.pids());
    const mach0 = machineJiffies();
    const snap0 = await pool.snapshot();
    const rss = await sampleFor(o.windowS * 1000, 1000, () => sumRss(pids()));
    const snap1 = await pool.snapshot();
    const cpu1 = sumCpu(pids());
    const writes1 = await playerWrites(live.server);
    const gen1 = sumCpu(pool.pids());
    const mach1 = machineJiffies();
    probes.record(false);
    const seconds = o.windowS;
    const latency = probes.latencies(live.relay.log);

    const kbps: number[] = [];
    let ok = 0;
    snap1.forEach((b, i) => {
      const a = snap0[i];
      if (a === undefined) return;
      const dt = (b.at - a.at) / 1000;
      b.bytes.forEach((bytes, j) => {
        if (!(b.alive[j] ?? false)) return;
        ok++;
        kbps.push(((bytes - (a.bytes[j] ?? 0)) * 8) / dt / 1000);
      });
    });
    const players = await pool.report();
    const errors: Record<string, number> = {};
    for (const p of players) if (p.error !== '') errors[p.error] = (errors[p.error] ?? 0) + 1;
    const firstByte = players.filter((p) => p.firstByteMs >= 0).map((p) => p.firstByteMs);
    const firstKey = players.filter((p) => p.firstKeyMs >= 0).map((p) => p.firstKeyMs);
    const rssDuring = percentile(rss, 50);
    return {
      server: spec.label,
      kind: spec.kind,
      mergeWindowMs: spec.mergeWindowMs,
      protocol,
      n,
      ok,
      errors,
      cpuPct: ((cpu1 - cpu0) / seconds) * 100,
      idleCpuPct,
      rssBeforeMB: rssBefore / MB,
      rssDuringMB: rssDuring / MB,
      kbPerPlayer: (rssDuring - rssBefore) / 1024 / n,
      kbpsMin: kbps.length === 0 ? Number.NaN : Math.min(...kbps),
      kbpsMedian: percentile(kbps, 50),
      starved: kbps.filter((k) => k < 0.9 * o.media.kbps).length,
      firstByteP50: percentile(firstByte, 50),
      firstByteP95: percentile(firstByte, 95),
      firstKeyP50: percentile(firstKey, 50),
      firstKeyP95: percentile(firstKey, 95),
      noKey: n - firstKey.length,
      loadgenCpuPct: ((gen1 - gen0) / seconds) * 100,
      machineBusyPct: ((mach1.busy - mach0.busy) / (mach1.total - mach0.total)) * 100,
      latencyP50: percentile(latency, 50),
      latencyP95: percentile(latency, 95),
      latencySamples: latency.length,
      probeLagP95: probes.loopLag().p95,
      writesPerPlayerS: (writes1 - writes0) / seconds / n,
    };
  } finally {
    probes?.close();
    await pool?.close();
    await live.close();
  }
}

/** Stalled readers: `players` players take the first keyframe, then stop reading; RSS every 5 s for seconds. */
export async function runStall(
  spec: ServerSpec,
  protocol: BenchProtocol,
  players: number,
  seconds: number,
  o: RowOptions,
): Promise<StallResult> {
  const live = await goLive(spec, protocol, o.media);
  const rssMB = (): number => sumRss(live.server.measuredPids()) / MB;
  let pool: LoadPool | undefined;
  try {
    await sleep(1000);
    const rssBaselineMB = rssMB();
    pool = new LoadPool(live.playUrl, players, players, o.joinRate, true, o.rtmpPlayer);
    const until = performance.now() + 10_000;
    while (performance.now() < until) {
      const s = await pool.status();
      if (s.opened === players && s.firstKey + s.failed >= players) break;
      await sleep(100);
    }
    const t0 = performance.now();
    const samples = [{ t: 0, rssMB: rssMB() }];
    for (let t = 5; t <= seconds; t += 5) {
      await sleep(t0 + t * 1000 - performance.now());
      samples.push({ t, rssMB: rssMB() });
    }
    const last = samples[samples.length - 1]?.rssMB ?? Number.NaN;
    const before20s = samples.find((s) => s.t >= seconds - 20)?.rssMB ?? Number.NaN;
    const growthMB = last - (samples[0]?.rssMB ?? 0);
    const stream20sMB = (o.media.kbps * 1000 * 20) / 8 / MB;
    const lateGrowthMB = last - before20s;
    return { server: spec.label, protocol, players, rssBaselineMB, samples, growthMB, lateGrowthMB, stream20sMB };
  } finally {
    await pool?.close();
    await live.close();
  }
}
