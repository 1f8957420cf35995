/**
 * Publish history (tencent-css.md §3.3): DescribeLiveStreamPublishedList and
 * DescribeLiveStreamEventList over the publish records, plus openlive's own
 * OpenLiveDescribeRejectedPushList and OpenLiveDescribeRejectedPushSummary over the refused
 * publish attempts (named so that no one takes them for Tencent actions).
 */
import { maskQuery } from '../../../control/access-policy.ts';
import type {
  Page,
  PublishRecord,
  PublishRecordQuery,
  RejectedAttempt,
  RejectedAttemptQuery,
} from '../../../store/store.ts';
import type { ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalString, pageFields, paging } from '../api-params.ts';
import { mergedPage } from './merged-page.ts';
import {
  checkEntryCap,
  durationSeconds,
  flag,
  optionalDomain,
  optionalName,
  requiredDomain,
  resolution,
  timeWindow,
  utcTime,
} from './stream-params.ts';

type Params = Readonly<Record<string, unknown>>;

/** Tencent keeps 60 days of history and answers windows of at most 30 days. */
const tencentWindow = { maxSpanDays: 30, historyDays: 60 } as const;
/** openlive's own actions read whatever the store still holds, 31 days at a time. */
const ownWindow = { maxSpanDays: 31 } as const;

/** The publish history actions. */
export function recordActions(deps: ApiDeps): ApiActions {
  return {
    DescribeLiveStreamPublishedList: async (params, ctx) => {
      const domain = requiredDomain(params, 'DomainName');
      const { start, end } = timeWindow(params, ctx.now, tencentWindow);
      const page = paging(params, 10, 10, 100);
      checkEntryCap(page.pageNum, page.pageSize);
      const app = optionalName(params, 'AppName');
      // Tencent: StreamName "supports fuzzy matching"; AppName does not.
      const fuzzy = optionalString(params, 'StreamName');
      const records = await deps.records.list({
        ...sessionsIn(start, end),
        domain,
        ...(app !== undefined && { app }),
        ...(fuzzy !== undefined && { streamContains: fuzzy }),
        limit: page.limit,
        offset: page.offset,
      });
      return {
        PublishInfo: records.items.map((r) => sessionEvent(r, ctx.now)),
        ...pageFields(records.total, page.pageNum, page.pageSize),
      };
    },
    DescribeLiveStreamEventList: async (params, ctx) => describeEvents(deps, params, ctx.now),
    OpenLiveDescribeRejectedPushList: async (params, ctx) => {
      const query = attemptQuery(params, ctx.now);
      const page = paging(params, 10, 1, 100);
      const list = await deps.store.listRejectedAttempts({
        ...query,
        ascending: flag(params, 'IsAsc'),
        limit: page.limit,
        offset: page.offset,
      });
      return { RejectedList: list.items.map(rejectedItem), ...pageFields(list.total, page.pageNum, page.pageSize) };
    },
    OpenLiveDescribeRejectedPushSummary: async (params, ctx) => {
      const groups = await deps.store.summarizeRejectedAttempts(attemptQuery(params, ctx.now));
      return {
        TotalNum: groups.reduce((n, g) => n + g.count, 0),
        ReasonList: groups.map((g) => ({
          BreakCode: g.breakCode,
          ErrorCode: g.code,
          Count: g.count,
          FirstTime: utcTime(g.firstAt),
          LastTime: utcTime(g.lastAt),
          LastReason: g.lastReason,
        })),
      };
    },
  };
}

/** Sessions live at any moment of [start, end): started before its end, not ended before its start. */
function sessionsIn(start: number, end: number): Pick<PublishRecordQuery, 'before' | 'endedSince'> {
  return { before: end, endedSince: start };
}

/** Domain, AppName and StreamName filters (StreamName fuzzy unless IsStrict=1), as the event list reads them. */
function nameFilters(params: Params): Pick<RejectedAttemptQuery, 'domain' | 'app' | 'stream' | 'streamContains'> {
  const domain = optionalDomain(params, 'DomainName');
  const app = optionalName(params, 'AppName');
  const strict = flag(params, 'IsStrict');
  const stream = strict ? optionalName(params, 'StreamName') : optionalString(params, 'StreamName');
  return {
    ...(domain !== undefined && { domain }),
    ...(app !== undefined && { app }),
    ...(stream !== undefined && (strict ? { stream } : { streamContains: stream })),
  };
}

async function describeEvents(deps: ApiDeps, params: Params, now: number): Promise<Record<string, unknown>> {
  const { start, end } = timeWindow(params, now, tencentWindow);
  const page = paging(params, 10, 1, 100);
  checkEntryCap(page.pageNum, page.pageSize);
  const names = nameFilters(params);
  const ascending = flag(params, 'IsAsc');
  const sessions = (q: { limit: number; offset: number }): Promise<Page<PublishRecord>> =>
    deps.records.list({ ...names, ...sessionsIn(start, end), ascending, byEnd: true, ...q });
  // Tencent IsFilter=1 "filters out the pushes that failed to start": without it, refused publishes
  // (18/xxx) are events too, each a moment with its refusal as StopReason.
  const events = flag(params, 'IsFilter')
    ? await sessions({ limit: page.limit, offset: page.offset }).then((p) => ({
        items: p.items.map((r) => sessionEvent(r, now)),
        total: p.total,
      }))
    : await mergedPage(
        // Tencent IsAsc: "ordered by end time", newest end first by default; a live session ends last of all.
        { fetch: sessions, time: (r) => r.endedAt ?? Number.MAX_SAFE_INTEGER, map: (r) => sessionEvent(r, now) },
        {
          fetch: (q) =>
            deps.store.listRejectedAttempts({
              ...names,
              action: 'publish',
              since: start,
              before: end,
              ascending,
              ...q,
            }),
          time: (a) => a.at,
          map: refusalEvent,
        },
        { limit: page.limit, offset: page.offset, ascending },
      );
  return { EventList: events.items, ...pageFields(events.total, page.pageNum, page.pageSize) };
}

/** A publish session as Tencent's StreamEventInfo / StreamName item; a live one has no end yet. */
function sessionEvent(r: PublishRecord, now: number): Record<string, unknown> {
  return {
    StreamName: r.stream,
    AppName: r.app,
    DomainName: r.domain,
    StreamStartTime: utcTime(r.startedAt),
    StreamEndTime: r.endedAt === null ? '' : utcTime(r.endedAt),
    // The sentence the record got when the session ended: the break code first, then what happened.
    StopReason: r.reason ?? '',
    Duration: durationSeconds(r.startedAt, r.endedAt ?? now),
    ClientIp: r.clientIp || '-',
    Resolution: resolution(r.width, r.height),
  };
}

/** A refused publish as an event: it started and stopped at the same moment, for the refusal's reason. */
function refusalEvent(a: RejectedAttempt): Record<string, unknown> {
  return {
    StreamName: a.stream,
    AppName: a.app,
    DomainName: a.domain || a.host,
    StreamStartTime: utcTime(a.at),
    StreamEndTime: utcTime(a.at),
    StopReason: a.reason,
    Duration: 0,
    ClientIp: a.clientIp || '-',
    Resolution: '',
  };
}

/** The filters of the two OpenLive actions: a window and the event list's name filters, publishes only. */
function attemptQuery(params: Params, now: number): RejectedAttemptQuery {
  const { start, end } = timeWindow(params, now, ownWindow);
  const clientIp = optionalString(params, 'ClientIp', 64);
  return {
    ...nameFilters(params),
    ...(clientIp !== undefined && { clientIp }),
    action: 'publish',
    since: start,
    before: end,
  };
}

function rejectedItem(a: RejectedAttempt): Record<string, unknown> {
  return {
    Time: utcTime(a.at),
    ClientIp: a.clientIp,
    Host: a.host,
    DomainName: a.domain,
    AppName: a.app,
    StreamName: a.stream,
    BreakCode: a.breakCode,
    ErrorCode: a.code,
    Reason: a.reason,
    // Stored masked already; masking again costs nothing and keeps a secret out even of old rows.
    Query: maskQuery(new URLSearchParams(a.query)),
    // Past store.rejectedPerAddress one row counts many refusals of one address (docs/security.md "Records and the store").
    Count: a.count,
    LastTime: utcTime(a.lastAt),
  };
}
