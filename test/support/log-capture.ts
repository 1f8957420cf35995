/** A pino logger that keeps its JSON lines in memory, so tests can assert what the server logged and why. */
import { pino } from 'pino';
import type { Log } from '../../src/log.ts';

/** One parsed log line: pino's fields (`level`, `msg`) plus the bindings and the object logged. */
export type LogEntry = Record<string, unknown> & { level: number; msg?: string };

/** pino's numeric levels, for matching entries. */
export const logLevel = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** Collects everything logged at `level` and above. */
export class LogCapture {
  readonly log: Log;
  readonly entries: LogEntry[] = [];

  constructor(level = 'debug') {
    this.log = pino(
      { level, base: null },
      { write: (line: string) => this.entries.push(JSON.parse(line) as LogEntry) },
    );
  }

  /** The entries that match, oldest first. */
  filter(match: (e: LogEntry) => boolean): LogEntry[] {
    return this.entries.filter(match);
  }

  /** Resolves with the first entry that matches (already logged or logged later); rejects after `timeoutMs`. */
  async waitFor(what: string, match: (e: LogEntry) => boolean, timeoutMs = 5000): Promise<LogEntry> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.entries.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for a log line: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
