/**
 * One memory-reducing garbage collection once the server is listening (issue 17: idle under 80 MB).
 * Startup grows V8's young generation to its 32 MB maximum and leaves it there until the memory
 * reducer runs; this shrinks it at once. Under load V8 grows it again as it sees fit, so the fan-out
 * cost is unchanged; the collection itself runs once, about 50 ms, before any client is served.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's gc() with options (the --expose-gc extension); `last-resort` is the memory-reducing flavour. */
type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** Takes V8's gc() for this call only: the flag is reset, so no other code sees a global gc. */
function gcFunction(): GcFunction {
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as GcFunction;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/** Collects with memory reduction; returns the RSS in bytes before and after, for the log. */
export function trimIdleMemory(): { before: number; after: number } {
  const before = process.memoryUsage.rss();
  gcFunction()({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return { before, after: process.memoryUsage.rss() };
}
