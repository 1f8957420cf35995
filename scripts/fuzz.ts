/**
 * `npm run fuzz`: runs every fuzz target (scripts/fuzz/targets) for its share of at least 10 million
 * inputs, each in a worker thread under a watchdog, saves each distinct failure minimized under
 * test/fixtures/fuzz/<target>/ with its stack, and prints inputs, inputs/s, crashes, hangs and heap.
 *
 *   node --expose-gc scripts/fuzz.ts [--target a,b] [--inputs N] [--seconds S] [--seed N]
 *        [--budget-ms 50] [--save-corpus K] [--no-save] [--report out.json] [--list]
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Failure, RunStats } from './fuzz/engine.ts';
import { loadTarget, targetNames } from './fuzz/targets/index.ts';

const { values: flags } = parseArgs({
  options: {
    target: { type: 'string', multiple: true },
    inputs: { type: 'string' },
    seconds: { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    'budget-ms': { type: 'string', default: '50' },
    'save-corpus': { type: 'string', default: '0' },
    'no-save': { type: 'boolean', default: false },
    report: { type: 'string' },
    list: { type: 'boolean', default: false },
  },
});

if (flags.list) {
  for (const name of targetNames) {
    const t = await loadTarget(name);
    console.log(`${t.name.padEnd(14)} ${t.kind.padEnd(6)} ${t.inputs} inputs`);
  }
  process.exit(0);
}

const names = (flags.target ?? []).flatMap((t) => t.split(',')).filter((t) => t !== '');
const chosen =
  names.length === 0
    ? targetNames
    : names.map((n) => (targetNames.includes(n) ? n : fail(`no target ${n}; targets: ${targetNames.join(', ')}`)));
const seed = Number(flags.seed);
const budgetMs = Number(flags['budget-ms']);
const fixtures = new URL('../test/fixtures/fuzz/', import.meta.url);
const commit = gitCommit();
/** A worker that has not moved for this long is stuck in one input (an endless loop): it is a hang. */
const stuckMs = 60_000;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+dirty-src` : head;
  } catch {
    return 'unknown';
  }
}

function runInWorker(name: string, inputs: number | undefined): Promise<RunStats> {
  const shared = new SharedArrayBuffer(8 + 64 * 1024);
  const beat = new Int32Array(shared, 0, 2);
  const limits = { inputs, seconds: Number(flags.seconds), seed, budgetMs };
  const worker = new Worker(new URL('./fuzz/worker.ts', import.meta.url), {
    workerData: { target: name, limits, shared },
    resourceLimits: { maxOldGenerationSizeMb: 2048 },
  });
  return new Promise((resolve) => {
    let last = -1;
    let lastChange = Date.now();
    let done = 0;
    const started = Date.now();
    const stuckStats = (why: string): RunStats => {
      const n = Math.max(0, beat[1]!);
      const input = Buffer.from(new Uint8Array(shared, 8, n));
      const f: Failure = {
        kind: why === 'hang' ? 'hang' : 'crash',
        signature: why,
        input,
        error: why,
        stack: '',
        ms: Date.now() - lastChange,
      };
      return {
        target: name,
        inputs: done,
        seconds: (Date.now() - started) / 1000,
        crashes: why === 'hang' ? 0 : 1,
        hangs: why === 'hang' ? 1 : 0,
        maxHeapAfterGc: 0,
        slowestMs: f.ms,
        corpus: 0,
        failures: [f],
      };
    };
    const timer = setInterval(() => {
      const now = Atomics.load(beat, 0);
      if (now !== last) {
        last = now;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > stuckMs) {
        clearInterval(timer);
        void worker.terminate();
        resolve(stuckStats('hang'));
      }
    }, 1000);
    worker.on('message', (m: { type: string; inputs?: number; stats?: RunStats }) => {
      if (m.type === 'tick') {
        done = m.inputs!;
        process.stderr.write(`\r${name}: ${done} inputs`);
      } else if (m.type === 'done') {
        clearInterval(timer);
        resolve(m.stats!);
      }
    });
    worker.on('error', (err: Error & { code?: string }) => {
      // Out of memory (ERR_WORKER_OUT_OF_MEMORY) or a throw outside any input: a crash of the target.
      clearInterval(timer);
      resolve(stuckStats(`worker ${err.code ?? err.name}: ${err.message}`));
    });
  });
}

function save(target: string, f: Failure): string {
  const id = `${f.kind}-${createHash('sha1').update(f.signature).digest('hex').slice(0, 10)}`;
  const dir = new URL(`${target}/`, fixtures);
  mkdirSync(dir, { recursive: true });
  const meta = new URL(`${id}.meta.json`, dir);
  if (existsSync(meta)) return `${id} (already saved)`;
  const bytes = Buffer.isBuffer(f.input) || f.input instanceof Uint8Array;
  writeFileSync(new URL(`${id}.${bytes ? 'bin' : 'json'}`, dir), bytes ? (f.input as Buffer) : jsonLines(f.input));
  const record = {
    target,
    kind: f.kind,
    signature: f.signature,
    error: f.error,
    stack: f.stack.split('\n'),
    ms: Math.round(f.ms),
    commit,
    seed,
    todo: `not fixed yet: ${f.error.slice(0, 120)}`,
  };
  writeFileSync(meta, `${JSON.stringify(record, null, 1)}\n`);
  return id;
}

/** JSON with one array element a line: a command sequence reads as a script. */
function jsonLines(value: unknown): string {
  if (!Array.isArray(value)) return `${JSON.stringify(value, null, 1)}\n`;
  return `[\n${value.map((v) => ` ${JSON.stringify(v)}`).join(',\n')}\n]\n`;
}

function saveCorpus(target: string, grown: Buffer[], keep: number): void {
  if (keep <= 0 || grown.length === 0) return;
  const dir = new URL(`${target}/corpus/`, fixtures);
  mkdirSync(dir, { recursive: true });
  // The smallest new-outcome inputs: cheap to replay, and each reached something the seeds did not.
  for (const b of [...grown]
    .filter((x) => x.length > 0 && x.length <= 2048)
    .sort((a, b) => a.length - b.length)
    .slice(0, keep)) {
    writeFileSync(new URL(`${createHash('sha1').update(b).digest('hex').slice(0, 12)}.bin`, dir), b);
  }
}

const rows: RunStats[] = [];
for (const name of chosen) {
  const t = { name };
  const stats = await runInWorker(name, flags.inputs === undefined ? undefined : Number(flags.inputs));
  process.stderr.write('\n');
  rows.push(stats);
  const ids = flags['no-save'] ? [] : stats.failures.map((f) => save(t.name, f));
  saveCorpus(t.name, (stats as RunStats & { grown?: Buffer[] }).grown ?? [], Number(flags['save-corpus']));
  for (const [i, f] of stats.failures.entries()) {
    console.log(
      `  ${f.kind} in ${t.name}: ${f.error}${ids[i] ? `\n    saved as test/fixtures/fuzz/${t.name}/${ids[i]}` : ''}\n    ${f.stack
        .split('\n')
        .filter((l) => /\/(src|test)\//.test(l))
        .slice(0, 3)
        .map((l) => l.trim())
        .join('\n    ')}`,
    );
  }
}

const total = rows.reduce((n, r) => n + r.inputs, 0);
const mb = (b: number) => (b / 2 ** 20).toFixed(1);
console.log(`\nfuzz on ${commit}, seed ${seed}, per-input budget ${budgetMs} ms, Node ${process.version}`);
console.log('| target | inputs | seconds | inputs/s | crashes | hangs | max heap after GC (MB) | slowest input (ms) |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.target} | ${r.inputs} | ${r.seconds.toFixed(1)} | ${Math.round(r.inputs / Math.max(r.seconds, 1e-3))} | ${r.crashes} | ${r.hangs} | ${mb(r.maxHeapAfterGc)} | ${r.slowestMs.toFixed(1)} |`,
  );
}
const crashes = rows.reduce((n, r) => n + r.crashes, 0);
const hangs = rows.reduce((n, r) => n + r.hangs, 0);
const seconds = rows.reduce((n, r) => n + r.seconds, 0);
console.log(
  `| total | ${total} | ${seconds.toFixed(1)} | ${Math.round(total / Math.max(seconds, 1e-3))} | ${crashes} | ${hangs} | | |`,
);
if (flags.report) {
  const strip = rows.map(({ failures, ...r }) => ({
    ...r,
    grown: undefined,
    failures: failures.map(({ input: _input, ...f }) => f),
  }));
  writeFileSync(
    flags.report,
    `${JSON.stringify({ commit, seed, budgetMs, node: process.version, total, rows: strip }, null, 1)}\n`,
  );
}
// Any crash or hang fails the run, including known ones still marked todo in the replay test.
process.exit(crashes + hangs > 0 ? 1 : 0);
