/**
 * openlive's own `OpenLiveDescribeForwardStatus` (Tencent has no push-relay status action, hence the
 * prefix): every push-relay forward of this node (docs/cluster.md "Push relays") with its state, bytes,
 * reconnects and last error, optionally for one AppName/StreamName. Stopped forwards stay listed for a while.
 */
import type { ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalString } from '../api-params.ts';
import { utcTime } from './stream-params.ts';

/** The forward-status action. */
export function forwardActions(deps: ApiDeps): ApiActions {
  return {
    OpenLiveDescribeForwardStatus: async (params) => {
      const app = optionalString(params, 'AppName');
      const stream = optionalString(params, 'StreamName');
      const list = (deps.forwards?.() ?? []).filter(
        (f) => (app === undefined || f.app === app) && (stream === undefined || f.stream === stream),
      );
      return {
        TotalNum: list.length,
        ForwardList: list.map((f) => ({
          DomainName: f.domain,
          AppName: f.app,
          StreamName: f.stream,
          TargetName: f.target,
          TargetUrl: f.url,
          State: f.state,
          Since: utcTime(f.since),
          StartTime: utcTime(f.startedAt),
          Bytes: f.bytes,
          Reconnects: f.reconnects,
          Refusals: f.refusals,
          SkippedMessages: f.skippedMessages,
          // The last failure; empty strings when there was none.
          LastErrorCode: f.lastError?.code ?? '',
          LastErrorMessage: f.lastError?.message ?? '',
          LastRtmpStatus: f.lastError?.rtmpStatus ?? '',
          LastErrorTime: f.lastError ? utcTime(f.lastError.at) : '',
        })),
      };
    },
  };
}
