/**
 * The statistics tables (docs/statistics.md): one row per node, stream and period with the traffic of that
 * period. The sampler (control/stats/stats-sampler.ts) writes 1-minute rows from counters, the roll-up
 * derives 5-minute, hourly and daily rows from them, retention deletes each period's old rows. Each node
 * writes its own rows (keyed by node id); queries sum the nodes. Times are Unix milliseconds.
 */

/** The periods rows are kept at: a minute, 5 minutes, an hour, a day (ms). */
export const statsPeriods = { minute: 60_000, fiveMinutes: 300_000, hour: 3_600_000, day: 86_400_000 } as const;

/** One period of a stream's traffic on one node. */
export interface StatsSample {
  /** The start of the period (a multiple of `period`, UTC). */
  readonly at: number;
  readonly period: number;
  /** The push domain of the stream ('' when unknown). */
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  /** Bytes received from the publisher during the period. */
  readonly bytesIn: number;
  /** Bytes sent to players (RTMP, HTTP-FLV, HLS segments and playlists) during the period. */
  readonly bytesOut: number;
  /** The part of bytesOut by protocol. */
  readonly rtmpBytesOut: number;
  readonly flvBytesOut: number;
  readonly hlsBytesOut: number;
  /** WHEP players: the FLV tags handed to them (they read the FLV encoding), not the RTP bytes on the wire. */
  readonly webrtcBytesOut: number;
  /** Players at the period's peak sample, by protocol (HLS: sessions seen within the session timeout). */
  readonly rtmpViewers: number;
  readonly flvViewers: number;
  readonly hlsViewers: number;
  readonly webrtcViewers: number;
  /** Play requests that started in the period (RTMP plays, HTTP-FLV requests, new HLS sessions, WHEP sessions). */
  readonly requests: number;
  /** The publisher's measured bitrate (bit/s) and frame rate, averaged over the period's samples. */
  readonly pushBitrate: number;
  readonly pushFps: number;
  readonly width: number;
  readonly height: number;
  /** Messages dropped for players that fell behind, during the period. */
  readonly droppedFrames: number;
}

/** A row as the store returns it: with the node that wrote it. */
export interface StoredStatsSample extends StatsSample {
  readonly nodeId: string;
}

/** Filters of querySamples: [since, before) on `at`, one period; absent names match every stream. */
export interface StatsQuery {
  readonly period: number;
  readonly since: number;
  readonly before: number;
  readonly domains?: readonly string[];
  readonly app?: string;
  readonly stream?: string;
}

/** The statistics tables; every method may throw LiveError STORE_FAILED. */
export interface StatsStore {
  /** Writes this node's rows (one write, one transaction); a row of the same node, period, time and stream is replaced. */
  addSamples(samples: readonly StatsSample[]): Promise<void>;
  /** Rows of every node, ordered by time. */
  querySamples(query: StatsQuery): Promise<StoredStatsSample[]>;
  /**
   * Derives this node's rows of `period` for the windows starting in [since, before) from its rows of period
   * `from` (default 1 minute): byte, request and drop counts summed, viewers at their peak, push rates
   * averaged. Idempotent.
   */
  rollUp(period: number, since: number, before: number, from?: number): Promise<number>;
  /** Deletes this node's rows of `period` older than `before`, at most `batch`; returns how many. */
  pruneSamples(period: number, before: number, batch?: number): Promise<number>;
}

/** The roll-up of minute rows into one coarser row (the same rules in every adapter). */
export function combineSamples(at: number, period: number, rows: readonly StatsSample[]): StatsSample {
  const first = rows[0]!;
  let bytesIn = 0,
    bytesOut = 0,
    rtmpOut = 0,
    flvOut = 0,
    hlsOut = 0,
    webrtcOut = 0,
    requests = 0,
    dropped = 0,
    rtmp = 0,
    flv = 0,
    hls = 0,
    webrtc = 0,
    bitrate = 0,
    fps = 0,
    width = 0,
    height = 0;
  for (const r of rows) {
    bytesIn += r.bytesIn;
    bytesOut += r.bytesOut;
    rtmpOut += r.rtmpBytesOut;
    flvOut += r.flvBytesOut;
    hlsOut += r.hlsBytesOut;
    webrtcOut += r.webrtcBytesOut;
    requests += r.requests;
    dropped += r.droppedFrames;
    rtmp = Math.max(rtmp, r.rtmpViewers);
    flv = Math.max(flv, r.flvViewers);
    hls = Math.max(hls, r.hlsViewers);
    webrtc = Math.max(webrtc, r.webrtcViewers);
    bitrate += r.pushBitrate;
    fps += r.pushFps;
    width = Math.max(width, r.width);
    height = Math.max(height, r.height);
  }
  return {
    at,
    period,
    domain: first.domain,
    app: first.app,
    stream: first.stream,
    bytesIn,
    bytesOut,
    rtmpBytesOut: rtmpOut,
    flvBytesOut: flvOut,
    hlsBytesOut: hlsOut,
    webrtcBytesOut: webrtcOut,
    rtmpViewers: rtmp,
    flvViewers: flv,
    hlsViewers: hls,
    webrtcViewers: webrtc,
    requests,
    pushBitrate: Math.round(bitrate / rows.length),
    pushFps: Math.round((fps / rows.length) * 100) / 100,
    width,
    height,
    droppedFrames: dropped,
  };
}

/** Column list shared by the SQL adapters, in insert order. */
export const statsColumns = [
  'node_id',
  'period',
  'at',
  'domain',
  'app',
  'stream',
  'bytes_in',
  'bytes_out',
  'rtmp_bytes_out',
  'flv_bytes_out',
  'hls_bytes_out',
  'rtmp_viewers',
  'flv_viewers',
  'hls_viewers',
  'requests',
  'push_bitrate',
  'push_fps',
  'width',
  'height',
  'dropped_frames',
  'webrtc_bytes_out',
  'webrtc_viewers',
] as const;

/** The values of a row in `statsColumns` order. */
export function statsValues(nodeId: string, s: StatsSample): (string | number)[] {
  return [
    nodeId,
    s.period,
    s.at,
    s.domain,
    s.app,
    s.stream,
    s.bytesIn,
    s.bytesOut,
    s.rtmpBytesOut,
    s.flvBytesOut,
    s.hlsBytesOut,
    s.rtmpViewers,
    s.flvViewers,
    s.hlsViewers,
    s.requests,
    s.pushBitrate,
    s.pushFps,
    s.width,
    s.height,
    s.droppedFrames,
    s.webrtcBytesOut,
    s.webrtcViewers,
  ];
}

/** A stored row from its columns. */
export function statsSampleFromRow(r: Record<string, unknown>): StoredStatsSample {
  const n = (k: string): number => Number(r[k] ?? 0);
  return {
    nodeId: String(r.node_id),
    period: n('period'),
    at: n('at'),
    domain: String(r.domain),
    app: String(r.app),
    stream: String(r.stream),
    bytesIn: n('bytes_in'),
    bytesOut: n('bytes_out'),
    rtmpBytesOut: n('rtmp_bytes_out'),
    flvBytesOut: n('flv_bytes_out'),
    hlsBytesOut: n('hls_bytes_out'),
    rtmpViewers: n('rtmp_viewers'),
    flvViewers: n('flv_viewers'),
    hlsViewers: n('hls_viewers'),
    webrtcBytesOut: n('webrtc_bytes_out'),
    webrtcViewers: n('webrtc_viewers'),
    requests: n('requests'),
    pushBitrate: n('push_bitrate'),
    pushFps: n('push_fps'),
    width: n('width'),
    height: n('height'),
    droppedFrames: n('dropped_frames'),
  };
}

/** Groups rows by stream and period start (for the roll-ups of adapters that do it in code). */
export function groupForRollUp(
  rows: readonly StatsSample[],
  period: number,
): Map<string, { at: number; rows: StatsSample[] }> {
  const groups = new Map<string, { at: number; rows: StatsSample[] }>();
  for (const r of rows) {
    const at = Math.floor(r.at / period) * period;
    const key = `${at} ${r.domain} ${r.app}/${r.stream}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { at, rows: [] }));
    g.rows.push(r);
  }
  return groups;
}
