/** Process-wide counters the servers bump and /metrics reads; plain fields so the hot path costs nothing. */
import type { ErrorCode } from '../errors.ts';

/** What the store side tells /metrics (docs/security.md "Records and the store"). */
export interface RecordCounters {
  readonly queuedWrites: number;
  readonly busyRetries: number;
  readonly refusedWrites: number;
  readonly rejectedRows: number;
  readonly rejectedAggregated: number;
  readonly prunedRows: number;
}

/** Counters of connections and errors, per protocol. */
export class ServerCounters {
  rtmpConnections = 0;
  rtmpConnectionsTotal = 0;
  httpFlvPlayers = 0;
  bytesInRtmp = 0;
  bytesOutRtmpControl = 0;
  rejectedPublishes = 0;
  rejectedPlays = 0;
  /** Connections closed for an error, by stable code. */
  readonly errors = new Map<ErrorCode, number>();
  /** Store: lock waits, aggregated refusals and pruning, read at scrape time (cli/service.ts wires it). */
  records: () => RecordCounters = () => ({ queuedWrites: 0, busyRetries: 0, refusedWrites: 0, rejectedRows: 0, rejectedAggregated: 0, prunedRows: 0 });

  /** Counts one connection closed for this error code. */
  countError(code: ErrorCode): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }
}
