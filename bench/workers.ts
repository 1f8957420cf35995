// Worker processes: players served by openlive with 1 and with 2 workers (`--workers`), with the CPU per
// player (the primary's and every worker's CPU summed), from the fan-out benchmark's load generator
// (bench/lib: one ffmpeg publisher of the 720p ~2.5 Mbit/s stream, players in separate processes).
// This machine's cores are shared by the server and the load generators: the machine's busy share is printed
// with every row, and the players a worker count could serve are projected from the CPU per player measured
// below saturation (one worker can use at most one core, N workers N). See docs/performance.md.
//   node bench/workers.ts [--workers 1,2] [--n 200,400] [--protocol flv|rtmp] [--window-s 10] [--warmup-s 3]
//                         [--per-process 250] [--join-rate 250] [--repeat 1]
// With --repeat R every row is measured R times, interleaved (1, 2, 1, 2, ...) so that the machine's other load
// falls on both alike, and the summary compares medians.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { runRow, type RowOptions } from './lib/run-row.ts';
import type { RowResult } from './lib/report.ts';
import { benchDir, ensureMedia, ensureTools } from './lib/setup.ts';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2' },
    n: { type: 'string', default: '200,400' },
    protocol: { type: 'string', default: 'flv' },
    'window-s': { type: 'string', default: '10' },
    'warmup-s': { type: 'string', default: '3' },
    'per-process': { type: 'string', default: '250' },
    'join-rate': { type: 'string', default: '250' },
    repeat: { type: 'string', default: '1' },
  },
});

const list = (s: string): number[] =>
  s
    .split(',')
    .map((x) => Number(x.trim()))
    .filter((x) => x > 0);
const workerCounts = list(values.workers);
const ns = list(values.n);
const protocol = values.protocol === 'rtmp' ? 'rtmp' : 'flv';
ensureTools(['openlive']);
const media = ensureMedia();
const opts: RowOptions = {
  media,
  warmupS: Number(values['warmup-s']),
  windowS: Number(values['window-s']),
  perProcess: Number(values['per-process']),
  joinRate: Number(values['join-rate']),
  rtmpPlayer: 'walker',
};
const started = new Date();
console.log(
  `workers benchmark, ${started.toISOString()}; ${os.cpus().length} cores; source ${media.kbps} kbit/s; ${protocol} players`,
);

interface Row extends RowResult {
  workers: number;
  /** % of one core per player: all of openlive's CPU (primary + workers) / players. */
  cpuPerPlayerPct: number;
  /** % of one core each player adds: (CPU with the players − CPU with the publisher only) / players. */
  marginalPct: number;
  /** Players the worker count could serve on as many cores as workers: (cores − fixed CPU) / marginal CPU. */
  capacity: number;
}

const rows: Row[] = [];
for (let rep = 0; rep < Math.max(1, Number(values.repeat)); rep++)
  for (const n of ns) {
    for (const workers of workerCounts) {
      const spec = {
        kind: 'openlive' as const,
        label: `openlive --workers ${workers}`,
        args: ['--workers', String(workers)],
      };
      const t = Date.now();
      try {
        const r = await runRow(spec, protocol, n, opts);
        const marginalPct = (r.cpuPct - r.idleCpuPct) / n;
        const row = {
          ...r,
          workers,
          cpuPerPlayerPct: r.cpuPct / n,
          marginalPct,
          capacity: (workers * 100 - r.idleCpuPct) / marginalPct,
        };
        rows.push(row);
        console.log(
          `${workers} worker(s), N=${n}: ${row.ok}/${n} ok (${row.starved} below 90 % of the bitrate, median ${row.kbpsMedian.toFixed(0)} kbit/s), ` +
            `openlive CPU ${row.cpuPct.toFixed(1)} % of a core (${row.idleCpuPct.toFixed(1)} % with the publisher only) = ` +
            `${(row.cpuPerPlayerPct * 1000).toFixed(1)} m%/player, ${(row.marginalPct * 1000).toFixed(1)} m% each player adds, ` +
            `load generators ${row.loadgenCpuPct.toFixed(0)} %, machine ${row.machineBusyPct.toFixed(0)} % busy (${((Date.now() - t) / 1000).toFixed(0)} s)`,
        );
      } catch (err) {
        console.error(`${workers} worker(s), N=${n}: FAILED ${(err as Error).message}`);
      }
    }
  }

const lines = [
  '| workers | players | ok | starved | openlive CPU (% of a core) | publisher only (%) | CPU per player (m%) | added per player (m%) | players on as many cores as workers | load generators (%) | machine busy (%) |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.workers} | ${r.n} | ${r.ok} | ${r.starved} | ${r.cpuPct.toFixed(1)} | ${r.idleCpuPct.toFixed(1)} | ${(r.cpuPerPlayerPct * 1000).toFixed(1)} | ` +
      `${(r.marginalPct * 1000).toFixed(1)} | ${r.capacity.toFixed(0)} | ${r.loadgenCpuPct.toFixed(0)} | ${r.machineBusyPct.toFixed(0)} |`,
  ),
];
// The goal: 2 workers serve at least 1.8x the players of one at the same CPU per player. One worker is
// bounded by one core, two by two: each projection is (its cores - its fixed CPU) / the CPU each player adds,
// both measured at the same N below saturation (the load generators share the cores).
const summary: string[] = [];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? Number.NaN;
/** The median row of a worker count at N: CPU and the publisher-only CPU as medians over the repetitions. */
const medianRow = (workers: number, n: number): Row | undefined => {
  const of = rows.filter((r) => r.workers === workers && r.n === n);
  if (of.length === 0) return undefined;
  const cpuPct = median(of.map((r) => r.cpuPct));
  const idleCpuPct = median(of.map((r) => r.idleCpuPct));
  const marginalPct = (cpuPct - idleCpuPct) / n;
  return {
    ...of[0]!,
    cpuPct,
    idleCpuPct,
    cpuPerPlayerPct: cpuPct / n,
    marginalPct,
    capacity: (workers * 100 - idleCpuPct) / marginalPct,
  };
};
for (const n of ns) {
  const one = medianRow(1, n);
  for (const r of workerCounts.filter((w) => w > 1).map((w) => medianRow(w, n))) {
    if (!one || !r) continue;
    const ratio = r.capacity / one.capacity;
    summary.push(
      `N=${n}${Number(values.repeat) > 1 ? ` (medians of ${values.repeat})` : ''}: each player adds ${(r.marginalPct * 1000).toFixed(1)} m% of a core with ${r.workers} workers against ${(one.marginalPct * 1000).toFixed(1)} m% with 1; ` +
        `fixed CPU ${r.idleCpuPct.toFixed(1)} % against ${one.idleCpuPct.toFixed(1)} %: ${r.workers} workers on ${r.workers} cores serve ${ratio.toFixed(2)}x the players of one ` +
        `(goal >= ${(0.9 * r.workers).toFixed(1)}x: ${ratio >= 0.9 * r.workers ? 'met' : 'not met'})`,
    );
  }
}
console.log(`\n${lines.join('\n')}\n\n${summary.join('\n')}\n`);
mkdirSync(`${benchDir}/results`, { recursive: true });
const file = `${benchDir}/results/workers-${started.toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(
  file,
  JSON.stringify(
    { started: started.toISOString(), cores: os.cpus().length, cpu: os.cpus()[0]?.model, options: values, media, rows },
    null,
    2,
  ),
);
console.log(`results: ${file}`);
