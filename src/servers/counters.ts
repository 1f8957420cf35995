/** Process-wide counters the servers bump and /metrics reads; plain fields so the hot path costs nothing. */
import type { ErrorCode } from '../errors.ts';

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

  /** Counts one connection closed for this error code. */
  countError(code: ErrorCode): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }
}
