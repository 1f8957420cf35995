/**
 * openlive's own `OpenLiveDrainNode` (no Tencent equivalent, hence the prefix): drains the node that answers
 * (docs/cluster.md "Drain"): RTMP/RTMPS stop accepting, HTTP plays and /healthz answer 503, publishers that
 * announced E-RTMP v2 Reconnect are asked to move, the rest are closed 10/0 after `limits.drainWaitMs`,
 * players are ended. The process and this API stay up; restart it to serve again. Idempotent: a second
 * call answers the same drain.
 */
import type { ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { LiveError } from '../../../errors.ts';

/** The drain action. */
export function drainActions(deps: ApiDeps): ApiActions {
  return {
    OpenLiveDrainNode: async () => {
      if (!deps.drain) throw new LiveError('CONFIG_INVALID', 'this server has no drain');
      const r = await deps.drain.drain('OpenLiveDrainNode');
      return {
        State: r.state,
        Target: r.target,
        ReconnectRequested: r.requested,
        Moved: r.moved,
        Closed: r.closed,
        PlayersEnded: r.playersEnded,
      };
    },
  };
}
