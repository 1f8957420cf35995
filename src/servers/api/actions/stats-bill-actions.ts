/**
 * The bandwidth, push-quality and recording statistics actions (docs/api.md "Statistics"):
 * DescribeBillBandwidthAndFluxList, DescribePushBandwidthAndFluxList, DescribeStreamPushInfoList and
 * DescribeConcurrentRecordStreamNum, with the fields of the SDK's models.
 */
import { ApiError, type ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { statsPeriods, type StatsSample } from '../../../store/stats-store.ts';
import type { RecordFile } from '../../../store/record-store.ts';
import { historyRows, totalsByTime } from '../../stats/stats-history.ts';
import { beijingTime } from './tencent-time.ts';
import { optionalName, requiredName, resolution } from './stream-params.ts';
import { intParam, mbps, megabytes, sampleDomains, statsWindow, stringList, type StatsTime } from './stats-params.ts';
import { serverIpOf } from './stream-push-info.ts';
import { statsSource } from './stats-play-actions.ts';

const { minute, fiveMinutes, day } = statsPeriods;

/** The bandwidth and recording statistics actions. */
export function statsBillActions(deps: ApiDeps): ApiActions {
  const source = statsSource(deps);

  /** Bill-style series: per Granularity window the peak 5-minute bandwidth, its time, and the flux. */
  const billSeries = async (
    params: Readonly<Record<string, unknown>>,
    domainParam: string,
    bytes: (r: StatsSample) => number,
  ) => {
    const granularity = intParam(params, 'Granularity', 5, 1440, 5);
    if (![5, 60, 1440].includes(granularity))
      throw new ApiError('InvalidParameterValue', 'The parameter Granularity must be 5, 60 or 1440.');
    const { start, end } = statsWindow(params, granularity === 5 ? day : 31 * day);
    const window = granularity * minute;
    const since = Math.floor(start.ms / fiveMinutes) * fiveMinutes;
    const rows = await historyRows(source, {
      period: fiveMinutes,
      since,
      before: end.ms + 1,
      domains: await sampleDomains(deps, stringList(params, domainParam)),
    });
    const totals = totalsByTime(rows);
    const list: { Time: string; Bandwidth: number; Flux: number; PeakTime: string }[] = [];
    let peak = 0,
      peakAt = since,
      sum = 0;
    for (let w = Math.floor(start.ms / window) * window; w <= end.ms; w += window) {
      let flux = 0,
        best = 0,
        bestAt = w;
      for (let at = w; at < w + window; at += fiveMinutes) {
        const r = totals.get(at);
        if (!r) continue;
        const b = bytes(r);
        flux += b;
        const bw = mbps(b, fiveMinutes);
        if (bw > best) {
          best = bw;
          bestAt = at;
        }
      }
      sum += flux;
      if (best > peak) {
        peak = best;
        peakAt = bestAt;
      }
      list.push({ Time: start.format(w), Bandwidth: best, Flux: megabytes(flux), PeakTime: start.format(bestAt) });
    }
    return {
      PeakBandwidthTime: start.format(peakAt),
      PeakBandwidth: peak,
      SumFlux: megabytes(sum),
      DataInfoList: list,
    };
  };

  return {
    DescribeBillBandwidthAndFluxList: (params) => billSeries(params, 'PlayDomains', (r) => r.bytesOut),
    DescribePushBandwidthAndFluxList: (params) => billSeries(params, 'PushDomains', (r) => r.bytesIn),

    // Per minute the stream was published: the push quality the sampler measured (video + audio rate in VideoRate).
    DescribeStreamPushInfoList: async (params) => {
      const stream = requiredName(params, 'StreamName');
      const app = optionalName(params, 'AppName');
      const { start, end } = statsWindow(params, day);
      const pushDomain =
        typeof params.PushDomain === 'string' && params.PushDomain ? [params.PushDomain.toLowerCase()] : undefined;
      const rows = await historyRows(source, {
        period: minute,
        since: Math.floor(start.ms / minute) * minute,
        before: end.ms + 1,
        domains: pushDomain,
        app,
        stream,
      });
      const live = new Map(deps.publishers.list().map((p) => [`${p.app}/${p.stream}`, p]));
      const serverIp = serverIpOf(deps.config.rtmp.host);
      const list = rows
        .filter((r) => r.bytesIn > 0 || r.pushBitrate > 0)
        .map((r) => {
          const p = live.get(`${r.app}/${r.stream}`);
          return {
            Time: start.format(r.at),
            PushDomain: r.domain,
            AppName: r.app,
            ClientIp: p?.clientIp ?? '',
            BeginPushTime: p ? `${beijingTime(p.startedAt)}.${String(p.startedAt % 1000).padStart(3, '0')}` : '',
            Resolution: resolution(r.width, r.height),
            VCodec: p?.videoCodec?.split(' ')[0] ?? '',
            ACodec: p?.audioCodec?.split(' ')[0] ?? '',
            Sequence: p ? String(p.startedAt) : '',
            VideoFps: r.pushFps,
            VideoRate: r.pushBitrate,
            AudioFps: 0,
            AudioRate: 0,
            LocalTs: 0,
            VideoTs: 0,
            AudioTs: 0,
            MetaVideoRate: 0,
            MetaAudioRate: 0,
            MateFps: 0,
            StreamParam: '',
            Bandwidth: mbps(r.bytesIn, minute),
            Flux: megabytes(r.bytesIn),
            ServerIp: serverIp,
            GopSize: 0,
          };
        });
      return { DataInfoList: list };
    },

    // Recordings running per minute (per 5 minutes past a day's span), from the stored record files.
    DescribeConcurrentRecordStreamNum: async (params, ctx) => {
      if (typeof params.LiveType !== 'string' || params.LiveType === '')
        throw new ApiError('MissingParameter', 'The parameter LiveType is missing.');
      const { start, end } = statsWindow(params, 31 * day);
      const domains = stringList(params, 'PushDomains');
      const step = end.ms - start.ms <= day ? minute : fiveMinutes;
      const files: RecordFile[] = [];
      // Files started before the window may still run in it: look back a day (Tencent caps a recording at that).
      for (let offset = 0; ; offset += 1000) {
        const page = await deps.store.recordings.listRecordFiles({
          since: start.ms - day,
          before: end.ms + 1,
          limit: 1000,
          offset,
        });
        files.push(...page.items.filter((f) => !domains || domains.includes(f.domain)));
        if (page.items.length < 1000) break;
      }
      return { DataInfoList: concurrent(files, start, end.ms, step, ctx.now) };
    },
  };
}

/** Per step of [start, end]: the recordings running at some point of it. */
function concurrent(
  files: readonly RecordFile[],
  start: StatsTime,
  end: number,
  step: number,
  now: number,
): { Time: string; Num: number }[] {
  const out: { Time: string; Num: number }[] = [];
  for (let at = Math.floor(start.ms / step) * step; at <= end; at += step) {
    const num = files.filter((f) => f.startedAt < at + step && (f.endedAt ?? now) >= at).length;
    out.push({ Time: start.format(at), Num: num });
  }
  return out;
}
