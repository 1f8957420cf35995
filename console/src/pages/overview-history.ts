/**
 * The Overview's history, read from the server's statistics (docs/statistics.md): bandwidth out and in
 * from DescribeBillBandwidthAndFluxList / DescribePushBandwidthAndFluxList (the peak 5-minute bandwidth of
 * each 5 minutes, or of each hour over a week), viewers from DescribeStreamPlayInfoList (per minute, at
 * most a day per call), taken at their peak per point of the chart.
 */
import type { ApiClient, ApiResponse } from '../lib/api.ts';
import { isoUtc, parseApiTime } from '../lib/format.ts';
import type { Point } from '../ui/chart.ts';

/** The windows the page offers. */
export type Range = 'hour' | 'day' | 'week';

const minute = 60_000;
const day = 86_400_000;

/** Each window's span, the step of its chart's points, and the bill granularity (minutes) it asks for. */
export const ranges: Readonly<Record<Range, { label: string; spanMs: number; stepMs: number; granularity: 5 | 60 }>> = {
  hour: { label: 'Hour', spanMs: 3_600_000, stepMs: minute, granularity: 5 },
  day: { label: 'Day', spanMs: day, stepMs: 5 * minute, granularity: 5 },
  week: { label: 'Week', spanMs: 7 * day, stepMs: 3_600_000, granularity: 60 },
};

/** One window of history, ready to chart. */
export interface History {
  readonly from: number;
  readonly to: number;
  readonly bandwidthOut: Point[];
  readonly bandwidthIn: Point[];
  readonly viewers: Point[];
  /** Bytes delivered to players and received from publishers in the window. */
  readonly fluxOut: number;
  readonly fluxIn: number;
}

const mb = 1048576;

/** Bill-style points: Bandwidth (Mbit/s) at each window's start, as bit/s. */
function billPoints(res: ApiResponse): Point[] {
  const list = (res.DataInfoList ?? []) as { Time: string; Bandwidth: number }[];
  return list.flatMap((r) => {
    const t = parseApiTime(r.Time);
    return t === undefined ? [] : [{ t, v: Number(r.Bandwidth) * 1e6 }];
  });
}

/** Per-minute Online values bucketed into steps of `stepMs`, each at its peak. */
function viewerPoints(lists: readonly ApiResponse[], from: number, stepMs: number): Point[] {
  const peaks = new Map<number, number>();
  for (const res of lists) {
    for (const r of (res.DataInfoList ?? []) as { Time: string; Online: number }[]) {
      const t = parseApiTime(r.Time);
      if (t === undefined || t < from) continue;
      const bucket = from + Math.floor((t - from) / stepMs) * stepMs;
      peaks.set(bucket, Math.max(peaks.get(bucket) ?? 0, Number(r.Online) || 0));
    }
  }
  return [...peaks].sort((a, b) => a[0] - b[0]).map(([t, v]) => ({ t, v }));
}

/** Loads `range` ending now, for every stream or those of one push domain. */
export async function loadHistory(
  api: ApiClient,
  range: Range,
  domain: string | undefined,
  now = Date.now(),
): Promise<History> {
  const r = ranges[range];
  // Whole steps: the window ends at the start of the step in progress, so its last point is current.
  const to = Math.floor(now / r.stepMs) * r.stepMs + r.stepMs - 1000;
  const from = to + 1000 - r.spanMs;
  const window = { StartTime: isoUtc(from), EndTime: isoUtc(to) };
  const bill = { ...window, Granularity: r.granularity };
  // DescribeStreamPlayInfoList answers at most a day: a week is seven calls.
  const dayCalls: Promise<ApiResponse>[] = [];
  for (let start = from; start <= to; start += day) {
    const end = Math.min(to, start + day - minute);
    dayCalls.push(
      api.call('DescribeStreamPlayInfoList', {
        StartTime: isoUtc(start),
        EndTime: isoUtc(end),
        ...(domain && { PlayDomain: domain }),
      }),
    );
  }
  const [out, inbound, ...plays] = await Promise.all([
    api.call('DescribeBillBandwidthAndFluxList', { ...bill, ...(domain && { PlayDomains: [domain] }) }),
    api.call('DescribePushBandwidthAndFluxList', { ...bill, ...(domain && { PushDomains: [domain] }) }),
    ...dayCalls,
  ]);
  return {
    from,
    to,
    bandwidthOut: billPoints(out),
    bandwidthIn: billPoints(inbound),
    viewers: viewerPoints(plays, from, r.stepMs),
    fluxOut: Number(out.SumFlux ?? 0) * mb,
    fluxIn: Number(inbound.SumFlux ?? 0) * mb,
  };
}
