/** The process logger (pino, JSON lines); layers receive it as a dependency, never import a global. */
import { pino, type Logger } from 'pino';

/** The logger type every layer accepts. */
export type Log = Logger;

/** Creates the root logger at the given level. */
export function createLog(level: string): Log {
  return pino({ level, base: { pid: process.pid } });
}
