/** What an RTMP connection needs from the server that owns it: the parts it calls and the rtmp.* limits. */
import type { Admission } from '../../control/admission.ts';
import type { PublishRecords } from '../../control/publish-records.ts';
import type { Hub } from '../../hub/hub.ts';
import type { HubTimers } from '../../hub/hub-options.ts';
import type { Stream } from '../../hub/stream.ts';
import type { Log } from '../../log.ts';
import type { ServerCounters } from '../counters.ts';
import { nameLimitDefaults } from '../../protocol/rtmp/bounded-query.ts';
import type { ServerSessionOptions } from '../../protocol/rtmp/server-session.ts';
import type { PublishListener } from '../ingest/publish-session.ts';
import type { LivePublisherRegistry } from '../ingest/live-publishers.ts';

/** What a connection needs from the server that owns it. */
export interface RtmpConnectionDeps {
  readonly hub: Hub;
  /** Decides every publish and play (control/admission.ts); the connection only translates. */
  readonly admission: Admission<Stream>;
  /** RTMPS listener: requests say `rtmps`. */
  readonly tls?: boolean;
  readonly records: PublishRecords | undefined;
  readonly publishers: LivePublisherRegistry;
  readonly log: Log;
  readonly counters: ServerCounters;
  readonly now: () => number;
  /** The timers the connection arms (the hub's; a fake clock in tests); the global ones when absent. */
  readonly timers?: HubTimers;
  readonly chunkSize: number;
  readonly maxMessageSize: number;
  /** The chunk layer's and the names' limits (rtmp.* keys, docs/security.md "RTMP"); the decoder's defaults when absent. */
  readonly maxCommandSize?: number;
  readonly maxControlSize?: number;
  readonly maxPartialBytes?: number;
  readonly minChunkSize?: number;
  readonly maxChunkStreams?: number;
  readonly maxTcUrlLength?: number;
  readonly maxNameLength?: number;
  readonly maxQueryLength?: number;
  readonly maxQueryParams?: number;
  readonly playWaitMs: number;
  /** Non-media bytes (ping answers, `_result`s, `_error`s) that may wait in the socket for a peer that does not read. */
  readonly maxOutputBytes: number;
  /** What the hub may leave in a player's socket on top (its subscriber queue bound, fanout.maxQueueBytes). */
  readonly playerQueueBytes: number;
  /** Messages and bytes the session holds while a connect/publish/play is decided. */
  readonly maxQueuedMessages: number;
  readonly maxQueuedBytes: number;
  /** Follows every accepted publish (event callbacks); optional so tests can leave it out. */
  readonly publishListener?: PublishListener | undefined;
}

/** The ServerSession of a connection under these limits (the names' defaults where a key is absent). */
export function serverSessionOptions(deps: RtmpConnectionDeps): ServerSessionOptions {
  return {
    chunkSize: deps.chunkSize,
    maxMessageSize: deps.maxMessageSize,
    maxCommandSize: deps.maxCommandSize,
    maxControlSize: deps.maxControlSize,
    maxPartialBytes: deps.maxPartialBytes,
    minChunkSize: deps.minChunkSize,
    maxChunkStreams: deps.maxChunkStreams,
    names: {
      maxTcUrlLength: deps.maxTcUrlLength ?? nameLimitDefaults.maxTcUrlLength,
      maxNameLength: deps.maxNameLength ?? nameLimitDefaults.maxNameLength,
      maxQueryLength: deps.maxQueryLength ?? nameLimitDefaults.maxQueryLength,
      maxQueryParams: deps.maxQueryParams ?? nameLimitDefaults.maxQueryParams,
    },
    maxQueuedMessages: deps.maxQueuedMessages,
    maxQueuedBytes: deps.maxQueuedBytes,
    epoch: 0,
  };
}
