// The HLS benchmark: one ffmpeg publisher of a 720p ~2.5 Mbit/s H.264/AAC stream into openlive (a child process),
// and N HLS viewers in worker processes that behave like hls.js: plain HLS reloads the playlist once per target
// duration and fetches each new segment; LL-HLS issues blocking reloads (_HLS_msn/_HLS_part) and fetches each new
// part. Prints the server's CPU and RSS and the request latency p50/p99 per request kind. See docs/hls.md.
//   node bench/hls-viewers.ts [--n 1000] [--modes hls,llhls] [--window-s 20] [--warmup-s 5] [--per-process 250]
//                             [--join-rate 200] [--cpu-prof DIR]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { runViewers, type ViewerReport } from './lib/hls-viewer.ts';
import { machineJiffies, sumCpu, sumRss } from './lib/proc-stats.ts';
import { startServer } from './lib/servers.ts';
import { ensureMedia, ensureTools, sleep } from './lib/setup.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    modes: { type: 'string', default: 'hls,llhls' },
    'window-s': { type: 'string', default: '20' },
    'warmup-s': { type: 'string', default: '5' },
    'per-process': { type: 'string', default: '250' },
    'join-rate': { type: 'string', default: '200' },
    // Writes the server's V8 CPU profile to this folder (summarise it with bench/cpu-profile-top.ts).
    'cpu-prof': { type: 'string' },
    // Internal: run as one load process (the parent passes the playlist URL and the counts).
    worker: { type: 'string' },
    ll: { type: 'boolean', default: false },
    count: { type: 'string', default: '0' },
    'run-s': { type: 'string', default: '0' },
    'start-delay-ms': { type: 'string', default: '0' },
  },
});

if (values.worker !== undefined) {
  // A load process: run the viewers, print one JSON report on stdout.
  const report = await runViewers({
    playlistUrl: values.worker,
    lowLatency: values.ll,
    count: Number(values.count),
    runMs: Number(values['run-s']) * 1000,
    joinPerSecond: Number(values['join-rate']),
    startDelayMs: Number(values['start-delay-ms']),
  });
  // Exit only once the pipe took the whole report (an early exit cuts a large write short).
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
  await new Promise(() => {});
}

const n = Number(values.n);
const windowS = Number(values['window-s']);
const warmupS = Number(values['warmup-s']);
const perProcess = Number(values['per-process']);
const joinRate = Number(values['join-rate']);
ensureTools(['openlive']);
const media = ensureMedia();
console.log(
  `HLS benchmark, ${new Date().toISOString()}; ${n} viewers; source ${media.kbps} kbit/s; ${os.cpus().length} cores`,
);

for (const mode of values.modes.split(',').map((m) => m.trim())) {
  const ll = mode === 'llhls';
  process.env.OPENLIVE_HLS__LOW_LATENCY_DOMAINS = ll ? '*' : '';
  const dir = mkdtempSync(`${os.tmpdir()}/openlive-hls-bench-`);
  const prof = values['cpu-prof'];
  const server = await startServer(
    { kind: 'openlive', label: `openlive ${mode}`, ...(prof !== undefined && { cpuProfDir: prof }) },
    dir,
  );
  let publisher: ChildProcess | undefined;
  try {
    const args = ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', media.path];
    publisher = spawn('ffmpeg', [...args, '-c', 'copy', '-f', 'flv', server.publishUrl], { stdio: 'ignore' });
    const playlistUrl = server.flvUrl!.replace(/\.flv$/, '.m3u8');
    await warm(playlistUrl);
    const processes = Math.ceil(n / perProcess);
    const joinS = n / joinRate;
    const runS = joinS + warmupS + windowS;
    const workers = Array.from({ length: processes }, (_, i) => {
      const count = Math.min(perProcess, n - i * perProcess);
      const wargs = [
        'bench/hls-viewers.ts',
        '--worker',
        playlistUrl,
        '--count',
        String(count),
        '--run-s',
        String(runS),
      ];
      wargs.push('--join-rate', String(joinRate / processes), '--start-delay-ms', '0', ...(ll ? ['--ll'] : []));
      return runWorker(wargs);
    });
    // Measure the server over the window only: after everyone joined and the warm-up passed.
    await sleep((joinS + warmupS) * 1000);
    const pids = server.measuredPids();
    const cpu0 = sumCpu(pids);
    const m0 = machineJiffies();
    const t0 = performance.now();
    await sleep(windowS * 1000);
    const cpuPercent = ((sumCpu(pids) - cpu0) / ((performance.now() - t0) / 1000)) * 100;
    const m1 = machineJiffies();
    const machineBusy = ((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)) * 100;
    const rss = sumRss(pids);
    const reports = await Promise.all(workers);
    printRow(mode, n, cpuPercent, rss, reports, runS);
    const lag = Math.max(...reports.map((r) => r.loopDelayP99Ms));
    console.log(
      `  machine ${machineBusy.toFixed(0)}% busy (all cores); load processes' event-loop delay p99 up to ${lag.toFixed(0)} ms`,
    );
    if (machineBusy > 90)
      console.log('  the machine was saturated: latencies include time the load processes waited for a CPU');
  } finally {
    publisher?.kill('SIGKILL');
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits until the playlist lists three segments (the first request starts the segmenter). */
async function warm(url: string): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const res = await fetch(url).catch(() => undefined);
    if (res?.ok && (await res.text()).split('#EXTINF').length > 3) return;
    await sleep(500);
  }
  throw new Error(`${url} never listed three segments`);
}

function runWorker(args: string[]): Promise<ViewerReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`load process exited ${code}`);
        resolve(JSON.parse(out.trim().split('\n').at(-1)!) as ViewerReport);
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}

function printRow(mode: string, n: number, cpu: number, rss: number, reports: ViewerReport[], runS: number): void {
  const merged = new Map<string, number[]>();
  let errors = 0;
  let bytes = 0;
  for (const r of reports) {
    errors += r.errors;
    bytes += r.bytes;
    for (const [kind, samples] of Object.entries(r.latencyMs))
      merged.set(kind, [...(merged.get(kind) ?? []), ...samples]);
  }
  console.log(
    `\n${mode}: ${n} viewers, server CPU ${cpu.toFixed(0)}% of one core, RSS ${(rss / 2 ** 20).toFixed(0)} MiB`,
  );
  console.log(`  ${(bytes / runS / 2 ** 20).toFixed(1)} MiB/s to viewers on average, ${errors} failed requests`);
  console.log('  request               count     p50 ms    p99 ms');
  for (const [kind, samples] of merged) {
    samples.sort((a, b) => a - b);
    const q = (p: number): string =>
      (samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? NaN).toFixed(1);
    console.log(
      `  ${kind.padEnd(20)} ${String(samples.length).padStart(6)} ${q(0.5).padStart(10)} ${q(0.99).padStart(9)}`,
    );
  }
}
