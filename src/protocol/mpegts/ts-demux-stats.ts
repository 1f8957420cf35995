/**
 * What the TS demuxer counts: packets, resyncs, continuity errors, dropped PES packets and every error
 * by its stable code, so a server can put bad input on /metrics instead of closing the connection.
 */
import type { ErrorCode } from '../../errors.ts';

/** The demuxer's counters; all only grow. */
export interface TsDemuxStats {
  /** Bytes pushed in. */
  bytes: number;
  /** 188-byte packets read. */
  packets: number;
  /** Bytes skipped while looking for the sync byte. */
  skippedBytes: number;
  /** continuity_counter gaps on the PIDs we read (lost packets). */
  ccErrors: number;
  /** Packets with discontinuity_indicator set. */
  discontinuities: number;
  /** Times a track's clock jumped and was rebased so output times stay continuous. */
  timestampJumps: number;
  /** PES packets dropped: too large, damaged by a lost packet or with a bad header. */
  pesDropped: number;
  /** Video and audio frames emitted. */
  frames: number;
  /** Frames dropped because no decoder configuration was known yet (no SPS/PPS before the first slices). */
  framesBeforeConfig: number;
  /** Every error by its code (TS_* and CODEC_CONFIG_INVALID). */
  errors: Partial<Record<ErrorCode, number>>;
}

/** Fresh counters. */
export function newTsDemuxStats(): TsDemuxStats {
  return {
    bytes: 0,
    packets: 0,
    skippedBytes: 0,
    ccErrors: 0,
    discontinuities: 0,
    timestampJumps: 0,
    pesDropped: 0,
    frames: 0,
    framesBeforeConfig: 0,
    errors: {},
  };
}

/** Where the parts of the demuxer report errors: counted in the stats and passed to the owner's hook. */
export type TsErrorReport = (code: ErrorCode, message: string) => void;
