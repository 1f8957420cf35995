/**
 * SIGTERM and SIGINT drain the server with a deadline; a second signal exits at once. systemd sends
 * SIGTERM and waits TimeoutStopSec (90 s) before SIGKILL, Docker 10 s, Kubernetes 30 s: the default
 * `limits.shutdownTimeoutMs` (10 s) fits inside all three, so the drain ends the records itself.
 */
import { constants } from 'node:os';
import type { Log } from '../log.ts';
import { exitStatus } from './process-faults.ts';

/** The process events the handler listens to; a fake in unit tests. */
export interface SignalProcess {
  on(event: 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown;
}

/** What a shutdown drains and how it exits. */
export interface ShutdownDeps {
  readonly log: Log;
  /** The graceful drain (Service.close). */
  readonly drain: () => Promise<void>;
  /** The drain's deadline; 0 waits for it however long it takes. */
  readonly timeoutMs: number;
  /** Exits the process; `process.exit` in production. */
  readonly exit: (status: number) => void;
  readonly process?: SignalProcess;
}

/** Installs the SIGTERM/SIGINT handlers: drain, exit 0; past the deadline exit 124; a second signal exits 128+n. */
export function installShutdown(deps: ShutdownDeps): void {
  const { log } = deps;
  let draining = false;
  const exit = (status: number): void => {
    log.flush();
    deps.exit(status);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (draining) {
      log.warn({ signal }, 'second signal during the drain: exiting at once');
      return exit(exitStatus.forcedBase + (constants.signals[signal] ?? 0));
    }
    draining = true;
    log.info({ signal, timeoutMs: deps.timeoutMs }, 'shutting down: draining publishers, players and callbacks');
    const deadline =
      deps.timeoutMs > 0
        ? setTimeout(() => {
            log.error(
              { timeoutMs: deps.timeoutMs },
              'the drain did not finish within limits.shutdownTimeoutMs: exiting anyway',
            );
            exit(exitStatus.drainTimeout);
          }, deps.timeoutMs)
        : undefined;
    deps.drain().then(
      () => {
        clearTimeout(deadline);
        log.info('drained: exiting');
        exit(exitStatus.drained);
      },
      (err: unknown) => {
        clearTimeout(deadline);
        log.error({ err }, 'the drain failed: exiting');
        exit(exitStatus.failed);
      },
    );
  };
  const proc = deps.process ?? process;
  proc.on('SIGTERM', onSignal);
  proc.on('SIGINT', onSignal);
}
