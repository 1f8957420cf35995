/**
 * Tencent CSS stream management (tencent-css.md §3.3): DescribeLiveStreamOnlineList,
 * DescribeLiveStreamState, DropLiveStream, ForbidLiveStream, ResumeLiveStream,
 * DescribeLiveForbidStreamList and DescribeLiveStreamPushInfoList, over control's StreamPolicy and
 * this node's live publishers; the online list and the state answer for the whole cluster (Coordinator registry).
 */
import { LiveError } from '../../../errors.ts';
import { forbidLimits } from '../../../control/stream-policy.ts';
import { ApiError, type ApiActions, type ApiContext } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalInt, optionalString, pageFields, paging } from '../api-params.ts';
import {
  beijingIsoTime,
  optionalDomain,
  optionalName,
  optionalTime,
  pushDomain,
  requiredName,
  utcTime,
} from './stream-params.ts';
import { pushDataInfo, serverIpOf } from './stream-push-info.ts';

type Params = Readonly<Record<string, unknown>>;

const day = 24 * 3600 * 1000;

/** The stream management actions. */
export function streamActions(deps: ApiDeps): ApiActions {
  const serverIp = serverIpOf(deps.config.rtmp.host);
  return {
    DescribeLiveStreamOnlineList: async (params) => describeOnline(deps, params),
    DescribeLiveStreamState: async (params) => {
      const { app, stream, domain } = await streamParams(deps, params);
      return { StreamState: await deps.streams.state(app, stream, domain) };
    },
    DropLiveStream: async (params) => {
      const { app, stream, domain } = await streamParams(deps, params);
      try {
        await deps.streams.drop(app, stream, domain);
      } catch (err) {
        // Tencent: "If you call this API to pause an inactive stream, the request will be considered successful."
        if (!(err instanceof LiveError && err.code === 'STREAM_NOT_LIVE')) throw err;
      }
      return {};
    },
    ForbidLiveStream: async (params, ctx) => forbid(deps, params, ctx),
    ResumeLiveStream: async (params) => {
      const { app, stream, domain } = await streamParams(deps, params);
      // Tencent keys a forbid by stream name, so a resume must leave the stream publishable on this
      // domain: it lifts this domain's forbid and an every-domain one (set with the CLI) alike.
      await deps.streams.resume(app, stream, domain);
      await deps.streams.resume(app, stream, '');
      return {};
    },
    DescribeLiveForbidStreamList: async (params) => describeForbidden(deps, params),
    DescribeLiveStreamPushInfoList: async (params) => {
      // Tencent bounds this action's paging on its own: PageNum 1-10000, PageSize 1-100000, default 200
      // (SDK 4.1.313: "尽量PageSize填大于预估在线流数，一次性全部把在线流拉过去").
      optionalInt(params, 'PageNum', 1, 10_000);
      const page = paging(params, 200, 1, 100_000);
      const domain = optionalDomain(params, 'PushDomain');
      const app = optionalName(params, 'AppName');
      const live = deps.publishers
        .list()
        .filter((p) => (domain === undefined || p.domain === domain) && (app === undefined || p.app === app))
        .sort((a, b) => a.startedAt - b.startedAt);
      if (live.length === 0)
        throw new ApiError(
          'FailedOperation.HasNotLivingStream',
          'No stream is being published that matches the query.',
        );
      return {
        DataInfoList: live.slice(page.offset, page.offset + page.limit).map((p) => pushDataInfo(p, deps.hub, serverIp)),
        ...pageFields(live.length, page.pageNum, page.pageSize),
      };
    },
  };
}

/** AppName, StreamName and an existing push domain: the three keys of every single-stream action. */
async function streamParams(deps: ApiDeps, params: Params): Promise<{ app: string; stream: string; domain: string }> {
  const app = requiredName(params, 'AppName');
  const stream = requiredName(params, 'StreamName');
  const domain = (await pushDomain(deps, params)).name;
  return { app, stream, domain };
}

/** The whole cluster's live streams (StreamPolicy.listOnline): any node answers for every node. */
async function describeOnline(deps: ApiDeps, params: Params): Promise<Record<string, unknown>> {
  // PageSize 10-300000 (SDK 4.1.313): Tencent advises one page larger than every online stream, fetched each minute.
  const page = paging(params, 10, 10, 300_000);
  const domain = optionalDomain(params, 'DomainName');
  const app = optionalName(params, 'AppName');
  const stream = optionalName(params, 'StreamName');
  const live = await deps.streams.listOnline({
    ...(domain !== undefined && { domain }),
    ...(app !== undefined && { app }),
    ...(stream !== undefined && { stream }),
  });
  return {
    ...pageFields(live.length, page.pageNum, page.pageSize),
    OnlineInfo: live.slice(page.offset, page.offset + page.limit).map((p) => ({
      StreamName: p.stream,
      AppName: p.app,
      DomainName: p.domain,
      // One entry per publish of the stream; openlive has one publisher per stream, so one time.
      PublishTimeList: [{ PublishTime: utcTime(p.startedAt) }],
      // Tencent: "pushed to delayed live (LCB)"; openlive has no delayed live (AddLiveDomain refuses IsDelayLive 1), so 0 is the truth.
      PushToDelay: 0,
    })),
  };
}

async function forbid(deps: ApiDeps, params: Params, ctx: ApiContext): Promise<Record<string, unknown>> {
  const { app, stream, domain } = await streamParams(deps, params);
  const until = optionalTime(params, 'ResumeTime');
  const reason = optionalString(params, 'Reason', forbidLimits.maxReasonBytes);
  if (until !== undefined && until <= ctx.now)
    throw new ApiError('InvalidParameterValue', 'The parameter ResumeTime must be in the future.');
  if (until !== undefined && until > ctx.now + forbidLimits.maxDays * day) {
    throw new ApiError(
      'InvalidParameterValue',
      `The parameter ResumeTime must be at most ${forbidLimits.maxDays} days ahead.`,
    );
  }
  // Without ResumeTime the policy forbids for its default 7 days; a live publisher is dropped at once (21/101).
  await deps.streams.forbid({
    app,
    stream,
    domain,
    ...(until !== undefined && { until }),
    ...(reason !== undefined && { reason }),
  });
  return {};
}

async function describeForbidden(deps: ApiDeps, params: Params): Promise<Record<string, unknown>> {
  const page = paging(params, 10, 1, 100);
  const stream = optionalName(params, 'StreamName');
  const list = await deps.streams.listForbidden({
    ...(stream !== undefined && { stream }),
    limit: page.limit,
    offset: page.offset,
  });
  return {
    ...pageFields(list.total, page.pageNum, page.pageSize),
    ForbidStreamList: list.items.map((f) => ({
      StreamName: f.stream,
      // Tencent documents both as Beijing time; the +08:00 offset says so to any ISO 8601 parser.
      CreateTime: beijingIsoTime(f.createdAt),
      ExpireTime: beijingIsoTime(f.until),
      AppName: f.app,
      // Empty for a forbid on every domain (openlive stream forbid without --domain).
      DomainName: f.domain,
      // Not in Tencent's ForbidStreamInfo (its console keeps the reason elsewhere); the SDKs ignore extra fields.
      Reason: f.reason,
    })),
  };
}
