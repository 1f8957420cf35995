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
  /** Open WS-FLV players (servers/http/ws-flv-route.ts). */
  wsFlvPlayers = 0;
  bytesInRtmp = 0;
  /** SRT listener (servers/srt): live connections, accepted ones, datagram bytes received. */
  srtConnections = 0;
  srtConnectionsTotal = 0;
  /** Open SRT players (`m=request`, servers/srt/srt-play.ts). */
  srtPlayers = 0;
  bytesInSrt = 0;
  bytesOutRtmpControl = 0;
  rejectedPublishes = 0;
  rejectedPlays = 0;
  /** Connections closed for an error, by stable code. */
  readonly errors = new Map<ErrorCode, number>();
  /** Store: lock waits, aggregated refusals and pruning, read at scrape time (cli/service.ts wires it). */
  records: () => RecordCounters = () => ({
    queuedWrites: 0,
    busyRetries: 0,
    refusedWrites: 0,
    rejectedRows: 0,
    rejectedAggregated: 0,
    prunedRows: 0,
  });

  /** Counts one connection closed for this error code. */
  countError(code: ErrorCode): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  // Process: memory budget and faults (docs/security.md "Memory budget, process faults and shutdown").
  /**
   * Bytes held in partial RTMP messages by every connection together, for the memory budget: the chunk
   * layer's glue adds what a connection's decoder holds more after a read and subtracts it all on close.
   */
  rtmpPartialMessageBytes = 0;
  /** Process-level faults by source (unhandledRejection, uncaughtException) and stable code. */
  readonly faults = new Map<string, { source: FaultSource; code: string; count: number }>();

  /** Counts one fault that reached a process-level handler; `code` is the LiveError code or UNKNOWN. */
  countFault(source: FaultSource, code: string): void {
    const key = `${source} ${code}`;
    const entry = this.faults.get(key);
    if (entry) entry.count++;
    else this.faults.set(key, { source, code, count: 1 });
  }
}

/** Which process-level handler saw a fault. */
export type FaultSource = 'unhandledRejection' | 'uncaughtException';
