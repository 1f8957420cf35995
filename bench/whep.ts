// The WHEP benchmark, two parts (docs/performance.md "WebRTC"):
// 1. Fan-out: one ffmpeg publisher of the 720p30 ~2.5 Mbit/s H.264/AAC bench file over RTMP into openlive (a
//    child process with webrtc.enabled), and N werift WHEP viewers spread over --workers load processes
//    (bench/lib/whep-viewer-worker.ts). Prints the server's CPU per viewer (percent of one core), its RSS growth
//    per viewer, every viewer's received rate, and whether the load side saturated (then the viewers received
//    less than the stream and the per-viewer CPU is a lower bound). AAC is left out of WHEP (docs/webrtc.md),
//    so this measures the H.264 RTP path.
// 2. Glass to glass: Chromium paints Date.now() as a barcode, publishes it over WHIP, a second page plays it over
//    WHEP and reads the barcode back (bench/lib/whep-latency.ts); p50/p95 of --samples readings.
//   node bench/whep.ts [--n 100] [--workers 4] [--window-s 20] [--warmup-s 5] [--samples 30] [--skip-viewers] [--skip-latency]
//     [--single-port true|false] [--server-workers W] [--join-concurrency C] [--keep-alive] [--viewer-rcvbuf-kb K]
//     [--cpu-prof DIR]
// Prints each viewer's join (POST answered, ICE + DTLS connected, first frame) and, with --server-workers,
// the viewers, sessions and subscribers of every worker (each worker's own /metrics: lib/worker-metrics.ts).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import {
  cpuSeconds,
  machineJiffies,
  processTree,
  rssBytes,
  sumCpu,
  udpCounters,
  udpDropsByPort,
} from './lib/proc-stats.ts';
import { ensureMedia, sleep } from './lib/setup.ts';
import { glassToGlass } from './lib/whep-latency.ts';
import type { JoinTimes, WorkerCommand, WorkerReport } from './lib/whep-viewer-worker.ts';
import { everyWorkerMetrics, summed } from './lib/worker-metrics.ts';
import { startServerProcess } from '../test/support/server-process.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100' },
    workers: { type: 'string', default: '4' },
    /** openlive's own `--workers` (server processes; each binds webrtc.port + index - 1). */
    'server-workers': { type: 'string', default: '1' },
    /** Joins in flight at once per load process (1 = each viewer after the previous one's POST was answered). */
    'join-concurrency': { type: 'string', default: '1' },
    /** All POSTs of a load process on one kept-alive connection (so on one server worker), as before. */
    'keep-alive': { type: 'boolean', default: false },
    /** Each viewer's UDP receive buffer, KiB (0: the OS default, ~208 KiB, which 50 viewers in a process overflow on a busy machine; capped at net.core.rmem_max). */
    'viewer-rcvbuf-kb': { type: 'string', default: '4096' },
    'window-s': { type: 'string', default: '20' },
    'warmup-s': { type: 'string', default: '5' },
    /** webrtc.singlePort: false measures werift's one-socket-per-session ports against the shared port. */
    'single-port': { type: 'string', default: 'true' },
    samples: { type: 'string', default: '30' },
    // Joins of 100 werift peers on a busy 2-core machine take longer than the default 15 s to finish ICE + DTLS.
    'connect-timeout-ms': { type: 'string', default: '60000' },
    'skip-viewers': { type: 'boolean', default: false },
    'skip-latency': { type: 'boolean', default: false },
    /** Writes a V8 CPU profile of the server into this directory (read it with bench/cpu-profile-top.ts). */
    'cpu-prof': { type: 'string' },
  },
});
const n = Number(values.n);
const workerCount = Math.max(1, Math.min(n, Number(values.workers)));
const windowS = Number(values['window-s']);
const serverWorkers = Math.max(1, Number(values['server-workers']));
const sourceFps = 30;

const server = await startServerProcess(
  [
    '--webrtc.enabled',
    'true',
    '--webrtc.maxSessions',
    String(n + 10),
    '--webrtc.maxSessionsPerIp',
    '0',
    '--webrtc.singlePort',
    values['single-port'],
    '--webrtc.connectTimeoutMs',
    values['connect-timeout-ms'],
    // Info shows each WebRTC session's end (code, reason, what it sent): the silent viewers' lines are printed.
    '--log.level',
    'info',
  ],
  {
    nodeArgs: values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [],
    ...(serverWorkers > 1 && { workers: serverWorkers }),
  },
);
const pid = server.child.pid!;
const serverCpu = (): number => sumCpu(processTree(pid));
const serverRss = (): number => processTree(pid).reduce((s, p) => s + rssBytes(p), 0);
const push = new URL(server.pushUrl);
const http = `http://127.0.0.1:${server.httpPort}`;
const mib = (b: number): string => (b / 2 ** 20).toFixed(1);

/** A worker's next message of the given kind. */
async function next<K extends 'ready' | 'sample'>(
  w: ChildProcess,
  kind: K,
): Promise<Extract<WorkerReport, Record<K, unknown>>> {
  for (;;) {
    const [m] = (await once(w, 'message')) as [WorkerReport];
    if (kind in m) return m as Extract<WorkerReport, Record<K, unknown>>;
  }
}

async function viewersBench(): Promise<void> {
  const media = ensureMedia();
  let publisher: ChildProcess | undefined;
  const workers: ChildProcess[] = [];
  try {
    publisher = spawn(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', media.path],
        ...['-c', 'copy', '-f', 'flv', server.pushUrl],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let ffmpegErr = '';
    publisher.stderr!.setEncoding('utf8').on('data', (d: string) => (ffmpegErr = (ffmpegErr + d).slice(-500)));
    await sleep(3000);
    const idle0 = serverCpu();
    await sleep(3000);
    const publisherOnly = ((serverCpu() - idle0) / 3) * 100;
    const rss0 = serverRss();
    const whep = `${http}${push.pathname}/whep${push.search}`;
    // Viewers per process as even as it goes; each process connects its viewers one after the other.
    for (let i = 0; i < workerCount; i++) {
      workers.push(fork(new URL('./lib/whep-viewer-worker.ts', import.meta.url), [], { stdio: 'inherit' }));
    }
    const t0 = performance.now();
    const udp0 = udpCounters();
    const ready = await Promise.all(
      workers.map((w, i) => {
        const count = Math.floor(n / workerCount) + (i < n % workerCount ? 1 : 0);
        w.send({
          start: {
            url: whep,
            count,
            concurrency: Number(values['join-concurrency']),
            keepAlive: values['keep-alive'],
            receiveBufferBytes: Number(values['viewer-rcvbuf-kb']) * 1024,
          },
        } satisfies WorkerCommand);
        return next(w, 'ready');
      }),
    );
    const connected = ready.reduce((s, r) => s + r.ready.connected, 0);
    const failed = ready.flatMap((r) => r.ready.failed);
    console.log(`  ${connected} viewers connected in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (failed.length > 0) console.log(`  ${failed.length} failed, first: ${failed[0]}`);
    await sleep(Number(values['warmup-s']) * 1000);
    const sample = async () =>
      (
        await Promise.all(
          workers.map(async (w) => (w.send({ sample: true } satisfies WorkerCommand), next(w, 'sample'))),
        )
      ).flatMap((r) => r.sample);
    const before = await sample();
    const rssWindow0 = serverRss();
    const cpu0 = serverCpu();
    const workerCpu0 = workers.map((w) => cpuSeconds(w.pid!));
    const machine0 = machineJiffies();
    const start = performance.now();
    await sleep(windowS * 1000);
    const after = await sample();
    const seconds = (performance.now() - start) / 1000;
    const cpu = ((serverCpu() - cpu0) / seconds) * 100;
    const workerCpu = workers.map((w, i) => ((cpuSeconds(w.pid!) - workerCpu0[i]!) / seconds) * 100);
    const machine1 = machineJiffies();
    const udp1 = udpCounters();
    const machineBusy = ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * 100;
    const rss1 = serverRss();
    const rates = after.map((a, i) => ({
      kbps: ((a.bytes - before[i]!.bytes) * 8) / 1000 / seconds,
      fps: (a.frames - before[i]!.frames) / seconds,
    }));
    const sorted = [...rates].sort((a, b) => a.kbps - b.kbps);
    const median = sorted[Math.floor(sorted.length / 2)];
    const fps = rates.map((r) => r.fps).sort((a, b) => a - b);
    const medianFps = fps[Math.floor(fps.length / 2)] ?? 0;
    const perViewer = (cpu - publisherOnly) / Math.max(1, connected);
    // The viewers' worth of full-rate streams the server actually delivered: per-viewer CPU normalised by it
    // estimates the cost at full rate when the server was starved (the cost is mostly SRTP and one send per packet).
    const delivered = rates.reduce((sum, r) => sum + r.kbps, 0) / media.kbps;
    console.log(
      `WHEP bench: ${connected} viewers (${workerCount} load processes) of one ${media.kbps} kb/s RTMP stream, ${seconds.toFixed(1)} s window`,
    );
    console.log(
      `  server CPU ${cpu.toFixed(1)} % of a core (publisher alone ${publisherOnly.toFixed(1)} %): ${perViewer.toFixed(2)} % per viewer`,
    );
    if (delivered > 0 && delivered < connected * 0.9) {
      console.log(
        `  delivered ${delivered.toFixed(1)} viewers' worth of the stream: ${((cpu - publisherOnly) / delivered).toFixed(2)} % of a core per full-rate viewer`,
      );
    }
    console.log(
      `  server RSS ${mib(rss0)} MiB before the viewers, ${mib(rss1)} MiB with them: ${((rss1 - rss0) / Math.max(1, connected) / 1024).toFixed(0)} KiB per viewer; ${mib(rss1 - rssWindow0)} MiB more during the window`,
    );
    console.log(
      `  received per viewer: min ${sorted[0]?.kbps.toFixed(0)} kb/s, median ${median?.kbps.toFixed(0)} kb/s, max ${sorted.at(-1)?.kbps.toFixed(0)} kb/s; frames/s of ${sourceFps}: min ${fps[0]?.toFixed(1)}, median ${medianFps.toFixed(1)}`,
    );
    console.log('  every viewer (kb/s / frames/s):');
    for (let i = 0; i < rates.length; i += 10) {
      const row = rates.slice(i, i + 10).map((r) => `${r.kbps.toFixed(0).padStart(5)}/${r.fps.toFixed(1).padStart(4)}`);
      console.log(`    ${String(i + 1).padStart(3)}: ${row.join(' ')}`);
    }
    printJoins(
      after.map((a) => a.join),
      rates,
    );
    const metrics = await everyWorkerMetrics(http, serverWorkers);
    if (metrics.size < serverWorkers) console.log(`  METRICS: reached ${metrics.size} of ${serverWorkers} workers`);
    if (serverWorkers > 1) {
      for (const [node, text] of metrics) {
        const one = new Map([[node, text]]);
        console.log(
          `  ${node}: ${summed(one, 'openlive_subscribers')} subscribers, ${summed(one, 'openlive_publishers')} publishers, ${summed(one, 'openlive_relay_plays')} relay plays, ${summed(one, 'openlive_process_cpu_seconds_total').toFixed(1)} CPU s`,
        );
      }
    }
    for (const [node, text] of metrics) {
      const codes = errorCodes(text);
      const stalled = summed(new Map([[node, text]]), 'openlive_stalled_players_total');
      console.log(`  ${node}: connection errors ${codes || 'none'}; stalled players ${stalled}`);
    }
    const skips = summed(metrics, 'openlive_whep_lag_skips_total');
    if (skips > 0) {
      const frames = summed(metrics, 'openlive_whep_skipped_frames_total');
      console.log(
        `  lag skips since the viewers joined (webrtc.maxSendLagMs): ${skips}, ${frames} frames not sent, ${(frames / Math.max(1, connected)).toFixed(0)} per viewer`,
      );
    }
    // Machine-wide (other processes' sockets too): a viewer whose socket overflows loses its STUN answers as well.
    console.log(
      `  UDP since the viewers joined: ${udp1.received - udp0.received} datagrams received, ${udp1.rcvbufErrors - udp0.rcvbufErrors} dropped for a full receive buffer (machine-wide)`,
    );
    // Which side's sockets overflowed: the server's shared ports (the answers' port) or the rest (the viewers').
    const drops = udpDropsByPort();
    const serverPorts = new Set(after.map((a) => a.join.port));
    let serverDrops = 0;
    let otherDrops = 0;
    for (const [port, d] of drops) {
      if (serverPorts.has(port)) serverDrops += d;
      else otherDrops += d;
    }
    console.log(
      `  UDP drops of open sockets now: the server's port(s) ${[...serverPorts].join(', ')} ${serverDrops}, every other socket ${otherDrops}`,
    );
    console.log(
      `  load processes: ${workerCpu.map((c) => `${c.toFixed(0)} %`).join(', ')} of a core each; machine ${machineBusy.toFixed(0)} % busy`,
    );
    // Why a run's figures may not be the server's own: say it rather than print a clean-looking number.
    const busiest = Math.max(...workerCpu);
    if (busiest > 90)
      console.log(`  LOAD SIDE SATURATED: a load process used ${busiest.toFixed(0)} % of a core; use more --workers`);
    if (publisher.exitCode !== null || publisher.signalCode !== null) {
      console.log(
        `  THE PUBLISHER ENDED (ffmpeg ${publisher.exitCode ?? publisher.signalCode}: ${ffmpegErr.trim()}); the server's warnings:`,
      );
      for (const line of server
        .output()
        .split('\n')
        .filter((l) => /"level":(40|50)/.test(l))
        .slice(-5))
        console.log(`    ${line.slice(0, 300)}`);
    }
    const silent = rates.filter((r) => r.fps === 0).length;
    if (silent > 0) {
      const subscribers = summed(metrics, 'openlive_subscribers');
      console.log(
        `  ${silent} viewers received nothing in the window; the server (${metrics.size} workers) counts ${subscribers} subscribers`,
      );
      await explainSilent(after.flatMap((a, i) => (rates[i]!.fps === 0 ? [a.join] : [])));
    }
    if (medianFps < sourceFps * 0.9) {
      const who =
        busiest < 50
          ? `the server is the bottleneck (it got ${cpu.toFixed(0)} % of a core; the load processes idled)`
          : 'the server or the load could not keep up';
      console.log(
        `  SHORT: the median viewer received ${medianFps.toFixed(1)} of ${sourceFps} frames/s: ${who}; the CPU per viewer is a lower bound`,
      );
    }
    if (machineBusy > 95) {
      console.log(
        '  MACHINE BUSY: every core was busy (other processes included); the server and the load competed for CPU',
      );
    }
  } finally {
    for (const w of workers) w.disconnect();
    await Promise.all(workers.filter((w) => w.exitCode === null).map((w) => once(w, 'exit')));
    publisher?.kill('SIGKILL');
  }
}

/** `CODE=n` of every openlive_connection_errors_total series in one /metrics text. */
function errorCodes(text: string): string {
  return [...text.matchAll(/^openlive_connection_errors_total\{([^}]*)\} (\S+)/gm)]
    .map((m) => `${/code="([^"]+)"/.exec(m[1]!)?.[1]}=${m[2]}`)
    .join(', ');
}

/**
 * Up to 5 silent viewers: what the viewer saw (its states, its last RTP) and what the server says of its
 * session: any log line naming the session id (its end: code, reason, what it sent), after a DELETE of the
 * sessions still open so their end line is logged with their counters.
 */
async function explainSilent(joins: readonly JoinTimes[]): Promise<void> {
  const at = (ms: number | undefined): string => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(2)} s`);
  for (const j of joins.slice(0, 5)) {
    const id = j.session.split('/').pop() ?? '';
    console.log(
      `    silent ${id} (worker ${j.worker}): ${j.packets} RTP packets (seq ${j.firstSeq}…${j.lastSeq}), the last at ${at(j.lastRtpMs)} of ${at(j.ageMs)}; states ${j.states.join(' ')}`,
    );
    if (j.states.some((st) => st === 'ice-failed'))
      console.log(
        '      its ICE consent expired (no answer to its checks for 30 s: lost with the media on a starved load side)',
      );
    const status = await fetch(`${http}${j.session}`, { method: 'DELETE' }).then(
      (r) => r.status,
      (err: unknown) => String(err),
    );
    await sleep(300);
    const lines = server
      .output()
      .split('\n')
      .filter((l) => id !== '' && l.includes(id));
    console.log(`      DELETE ${status}; the server's lines for it: ${lines.length === 0 ? 'none' : ''}`);
    for (const l of lines.slice(-3)) console.log(`      ${l.slice(0, 900)}`);
  }
}

/** p50 / p95 / max of some milliseconds, or what is missing. */
function spread(ms: readonly (number | undefined)[]): string {
  const got = ms.filter((m): m is number => m !== undefined).sort((a, b) => a - b);
  if (got.length === 0) return 'none';
  const q = (p: number): string => (got[Math.min(got.length - 1, Math.floor(p * got.length))]! / 1000).toFixed(2);
  const missing = ms.length - got.length;
  return `p50 ${q(0.5)} s, p95 ${q(0.95)} s, max ${q(1)} s${missing > 0 ? ` (${missing} never)` : ''}`;
}

/** Each viewer's join from the start of its POST, overall and per worker that answered it. */
function printJoins(joins: readonly JoinTimes[], rates: readonly { kbps: number; fps: number }[]): void {
  console.log(`  joins, from the POST: answered ${spread(joins.map((j) => j.postMs))}`);
  console.log(`    ICE + DTLS connected ${spread(joins.map((j) => j.connectedMs))}`);
  console.log(`    first frame ${spread(joins.map((j) => j.firstFrameMs))}`);
  const silent = joins.flatMap((j, i) => (rates[i]!.fps === 0 ? [{ i, j }] : [])).slice(0, 5);
  const at = (ms: number | undefined): string => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(2)} s`);
  for (const { i, j } of silent)
    console.log(
      `    silent viewer ${i + 1} (worker ${j.worker}): connected ${at(j.connectedMs)}, first frame ${at(j.firstFrameMs)}`,
    );
  const workers = [...new Set(joins.map((j) => j.worker))].sort((a, b) => a - b);
  if (workers.length < 2 && workers[0] === 0) return;
  for (const w of workers) {
    const mine = joins.flatMap((j, i) => (j.worker === w ? [i] : []));
    const fps = mine.map((i) => rates[i]!.fps).sort((a, b) => a - b);
    const ports = [...new Set(mine.map((i) => joins[i]!.port))].join(', ');
    console.log(
      `    worker ${w}: ${mine.length} viewers (answer port ${ports}), median ${fps[Math.floor(fps.length / 2)]?.toFixed(1)} frames/s, ${fps.filter((f) => f === 0).length} got nothing; connected ${spread(mine.map((i) => joins[i]!.connectedMs))}`,
    );
  }
}

try {
  if (!values['skip-viewers']) await viewersBench();
  if (!values['skip-latency']) {
    const samples = Number(values.samples);
    const whip = `${http}${push.pathname}/whip${push.search}`;
    const lat = (await glassToGlass(whip, `${http}${push.pathname}/whep${push.search}`, samples)).sort((a, b) => a - b);
    const q = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
    console.log(
      `glass to glass (Chromium canvas -> WHIP -> openlive -> WHEP -> Chromium, loopback), ${lat.length} samples:` +
        ` p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, min ${lat[0]} ms, max ${lat.at(-1)} ms (target < 500 ms)`,
    );
  }
} finally {
  await server.stop();
}
