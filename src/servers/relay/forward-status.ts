/** What one forward (a stream to a target) reports: the Cloud API, the console and /metrics read it. */
import type { ErrorCode } from '../../errors.ts';

/** Where a forward is: dialling, pushing media, waiting to retry, or finished. */
export type ForwardState = 'connecting' | 'forwarding' | 'backing-off' | 'stopped';

/** The last thing that went wrong with a forward. */
export interface ForwardError {
  /** A stable code (FORWARD_REFUSED, FORWARD_UNREACHABLE, FORWARD_DISCONNECTED). */
  readonly code: ErrorCode;
  readonly message: string;
  /** The target's RTMP status code for a refusal (`NetStream.Publish.BadName`), else ''. */
  readonly rtmpStatus: string;
  /** When it happened (clock of the service). */
  readonly at: number;
}

/** A snapshot of one forward. */
export interface ForwardStatus {
  /** `app/stream` of the forwarded stream. */
  readonly key: string;
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  /** The target's name (`relay.forward[].name`, else its host). */
  readonly target: string;
  /** The target URL with its secrets masked. */
  readonly url: string;
  readonly state: ForwardState;
  /** Since when the forward is in `state`. */
  readonly since: number;
  /** When the forward began (the publish started). */
  readonly startedAt: number;
  /** Bytes written to the target over all connections, handshakes included. */
  readonly bytes: number;
  /** Connections made after the first one. */
  readonly reconnects: number;
  /** Times the target refused the publish (retried after `relay.forwardRefusedRetryMs`). */
  readonly refusals: number;
  /** Media messages skipped because the target read slower than the stream (to the next keyframe). */
  readonly skippedMessages: number;
  /** Times the queue overflowed and skipping began. */
  readonly skips: number;
  readonly lastError: ForwardError | undefined;
}
