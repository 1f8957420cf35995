// The fan-out benchmark: one ffmpeg publisher of a 720p ~2.5 Mbit/s H.264/AAC stream and N players in separate
// processes, against openlive, SRS, node-media-server 4 and nginx-rtmp (one worker) in the same run, so that the
// figures are ratios on the same machine. With --merge-window-ms, openlive (fanout.mergeWindowMs) and SRS
// (mw_latency) run once per window, side by side. See docs/performance.md.
//   node bench/fanout.ts [--servers openlive,srs,nms,nginx] [--n 100,1000] [--protocols rtmp,flv,rtmps] [--window-s 10]
//                        [--warmup-s 3] [--merge-window-ms 0,50] [--srs-mw-msgs default,0] [--stall] [--stall-s 60] [--stall-players 20]
//                        [--per-process 250] [--join-rate 250] [--rtmp-player walker|session] [--cpu-prof]
//                        [--openlive-node-args='--import /abs/patch.mjs'] [--openlive-entry build/main.js]
//                        [--openlive-variant 'g4:--fanout.flushGroups 4' ...] [--load-nice 10]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import {
  rowsTable,
  ratioTable,
  srsRatioTable,
  stallTable,
  targetLines,
  tlsRatioTable,
  type BenchProtocol,
  type RowResult,
  type StallResult,
} from './lib/report.ts';
import { runRow, runStall, type RowOptions } from './lib/run-row.ts';
import type { ServerSpec } from './lib/servers.ts';
import { benchDir, ensureMedia, ensureTools } from './lib/setup.ts';
import { ensureSrs, srsBinary } from './lib/srs-conf.ts';

const { values } = parseArgs({
  options: {
    servers: { type: 'string', default: 'openlive,nms,nginx' },
    n: { type: 'string', default: '100,1000' },
    protocols: { type: 'string', default: 'rtmp,flv' },
    'window-s': { type: 'string', default: '10' },
    'warmup-s': { type: 'string', default: '3' },
    'merge-window-ms': { type: 'string', default: '' },
    'srs-mw-msgs': { type: 'string', default: 'default' },
    'per-process': { type: 'string', default: '250' },
    'join-rate': { type: 'string', default: '250' },
    'rtmp-player': { type: 'string', default: 'walker' },
    'cpu-prof': { type: 'boolean', default: false },
    'openlive-node-args': { type: 'string', default: '' },
    // `build/main.js` benches the production build (`npm run build` first); the default runs the sources.
    'openlive-entry': { type: 'string', default: 'src/main.ts' },
    'openlive-variant': { type: 'string', multiple: true, default: [] },
    'load-nice': { type: 'string', default: '0' },
    stall: { type: 'boolean', default: false },
    'stall-s': { type: 'string', default: '60' },
    'stall-players': { type: 'string', default: '20' },
  },
});

const list = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
const kinds = list(values.servers) as ServerSpec['kind'][];
const protocols = list(values.protocols) as BenchProtocol[];
const ns = list(values.n)
  .map(Number)
  .filter((n) => n > 0);
const windows = list(values['merge-window-ms']).map(Number);

const profDir = values['cpu-prof'] ? `${benchDir}/results/cpu-prof-${Date.now()}` : undefined;
const nodeArgs = list(values['openlive-node-args'].replaceAll(' ', ','));
// --openlive-variant 'name:--fanout.flushGroups 4' (repeatable): openlive once per variant and window, in the
// order given (repeat a variant, A B B A, to alternate them); 'name:' is the plain server.
const variants = (values['openlive-variant'] as string[]).map((v) => {
  const at = v.indexOf(':');
  if (at < 1) throw new Error(`--openlive-variant ${v}: expected name:args`);
  return {
    name: v.slice(0, at),
    args: v
      .slice(at + 1)
      .split(' ')
      .filter((x) => x !== ''),
  };
});
const specs: ServerSpec[] = [];
// openlive and SRS alternate per window so that each pair is measured close together on the shared machine.
const windowed = windows.length > 0 ? windows : [undefined];
for (const w of windowed) {
  for (const kind of kinds) {
    const at = w === undefined ? '' : ` (window ${w} ms)`;
    if (kind === 'openlive' && variants.length > 0)
      for (const v of variants)
        specs.push({
          kind,
          label: `openlive ${v.name}${at}`,
          mergeWindowMs: w,
          cpuProfDir: profDir,
          nodeArgs,
          entry: values['openlive-entry'],
          args: v.args,
        });
    else if (kind === 'openlive')
      specs.push({
        kind,
        label: `openlive${at}`,
        mergeWindowMs: w,
        cpuProfDir: profDir,
        nodeArgs,
        entry: values['openlive-entry'],
      });
    else if (kind === 'srs')
      for (const m of list(values['srs-mw-msgs'])) {
        const srsMwMsgs = m === 'default' ? undefined : Number(m);
        const what = [w === undefined ? '' : `mw_latency ${w} ms`, srsMwMsgs === undefined ? '' : `mw_msgs ${m}`];
        const at = what.filter((x) => x !== '').join(', ');
        specs.push({ kind, label: `SRS${at === '' ? '' : ` (${at})`}`, mergeWindowMs: w, srsMwMsgs });
      }
  }
}
for (const kind of kinds) {
  if (kind === 'nms') specs.push({ kind, label: 'node-media-server' });
  else if (kind === 'nginx') specs.push({ kind, label: 'nginx-rtmp' });
  else if (kind !== 'openlive' && kind !== 'srs')
    throw new Error(`unknown server ${kind as string} (openlive, srs, nms, nginx)`);
}

ensureTools(kinds);
if (kinds.includes('srs')) ensureSrs();
const media = ensureMedia();
const opts: RowOptions = {
  media,
  warmupS: Number(values['warmup-s']),
  windowS: Number(values['window-s']),
  perProcess: Number(values['per-process']),
  joinRate: Number(values['join-rate']),
  rtmpPlayer: values['rtmp-player'] === 'session' ? 'session' : 'walker',
  loadNice: Number(values['load-nice']),
};
const started = new Date();
console.log(`fan-out benchmark, ${started.toISOString()}; source ${media.kbps} kbit/s (${media.path})`);
if (opts.loadNice !== 0) console.log(`load generators at nice ${opts.loadNice} (as if on other machines)`);

const rows: RowResult[] = [];
for (const spec of specs) {
  for (const protocol of protocols) {
    if (spec.kind === 'nginx' && protocol === 'flv') continue; // nginx-rtmp has no HTTP-FLV
    if (spec.kind !== 'openlive' && protocol === 'rtmps') continue; // the peers are measured without TLS
    for (const n of ns) {
      const t = Date.now();
      let row: RowResult;
      try {
        row = await runRow(spec, protocol, n, opts);
      } catch (err) {
        row = failedRow(spec, protocol, n, (err as Error).message);
      }
      rows.push(row);
      if (row.error !== undefined) console.error(row.error);
      console.log(`${spec.label} ${protocol} N=${n}: ${summary(row)} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
    }
  }
}

const stalls: StallResult[] = [];
if (values.stall) {
  for (const spec of specs) {
    for (const protocol of protocols) {
      if (spec.kind === 'nginx' && protocol === 'flv') continue;
      if (spec.kind !== 'openlive' && protocol === 'rtmps') continue;
      const players = Number(values['stall-players']);
      let s: StallResult;
      try {
        s = await runStall(spec, protocol, players, Number(values['stall-s']), opts);
      } catch (err) {
        const error = (err as Error).message;
        s = {
          server: spec.label,
          protocol,
          players,
          rssBaselineMB: 0,
          samples: [],
          growthMB: 0,
          lateGrowthMB: 0,
          stream20sMB: 0,
          error,
        };
      }
      stalls.push(s);
      console.log(`${spec.label} ${protocol} stalled x${players}: ${s.error ?? `RSS +${s.growthMB.toFixed(1)} MB`}`);
    }
  }
}

const md = [
  rows.length > 0 ? rowsTable(rows) : '',
  rows.some((r) => r.kind === 'openlive') ? ratioTable(rows) : '',
  rows.some((r) => r.kind === 'srs') ? srsRatioTable(rows) : '',
  rows.some((r) => r.protocol === 'rtmps') ? tlsRatioTable(rows) : '',
  stalls.length > 0 ? stallTable(stalls) : '',
  targetLines(rows, stalls).join('\n'),
].filter((s) => s !== '');
console.log(`\n${md.join('\n\n')}\n`);
for (const r of rows)
  if (Object.keys(r.errors).length > 0) console.log(`${r.server} ${r.protocol} N=${r.n} player errors:`, r.errors);

mkdirSync(`${benchDir}/results`, { recursive: true });
const file = `${benchDir}/results/fanout-${started.toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(
  file,
  JSON.stringify({ started: started.toISOString(), machine: machine(), options: values, media, rows, stalls }, null, 2),
);
console.log(`results: ${file}`);
if (profDir !== undefined)
  console.log(`openlive CPU profiles (one per row): ${profDir}; summarise with node bench/cpu-profile-top.ts FILE`);

function failedRow(spec: ServerSpec, protocol: BenchProtocol, n: number, error: string): RowResult {
  const nan = Number.NaN;
  return {
    server: spec.label,
    kind: spec.kind,
    mergeWindowMs: spec.mergeWindowMs,
    protocol,
    n,
    ok: 0,
    errors: {},
    cpuPct: nan,
    idleCpuPct: nan,
    rssBeforeMB: nan,
    rssDuringMB: nan,
    kbPerPlayer: nan,
    kbpsMin: nan,
    kbpsMedian: nan,
    starved: 0,
    firstByteP50: nan,
    firstByteP95: nan,
    firstKeyP50: nan,
    firstKeyP95: nan,
    noKey: n,
    loadgenCpuPct: nan,
    machineBusyPct: nan,
    error,
  };
}

function summary(r: RowResult): string {
  if (r.error !== undefined) return `FAILED: ${r.error}`;
  return (
    `CPU ${r.cpuPct.toFixed(1)} %, RSS ${r.rssBeforeMB.toFixed(0)}→${r.rssDuringMB.toFixed(0)} MB ` +
    `(${r.kbPerPlayer.toFixed(0)} KB/player), ${r.ok}/${r.n} ok, kbit/s min ${r.kbpsMin.toFixed(0)} ` +
    `median ${r.kbpsMedian.toFixed(0)}, first key p50 ${r.firstKeyP50.toFixed(0)} ms, ` +
    `latency p50 ${(r.latencyP50 ?? Number.NaN).toFixed(0)} / p95 ${(r.latencyP95 ?? Number.NaN).toFixed(0)} ms ` +
    `(probe lag p95 ${(r.probeLagP95 ?? Number.NaN).toFixed(1)} ms), ` +
    `load-gen ${r.loadgenCpuPct.toFixed(0)} %, machine ${r.machineBusyPct.toFixed(0)} %` +
    (r.writesPerPlayerS === undefined || Number.isNaN(r.writesPerPlayerS)
      ? ''
      : `, ${r.writesPerPlayerS.toFixed(1)} writes/player/s`)
  );
}

function machine(): Record<string, string | number> {
  // nginx -v prints on stderr, ffmpeg -version on stdout.
  const version = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? 'unknown';
  };
  const nmsPkg = `${benchDir}/node_modules/node-media-server/package.json`;
  let nms = 'not installed';
  try {
    nms = (JSON.parse(readFileSync(nmsPkg, 'utf8')) as { version: string }).version;
  } catch {
    // not installed
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGB: Math.round(os.totalmem() / 1024 ** 3),
    kernel: os.release(),
    node: process.version,
    nginx: version('nginx', ['-v']),
    nodeMediaServer: nms,
    srs: kinds.includes('srs') ? version(srsBinary(), ['-v']) : 'not run',
    ffmpeg: version('ffmpeg', ['-version']),
  };
}
