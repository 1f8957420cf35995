/**
 * Runs one target in a worker thread, so the parent can watch it: a heartbeat in shared memory,
 * and the current bytes input there too, which the parent saves if the worker never returns.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runTarget, type RunLimits } from './engine.ts';
import { committedCorpus } from './seeds.ts';
import { loadTarget } from './targets/index.ts';

/** What the parent hands over. */
export interface WorkerInput {
  target: string;
  /** Inputs undefined: the target's own default share. */
  limits: Omit<RunLimits, 'inputs'> & { inputs: number | undefined };
  /** Int32 heartbeat [inputs, length of the current input] then the input's bytes. */
  shared: SharedArrayBuffer;
}

const input = workerData as WorkerInput;
const beat = new Int32Array(input.shared, 0, 2);
const bytes = new Uint8Array(input.shared, 8);
const target = await loadTarget(input.target);
const stats = await runTarget(
  target,
  { ...input.limits, inputs: input.limits.inputs ?? target.inputs },
  {
    current(b) {
      const n = Math.min(b.length, bytes.length);
      bytes.set(b.subarray(0, n));
      beat[1] = n;
      Atomics.add(beat, 0, 1);
    },
    tick(n) {
      beat[0] = n;
      parentPort!.postMessage({ type: 'tick', inputs: n });
    },
  },
  committedCorpus(input.target),
);
parentPort!.postMessage({ type: 'done', stats });
