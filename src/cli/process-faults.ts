/**
 * The process-level fault handlers the server start installs, and the exit statuses of a server process.
 * Every per-connection path ends in its own handler (docs/security.md), so reaching these is a bug: a
 * LiveError with a stable code is logged and counted and the process goes on; anything else (a plain
 * Error, a LiveError wrapping one as INTERNAL, any uncaught exception) leaves the process in a state
 * nobody can vouch for, so it is logged, counted and the process exits with `exitStatus.fault` for a
 * supervisor (systemd `Restart=on-failure`, Docker `restart: unless-stopped`) to restart it.
 */
import { LiveError } from '../errors.ts';
import type { Log } from '../log.ts';
import type { FaultSource, ServerCounters } from '../servers/counters.ts';

/** The exit statuses of `openlive start` (docs/security.md "Memory budget, process faults and shutdown"). */
export const exitStatus = {
  /** SIGTERM or SIGINT, and the drain finished within `limits.shutdownTimeoutMs`. */
  drained: 0,
  /** The server could not start (configuration, a port in use, the store), or the drain itself failed. */
  failed: 1,
  /** An unknown fault reached a process-level handler (EX_SOFTWARE of sysexits.h). */
  fault: 70,
  /** The drain did not finish within `limits.shutdownTimeoutMs` (as timeout(1) reports). */
  drainTimeout: 124,
  /** A second SIGINT/SIGTERM during the drain: 128 + the signal number (130, 143), as a shell reports. */
  forcedBase: 128,
} as const;

/** What the handlers need from the process; a fake in unit tests. */
export interface FaultProcess {
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  on(event: 'uncaughtException', listener: (err: Error) => void): unknown;
  off(event: 'unhandledRejection' | 'uncaughtException', listener: (...args: never[]) => void): unknown;
}

/** Where the handlers report and how they exit. */
export interface FaultHandlerDeps {
  readonly log: Log;
  readonly counters: ServerCounters;
  /** Exits the process (after the log is flushed); `process.exit` in production. */
  readonly exit: (status: number) => void;
  readonly process?: FaultProcess;
}

/** The stable code of a fault, or UNKNOWN for anything that is not a LiveError. */
export function faultCode(reason: unknown): string {
  return reason instanceof LiveError ? reason.code : 'UNKNOWN';
}

/** True when a fault is known and the process may go on: a LiveError with a code other than INTERNAL. */
export function faultIsKnown(source: FaultSource, reason: unknown): boolean {
  return source === 'unhandledRejection' && reason instanceof LiveError && reason.code !== 'INTERNAL';
}

/** Installs the unhandledRejection and uncaughtException handlers; returns their removal. */
export function installFaultHandlers(deps: FaultHandlerDeps): () => void {
  const proc = deps.process ?? process;
  let exiting = false;
  const handle = (source: FaultSource, reason: unknown): void => {
    const code = faultCode(reason);
    deps.counters.countFault(source, code);
    const err = reason instanceof Error ? reason : new Error(String(reason));
    const kind = reason instanceof LiveError ? reason.kind : undefined;
    if (faultIsKnown(source, reason)) {
      deps.log.error({ code, kind, source, err }, 'a known error reached a process-level handler; the process goes on');
      return;
    }
    deps.log.fatal({ code, kind, source, err }, 'unknown fault: exiting so a supervisor restarts the process');
    if (exiting) return;
    exiting = true;
    deps.log.flush();
    deps.exit(exitStatus.fault);
  };
  const onRejection = (reason: unknown): void => handle('unhandledRejection', reason);
  const onException = (err: Error): void => handle('uncaughtException', err);
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);
  return () => {
    proc.off('unhandledRejection', onRejection);
    proc.off('uncaughtException', onException);
  };
}
