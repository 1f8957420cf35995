/**
 * Reading the statistics history for the actions and the console (docs/statistics.md): the store's rows of
 * every node summed per period and stream, plus the minute this process is sampling now (not stored yet),
 * so a query that reaches the present is current.
 */
import { statsPeriods, type StatsQuery, type StatsSample, type StatsStore } from '../../store/stats-store.ts';

/** Where the history comes from. */
export interface StatsSource {
  readonly store: StatsStore;
  /** The minute in progress on this node (StatsSampler.current). */
  readonly current?: () => StatsSample[];
}

/** Rows of `query.period` summed over nodes, one per period start and stream, ordered by time. */
export async function historyRows(source: StatsSource, query: StatsQuery): Promise<StatsSample[]> {
  const stored = await source.store.querySamples(query);
  const sums = new Map<string, StatsSample>();
  const add = (r: StatsSample, at: number): void => {
    const key = `${at} ${r.domain} ${r.app}/${r.stream}`;
    const s = sums.get(key);
    sums.set(key, s ? sumNodes(s, r) : { ...r, at, period: query.period });
  };
  for (const r of stored) add(r, r.at);
  for (const r of source.current?.() ?? []) {
    const at = Math.floor(r.at / query.period) * query.period;
    if (at < query.since || at >= query.before) continue;
    if (query.domains?.length && !query.domains.includes(r.domain)) continue;
    if ((query.app !== undefined && r.app !== query.app) || (query.stream !== undefined && r.stream !== query.stream))
      continue;
    // A coarse row already counts the finished minutes of its window; the minute in progress adds to it.
    add(
      query.period === statsPeriods.minute
        ? r
        : { ...r, rtmpViewers: 0, flvViewers: 0, hlsViewers: 0, webrtcViewers: 0 },
      at,
    );
  }
  return [...sums.values()].sort((a, b) => a.at - b.at);
}

/** Two rows of one period and stream from different nodes (or a stored minute and the one in progress). */
function sumNodes(a: StatsSample, b: StatsSample): StatsSample {
  return {
    ...a,
    domain: a.domain || b.domain,
    bytesIn: a.bytesIn + b.bytesIn,
    bytesOut: a.bytesOut + b.bytesOut,
    rtmpBytesOut: a.rtmpBytesOut + b.rtmpBytesOut,
    flvBytesOut: a.flvBytesOut + b.flvBytesOut,
    hlsBytesOut: a.hlsBytesOut + b.hlsBytesOut,
    webrtcBytesOut: a.webrtcBytesOut + b.webrtcBytesOut,
    rtmpViewers: a.rtmpViewers + b.rtmpViewers,
    flvViewers: a.flvViewers + b.flvViewers,
    hlsViewers: a.hlsViewers + b.hlsViewers,
    webrtcViewers: a.webrtcViewers + b.webrtcViewers,
    requests: a.requests + b.requests,
    droppedFrames: a.droppedFrames + b.droppedFrames,
    // One publisher per stream in the cluster: its node's rates are the stream's.
    pushBitrate: Math.max(a.pushBitrate, b.pushBitrate),
    pushFps: Math.max(a.pushFps, b.pushFps),
    width: Math.max(a.width, b.width),
    height: Math.max(a.height, b.height),
  };
}

/** Rows of one period start summed over streams (a domain's or the whole server's series). */
export function totalsByTime(rows: readonly StatsSample[]): Map<number, StatsSample> {
  const out = new Map<number, StatsSample>();
  for (const r of rows) {
    const s = out.get(r.at);
    out.set(
      r.at,
      s ? { ...sumNodes(s, r), pushBitrate: s.pushBitrate + r.pushBitrate } : { ...r, app: '', stream: '' },
    );
  }
  return out;
}

/** Viewers of a row, every protocol. */
export function viewersOf(r: StatsSample): number {
  return r.rtmpViewers + r.flvViewers + r.hlsViewers + r.webrtcViewers;
}
