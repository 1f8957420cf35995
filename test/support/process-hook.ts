/**
 * A test-only preload for a real server process (`nodeArgs: ['--import', processHook('live')]`): on
 * SIGUSR2 it makes the fault its URL names reach a process-level handler, or stalls the drain. Nothing
 * in src/ knows of it, so no network input can trigger it.
 */
import { LiveError } from '../../src/errors.ts';
import { Service } from '../../src/cli/service.ts';

/**
 * What the hook does on SIGUSR2: reject a LiveError, reject a plain Error, throw an exception, or run a
 * full GC (`gc`, with `--expose-gc`, so a soak measures live memory); `stall`: the drain never ends.
 */
export type HookMode = 'live' | 'plain' | 'exception' | 'gc' | 'stall';

/** The `--import` argument for a mode. */
export function processHook(mode: HookMode): string {
  return `${new URL(import.meta.url).href}?mode=${mode}`;
}

const mode = new URL(import.meta.url).searchParams.get('mode') as HookMode | null;
if (mode === 'stall') {
  // A drain stuck on something that never answers (a store or receiver that hangs).
  Service.prototype.close = () => new Promise<void>(() => {});
} else if (mode) {
  process.on('SIGUSR2', () => {
    if (mode === 'gc') (globalThis as { gc?: () => void }).gc?.();
    else if (mode === 'live') void Promise.reject(new LiveError('RTMP_STATE', 'a late rejection from a test hook'));
    else if (mode === 'plain') void Promise.reject(new Error('an unknown failure from a test hook'));
    else
      setImmediate(() => {
        throw new TypeError('an uncaught exception from a test hook');
      });
  });
}
