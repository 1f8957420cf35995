/**
 * The primary's "worker load" log line of a `server.workers` server (src/cli/workers.ts: one JSON line per
 * interval): what each worker serves, for tests that wait for a publish to land on a worker.
 */

/** One worker's share, as the line carries it. */
export interface WorkerLoad {
  readonly worker: number;
  readonly nodeId: string;
  readonly publishers: number;
  readonly players: number;
}

/** The workers of the latest "worker load" line in `output` (a server's log so far); [] before the first. */
export function workerLoad(output: string): WorkerLoad[] {
  const last = output
    .split('\n')
    .filter((l) => l.includes('"msg":"worker load"'))
    .at(-1);
  return last ? (JSON.parse(last) as { workers: WorkerLoad[] }).workers : [];
}
