// SRS (ossrs/srs, C++) as a fan-out peer: where its binary is and the config it runs with in a row. The config
// is the one ../shared/tools/build-srs.sh writes as conf/bench-mwN.conf (same keys, same values), moved onto the
// row's free ports and temp folder so that rows never share a port, pid file or log.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';

/** What one SRS row needs in its config. */
export interface SrsConfOptions {
  rtmpPort: number;
  httpPort: number;
  /** SRS's merged-write window (`mw_latency`, ms); 0 is SRS's "no merge" mode, 350 its default. */
  mwLatencyMs: number;
  /**
   * SRS's `mw_msgs`: a player's queue is written only once it holds more than this many messages and spans
   * more than mw_latency of media (SrsLiveConsumer::wait); unset = SRS's default, 8 (0 with min_latency on).
   */
  mwMsgs?: number;
  /** The row's temp folder: pid file and the (empty) HTTP root. */
  dir: string;
}

/** SRS's default merged-write window when a row asks for none (SRS's own default, 350 ms). */
export const SRS_DEFAULT_MW_LATENCY_MS = 350;

/** The SRS config of one row: RTMP and HTTP-FLV (http_server + http_remux) on loopback, no HLS/DVR, gop cache on. */
export function srsConf(o: SrsConfOptions): string {
  if (!Number.isInteger(o.mwLatencyMs) || o.mwLatencyMs < 0)
    throw new Error(`mw_latency must be a whole number ≥ 0, not ${o.mwLatencyMs}`);
  // max_connections as build-srs.sh: room for 2000 players, the publisher and the probes (ulimit -n is 20000).
  return `listen              127.0.0.1:${o.rtmpPort};
max_connections     3000;
daemon              off;
pid                 ${o.dir}/srs.pid;
srs_log_tank        console;
srs_log_level_v2    warn;
http_server { enabled on; listen 127.0.0.1:${o.httpPort}; dir ${o.dir}; }
vhost __defaultVhost__ {
    hls { enabled off; }
    dvr { enabled off; }
    http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
    play { gop_cache on; mw_latency ${o.mwLatencyMs};${o.mwMsgs === undefined ? '' : ` mw_msgs ${o.mwMsgs};`} }
}
`;
}

/** The SRS binary: $OPENLIVE_SRS, else where build-srs.sh puts it (~/.cache/openlive-srs/trunk/objs/srs). */
export function srsBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.OPENLIVE_SRS ?? `${homedir()}/.cache/openlive-srs/trunk/objs/srs`;
}

/** SRS resolves some paths against its trunk folder: run it from there (the folder above objs/). */
export function srsWorkDir(binary: string): string {
  return dirname(dirname(binary));
}

/** Throws with how to build SRS when the binary is missing. */
export function ensureSrs(binary = srsBinary()): void {
  if (!existsSync(binary)) {
    throw new Error(
      `SRS not found at ${binary}: build it with ../shared/tools/build-srs.sh <ossrs/srs checkout or bare repo> ` +
        '(or set OPENLIVE_SRS to the binary)',
    );
  }
}
