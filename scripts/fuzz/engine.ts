/**
 * Runs one target for N inputs: each input timed against a per-input budget (over it, three times
 * in a row, is a hang), heap sampled after GC, failures deduplicated by signature, minimized and
 * saved with their stack. Only the project's coded errors may escape a target.
 */
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import fc from 'fast-check';
import { minimizeBytes } from './minimize.ts';
import { mutate } from './mutate.ts';
import { Rng } from './rng.ts';
import { failureSignature, type BytesTarget, type CheckTarget, type FuzzTarget, type Outcome } from './target.ts';

/** How a run is bounded. */
export interface RunLimits {
  inputs: number;
  /** Stop early after this many seconds (0: no time limit). */
  seconds: number;
  seed: number;
  /** Per-input budget in milliseconds. */
  budgetMs: number;
}

/** One failure, as saved under test/fixtures/fuzz/<target>/. */
export interface Failure {
  kind: 'crash' | 'hang';
  signature: string;
  /** Minimized input: bytes, or the JSON of a fast-check value. */
  input: Buffer | unknown;
  error: string;
  stack: string;
  ms: number;
}

/** What a target's run found. */
export interface RunStats {
  target: string;
  inputs: number;
  seconds: number;
  crashes: number;
  hangs: number;
  /** Largest heapUsed after a full GC, sampled every few thousand inputs, in bytes. */
  maxHeapAfterGc: number;
  slowestMs: number;
  corpus: number;
  failures: Failure[];
}

/** Progress callbacks: the worker reports them to the parent (watchdog and display). */
export interface Progress {
  /** Called before each bytes input with the input (the watchdog saves it if the run never returns). */
  current?(input: Buffer): void;
  tick?(inputs: number): void;
}

const gc = (globalThis as { gc?: () => void }).gc;

function heapAfterGc(): number {
  gc?.();
  return getHeapStatistics().used_heap_size;
}

/**
 * The heap after GC once pending macrotasks ran: fastify inject frees each request's objects in a
 * later tick, so a sample taken straight after a burst counts them as live (10 KB a request).
 */
async function settledHeap(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return heapAfterGc();
}

class HangError extends Error {
  override name = 'Hang';
  readonly ms: number;
  constructor(ms: number) {
    super(`input took ${ms.toFixed(1)} ms, over the per-input budget`);
    this.ms = ms;
  }
}

function isThenable(x: unknown): x is Promise<Outcome> {
  return typeof (x as { then?: unknown } | undefined)?.then === 'function';
}

/** Runs a target once on an input; returns its outcome and time, or throws its failure. */
async function timed<T>(run: (v: T) => Outcome | Promise<Outcome>, v: T): Promise<{ outcome: Outcome; ms: number }> {
  const t0 = performance.now();
  let outcome = run(v);
  if (isThenable(outcome)) outcome = await outcome;
  return { outcome, ms: performance.now() - t0 };
}

/** Runs `v` and, if it was over budget, twice more: a hang only if every run was (the machine is shared). */
async function runChecked<T>(
  run: (v: T) => Outcome | Promise<Outcome>,
  v: T,
  budgetMs: number,
): Promise<{ outcome: Outcome; ms: number }> {
  let r = await timed(run, v);
  if (r.ms <= budgetMs) return r;
  let fastest = r.ms;
  for (let i = 0; i < 2 && fastest > budgetMs; i++) fastest = Math.min(fastest, (r = await timed(run, v)).ms);
  if (fastest > budgetMs) throw new HangError(fastest);
  return { outcome: r.outcome, ms: fastest };
}

function describe(err: unknown): { error: string; stack: string } {
  if (!(err instanceof Error)) return { error: String(err), stack: '' };
  const code = (err as { code?: unknown }).code;
  const lines = (e: Error) =>
    (e.stack ?? '')
      .split('\n')
      .filter((l) => !l.includes('/scripts/fuzz/engine.ts') && !l.includes('node_modules/fast-check'));
  // An oracle's failure wraps what the code under test threw: keep both stacks.
  const cause = err.cause instanceof Error ? ['caused by:', ...lines(err.cause).slice(0, 8)] : [];
  const stack = [...lines(err).slice(0, 8), ...cause].join('\n');
  return { error: `${err.name}${code === undefined ? '' : ` ${String(code)}`}: ${err.message}`.slice(0, 500), stack };
}

function newStats(target: string): RunStats {
  return {
    target,
    inputs: 0,
    seconds: 0,
    crashes: 0,
    hangs: 0,
    maxHeapAfterGc: 0,
    slowestMs: 0,
    corpus: 0,
    failures: [],
  };
}

/** Runs any target. */
export function runTarget(
  target: FuzzTarget,
  limits: RunLimits,
  progress: Progress = {},
  extraSeeds: Buffer[] = [],
): Promise<RunStats> {
  return target.kind === 'bytes' ? runBytes(target, limits, progress, extraSeeds) : runCheck(target, limits, progress);
}

async function runBytes(
  target: BytesTarget,
  limits: RunLimits,
  progress: Progress,
  extraSeeds: Buffer[],
): Promise<RunStats> {
  const stats = newStats(target.name);
  const rng = new Rng(limits.seed);
  const corpus = [...target.seeds(), ...extraSeeds];
  if (corpus.length === 0) corpus.push(Buffer.alloc(0));
  const seen = new Set<string>();
  const known = new Set<string>();
  const start = performance.now();
  const deadline = limits.seconds > 0 ? start + limits.seconds * 1000 : Infinity;
  stats.maxHeapAfterGc = heapAfterGc();
  for (let i = 0; i < limits.inputs; i++) {
    // Mostly mutants; now and then a seed as is, which keeps the valid paths warm.
    const input = i < corpus.length ? corpus[i]! : mutate(corpus, rng, target.maxLen, target.extra);
    progress.current?.(input);
    try {
      const { outcome, ms } = await runChecked((b: Buffer) => target.run(b), input, limits.budgetMs);
      if (ms > stats.slowestMs) stats.slowestMs = ms;
      if (typeof outcome === 'string' && !seen.has(outcome) && seen.size < 4096) {
        seen.add(outcome);
        if (corpus.length < 2048) corpus.push(input);
      }
    } catch (err) {
      await recordBytes(target, stats, known, input, err, limits.budgetMs);
    }
    stats.inputs++;
    if ((i & 1023) === 1023) {
      progress.tick?.(stats.inputs);
      if (performance.now() > deadline) break;
      if ((i & 0xffff) === 0xffff) stats.maxHeapAfterGc = Math.max(stats.maxHeapAfterGc, heapAfterGc());
    }
  }
  stats.maxHeapAfterGc = Math.max(stats.maxHeapAfterGc, heapAfterGc());
  stats.seconds = (performance.now() - start) / 1000;
  stats.corpus = corpus.length;
  (stats as RunStats & { grown: Buffer[] }).grown = corpus.slice(target.seeds().length + extraSeeds.length);
  return stats;
}

async function recordBytes(
  target: BytesTarget,
  stats: RunStats,
  known: Set<string>,
  input: Buffer,
  err: unknown,
  budgetMs: number,
): Promise<void> {
  const signature = err instanceof HangError ? 'hang' : failureSignature(err);
  if (err instanceof HangError) stats.hangs++;
  else stats.crashes++;
  if (known.has(signature)) return;
  known.add(signature);
  const fails = async (candidate: Buffer): Promise<boolean> => {
    try {
      await runChecked((b: Buffer) => target.run(b), candidate, budgetMs);
      return false;
    } catch (e) {
      return (e instanceof HangError ? 'hang' : failureSignature(e)) === signature;
    }
  };
  const minimized = await minimizeBytes(input, fails, err instanceof HangError ? 60 : 4000);
  let final = err;
  try {
    await runChecked((b: Buffer) => target.run(b), minimized, budgetMs);
  } catch (e) {
    final = e;
  }
  stats.failures.push({
    kind: err instanceof HangError ? 'hang' : 'crash',
    signature,
    input: minimized,
    ms: err instanceof HangError ? err.ms : 0,
    ...describe(final),
  });
}

async function runCheck(target: CheckTarget, limits: RunLimits, progress: Progress): Promise<RunStats> {
  const stats = newStats(target.name);
  await target.setup?.();
  const known = new Set<string>();
  const start = performance.now();
  const deadline = limits.seconds > 0 ? start + limits.seconds * 1000 : Infinity;
  stats.maxHeapAfterGc = heapAfterGc();
  let batch = 0;
  let failing: { signature: string; err: unknown } | undefined;
  // Inside the property a failure already recorded passes, so one known bug does not end the search.
  const passKnown = (err: unknown): true => {
    const signature = err instanceof HangError ? 'hang' : failureSignature(err);
    if (!known.has(signature)) {
      failing = { signature, err };
      throw err;
    }
    if (err instanceof HangError) stats.hangs++;
    else stats.crashes++;
    return true;
  };
  const predicate = async (v: unknown): Promise<boolean> => {
    try {
      const { ms } = await runChecked((x: unknown) => target.run(x), v, limits.budgetMs);
      if (ms > stats.slowestMs) stats.slowestMs = ms;
      return true;
    } catch (err) {
      return passKnown(err);
    }
  };
  // A target not marked async must not return a promise: its rejection would escape fast-check's sync property.
  const runSync = (v: unknown): void => {
    const out = target.run(v);
    if (out instanceof Promise) {
      out.catch(() => {});
      throw new Error(`fuzz target ${target.name} returned a promise but is not marked async`);
    }
  };
  const syncPredicate = (v: unknown): boolean => {
    try {
      const t0 = performance.now();
      runSync(v);
      let ms = performance.now() - t0;
      if (ms > limits.budgetMs) {
        for (let i = 0; i < 2 && ms > limits.budgetMs; i++) {
          const t1 = performance.now();
          runSync(v);
          ms = Math.min(ms, performance.now() - t1);
        }
        if (ms > limits.budgetMs) throw new HangError(ms);
      }
      if (ms > stats.slowestMs) stats.slowestMs = ms;
      return true;
    } catch (err) {
      return passKnown(err);
    }
  };
  const batchSize = target.async ? 2000 : 20_000;
  while (stats.inputs < limits.inputs && performance.now() < deadline) {
    const numRuns = Math.min(batchSize, limits.inputs - stats.inputs);
    const seed = (limits.seed + batch++ * 7919) | 0;
    failing = undefined;
    const details = target.async
      ? await fc.check(fc.asyncProperty(target.arbitrary, predicate), { numRuns, seed, maxSkipsPerRun: 1000 })
      : fc.check(fc.property(target.arbitrary, syncPredicate), { numRuns, seed, maxSkipsPerRun: 1000 });
    if (details.failed && failing !== undefined) {
      const f: { signature: string; err: unknown } = failing;
      stats.inputs += details.numRuns;
      known.add(f.signature);
      const hang = f.err instanceof HangError;
      if (hang) stats.hangs++;
      else stats.crashes++;
      const counterexample = details.counterexample?.[0];
      const shrunkErr = details.errorInstance ?? f.err;
      stats.failures.push({
        kind: hang ? 'hang' : 'crash',
        signature: f.signature,
        input: target.toJson(counterexample),
        ms: hang ? (f.err as HangError).ms : 0,
        ...describe(shrunkErr),
      });
    } else if (details.failed) {
      // fast-check itself failed (e.g. too many skips): report it rather than loop.
      throw new Error(`fast-check failed on ${target.name}: ${String(details.errorInstance)}`);
    } else {
      stats.inputs += numRuns;
    }
    progress.tick?.(stats.inputs);
    // Async targets after every batch, once their requests' deferred cleanup ran (settledHeap).
    if (target.async) stats.maxHeapAfterGc = Math.max(stats.maxHeapAfterGc, await settledHeap());
    else if (batch % 5 === 0) stats.maxHeapAfterGc = Math.max(stats.maxHeapAfterGc, heapAfterGc());
  }
  stats.maxHeapAfterGc = Math.max(stats.maxHeapAfterGc, await settledHeap());
  await target.close?.();
  stats.seconds = (performance.now() - start) / 1000;
  return stats;
}
