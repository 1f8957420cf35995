/**
 * The play statistics actions (docs/api.md "Statistics", docs/statistics.md), answered from the stored
 * history (servers/stats/stats-history.ts) with the fields of the SDK's models: DescribeStreamPlayInfoList,
 * DescribeAllStreamPlayInfoList, DescribeStreamDayPlayInfoList, DescribeLiveDomainPlayInfoList,
 * DescribeVisitTopSumInfoList and DescribeTopClientIpSumInfoList.
 */
import { ApiError, type ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { statsPeriods, type StatsSample } from '../../../store/stats-store.ts';
import { historyRows, totalsByTime, viewersOf, type StatsSource } from '../../stats/stats-history.ts';
import { beijingOffsetMs } from './tencent-time.ts';
import { optionalName } from './stream-params.ts';
import { intParam, mbps, megabytes, sampleDomains, statsTime, statsWindow, stringList } from './stats-params.ts';

const minute = statsPeriods.minute;
const day = statsPeriods.day;

/** The history of this node's store and sampler. */
export function statsSource(deps: ApiDeps): StatsSource {
  return { store: deps.store.history, current: deps.stats ? () => deps.stats!.current() : undefined };
}

/** The play statistics actions. */
export function statsPlayActions(deps: ApiDeps): ApiActions {
  const source = statsSource(deps);
  return {
    // Per minute of [StartTime, EndTime] (at most a day): bandwidth, flux, new plays and viewers.
    DescribeStreamPlayInfoList: async (params) => {
      const { start, end } = statsWindow(params, day);
      const stream = optionalName(params, 'StreamName');
      const app = optionalName(params, 'AppName');
      const playDomain =
        typeof params.PlayDomain === 'string' && params.PlayDomain ? [params.PlayDomain.toLowerCase()] : undefined;
      const since = Math.floor(start.ms / minute) * minute;
      const rows = await historyRows(source, {
        period: minute,
        since,
        before: end.ms + 1,
        domains: await sampleDomains(deps, playDomain),
        app,
        stream,
      });
      const totals = totalsByTime(rows);
      const list = [];
      for (let at = since; at <= end.ms; at += minute) {
        const r = totals.get(at);
        list.push({
          Time: start.format(at),
          Bandwidth: mbps(r?.bytesOut ?? 0, minute),
          Flux: megabytes(r?.bytesOut ?? 0),
          Request: r?.requests ?? 0,
          Online: r ? viewersOf(r) : 0,
        });
      }
      return { DataInfoList: list };
    },

    // One minute, every stream, one entry per protocol a stream was played with. WHEP (WebRTC) players are the
    // `Unknown` entry: Tencent's Protocol values are Unknown, Flv, Hls, Rtmp and Huyap2p (docs/statistics.md).
    DescribeAllStreamPlayInfoList: async (params, ctx) => {
      const at = statsTime(params, 'QueryTime');
      const queryMinute = Math.floor(Math.min(at.ms, ctx.now) / minute) * minute;
      const domains = await sampleDomains(deps, stringList(params, 'PlayDomains'));
      const rows = await historyRows(source, {
        period: minute,
        since: queryMinute,
        before: queryMinute + minute,
        domains,
      });
      const list: Record<string, unknown>[] = [];
      for (const r of rows) {
        for (const [protocol, online, bytes] of [
          ['Rtmp', r.rtmpViewers, r.rtmpBytesOut],
          ['Flv', r.flvViewers, r.flvBytesOut],
          ['Hls', r.hlsViewers, r.hlsBytesOut],
          ['Unknown', r.webrtcViewers, r.webrtcBytesOut],
        ] as const) {
          if (online === 0 && bytes === 0) continue;
          // Request is the stream's new plays of every protocol: samples do not split them (docs/statistics.md).
          list.push({
            PlayDomain: r.domain,
            StreamName: r.stream,
            Rate: 0,
            Protocol: protocol,
            Bandwidth: mbps(bytes, minute),
            Online: online,
            Request: r.requests,
          });
        }
      }
      return { QueryTime: at.format(queryMinute), DataInfoList: list };
    },

    // The flux of every stream on one Beijing day, largest first, paged.
    DescribeStreamDayPlayInfoList: async (params) => {
      const dayText = typeof params.DayTime === 'string' ? params.DayTime : '';
      const m = /^(\d{4}-\d{2}-\d{2})$/.exec(dayText);
      if (!m)
        throw new ApiError(
          dayText ? 'InvalidParameterValue' : 'MissingParameter',
          'The parameter DayTime must be a day such as 2019-01-08 (Beijing time).',
        );
      const since = Date.parse(`${m[1]}T00:00:00Z`) - beijingOffsetMs;
      if (Number.isNaN(since)) throw new ApiError('InvalidParameterValue', 'The parameter DayTime is not a valid day.');
      const pageNum = intParam(params, 'PageNum', 1, 1000, 1);
      const pageSize = intParam(params, 'PageSize', 100, 1000, 1000);
      const playDomain =
        typeof params.PlayDomain === 'string' && params.PlayDomain ? [params.PlayDomain.toLowerCase()] : undefined;
      // Hour rows: a Beijing day is 24 UTC hours, not a UTC day row.
      const rows = await historyRows(source, {
        period: statsPeriods.hour,
        since,
        before: since + day,
        domains: await sampleDomains(deps, playDomain),
      });
      const flux = new Map<string, number>();
      for (const r of rows) flux.set(r.stream, (flux.get(r.stream) ?? 0) + r.bytesOut);
      const all = [...flux].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      const page = all.slice((pageNum - 1) * pageSize, pageNum * pageSize);
      return {
        DataInfoList: page.map(([name, bytes]) => ({ StreamName: name, TotalFlux: megabytes(bytes) })),
        TotalNum: all.length,
        TotalPage: Math.ceil(all.length / pageSize),
        PageNum: pageNum,
        PageSize: pageSize,
      };
    },

    // Now (the minute being sampled, over its elapsed part): totals and per domain.
    DescribeLiveDomainPlayInfoList: async (params, ctx) => {
      const names = stringList(params, 'PlayDomains');
      const domains = await sampleDomains(deps, names);
      const current = Math.floor(ctx.now / minute) * minute;
      // The minute in progress when this node samples; else the last finished one.
      let rows = await historyRows(source, { period: minute, since: current, before: current + minute, domains });
      let at = current;
      let spanMs = Math.max(1000, ctx.now - current);
      if (rows.length === 0 || !deps.stats) {
        at = current - minute;
        spanMs = minute;
        rows = await historyRows(source, { period: minute, since: at, before: current, domains });
      }
      const byDomain = new Map<string, StatsSample[]>();
      for (const r of rows) byDomain.set(r.domain, [...(byDomain.get(r.domain) ?? []), r]);
      const sum = (list: readonly StatsSample[], f: (r: StatsSample) => number): number =>
        list.reduce((n, r) => n + f(r), 0);
      return {
        Time: statsTimeFormat(params)(at),
        TotalBandwidth: mbps(
          sum(rows, (r) => r.bytesOut),
          spanMs,
        ),
        TotalFlux: megabytes(sum(rows, (r) => r.bytesOut)),
        TotalRequest: sum(rows, (r) => r.requests),
        TotalOnline: sum(rows, viewersOf),
        DomainInfoList: [...byDomain].map(([domain, list]) => ({
          Domain: domain,
          DetailInfoList: [
            {
              MainlandOrOversea: 'Mainland',
              Bandwidth: mbps(
                sum(list, (r) => r.bytesOut),
                spanMs,
              ),
              Flux: megabytes(sum(list, (r) => r.bytesOut)),
              Online: sum(list, viewersOf),
              Request: sum(list, (r) => r.requests),
            },
          ],
        })),
      };
    },

    // The top domains or streams of a window by flux or requests.
    DescribeVisitTopSumInfoList: async (params) => {
      const { start, end } = statsWindow(params, 31 * day);
      const topIndex = params.TopIndex;
      if (topIndex !== 'Domain' && topIndex !== 'StreamId')
        throw new ApiError('InvalidParameterValue', 'The parameter TopIndex must be Domain or StreamId.');
      const order = orderParam(params);
      const pageNum = intParam(params, 'PageNum', 1, 1000, 1);
      const pageSize = intParam(params, 'PageSize', 1, 1000, 20);
      const rows = await historyRows(source, {
        ...periodFor(start.ms, end.ms),
        domains: await sampleDomains(deps, stringList(params, 'PlayDomains')),
      });
      const groups = new Map<string, { flux: number; requests: number }>();
      for (const r of rows) {
        const name = topIndex === 'Domain' ? r.domain : r.stream;
        const g = groups.get(name) ?? { flux: 0, requests: 0 };
        g.flux += r.bytesOut;
        g.requests += r.requests;
        groups.set(name, g);
      }
      const seconds = Math.max(1, (end.ms - start.ms) / 1000);
      const all = [...groups].map(([name, g]) => ({
        Name: name,
        AvgFluxPerSecond: megabytes(g.flux / seconds),
        TotalFlux: megabytes(g.flux),
        TotalRequest: g.requests,
      }));
      all.sort(
        (a, b) =>
          (order === 'TotalRequest' ? b.TotalRequest - a.TotalRequest : b.TotalFlux - a.TotalFlux) ||
          (a.Name < b.Name ? -1 : 1),
      );
      return {
        PageNum: pageNum,
        PageSize: pageSize,
        TopIndex: topIndex,
        OrderParam: order,
        TotalNum: all.length,
        TotalPage: Math.ceil(all.length / pageSize),
        DataInfoList: all.slice((pageNum - 1) * pageSize, pageNum * pageSize),
      };
    },

    // Client addresses by flux or requests: this node's per-address tally of every protocol's players
    // over the window (hourly buckets; samples keep no addresses), or its live HLS sessions without one.
    DescribeTopClientIpSumInfoList: async (params) => {
      const { start, end } = statsWindow(params, 31 * day);
      const order = orderParam(params);
      const pageNum = intParam(params, 'PageNum', 1, 1000, 1);
      const pageSize = intParam(params, 'PageSize', 1, 1000, 20);
      const byIp = new Map<string, { flux: number; requests: number }>();
      deps.stats?.current(); // reads the players' counters up to now
      const tallied = deps.stats?.clientIps?.(start.ms, end.ms + 1);
      for (const t of tallied ?? []) byIp.set(t.clientIp, { flux: t.bytes, requests: t.requests });
      for (const s of tallied ? [] : (deps.stats?.hlsSessions() ?? [])) {
        const g = byIp.get(s.clientIp) ?? { flux: 0, requests: 0 };
        g.flux += s.bytesOut;
        g.requests++;
        byIp.set(s.clientIp, g);
      }
      const all = [...byIp].map(([ip, g]) => ({
        ClientIp: ip,
        Province: '',
        TotalFlux: megabytes(g.flux),
        TotalRequest: g.requests,
        TotalFailedRequest: 0,
        CountryArea: '',
      }));
      all.sort(
        (a, b) =>
          (order === 'TotalRequest' ? b.TotalRequest - a.TotalRequest : b.TotalFlux - a.TotalFlux) ||
          (a.ClientIp < b.ClientIp ? -1 : 1),
      );
      return {
        PageNum: pageNum,
        PageSize: pageSize,
        OrderParam: order,
        TotalNum: all.length,
        TotalPage: Math.ceil(all.length / pageSize),
        DataInfoList: all.slice((pageNum - 1) * pageSize, pageNum * pageSize),
      };
    },
  };
}

/** OrderParam: TotalFlux (default here as in DescribeTopClientIpSumInfoList) or TotalRequest; AvgFluxPerSecond orders as TotalFlux. */
function orderParam(params: Readonly<Record<string, unknown>>): string {
  const order = params.OrderParam ?? 'TotalFlux';
  if (order !== 'TotalFlux' && order !== 'TotalRequest' && order !== 'AvgFluxPerSecond') {
    throw new ApiError(
      'InvalidParameterValue',
      'The parameter OrderParam must be TotalFlux, TotalRequest or AvgFluxPerSecond.',
    );
  }
  return order;
}

/** The coarsest period that covers [start, end] exactly enough: 5-minute rows up to a day, hours beyond. */
export function periodFor(start: number, end: number): { period: number; since: number; before: number } {
  const period = end - start <= day ? statsPeriods.fiveMinutes : statsPeriods.hour;
  return { period, since: Math.floor(start / period) * period, before: end + 1 };
}

/** The format of the request's StartTime/QueryTime, or UTC. */
function statsTimeFormat(params: Readonly<Record<string, unknown>>): (ms: number) => string {
  for (const name of ['StartTime', 'QueryTime'])
    if (typeof params[name] === 'string') return statsTime(params, name).format;
  return (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
