/** What an admission answers: admitted (holding the claim or the play grant), refused (recorded), or abandoned. */
import type { ErrorCode } from '../errors.ts';
import { toLiveError } from '../errors.ts';
import type { Access, Refusal } from './access.ts';
import type { AdmissionRequest } from './admission-request.ts';
import { overloadedRefusal } from './reasons.ts';

/** A refusal, already recorded as a rejected attempt; the transport sends `refusal.reason` and closes. */
export interface Refused {
  readonly kind: 'refused';
  readonly refusal: Refusal;
  /** The domain the attempt was attributed to; empty when none was (unknown host, store failure). */
  readonly domain: string;
}

/** The client went away (or stopped waiting for this request) while it was decided: nothing is held or recorded. */
export interface Abandoned {
  readonly kind: 'abandoned';
}

/** A granted play: the play domain it was attributed to (LL-HLS and other per-domain settings read it). */
export interface PlayGrant {
  readonly kind: 'admitted';
  readonly domain: string;
  /** Set for the relay play of another node (a valid relay token): its hop count along the chain. */
  readonly relay?: { readonly hops: number };
}

/** What a transport tells admission while a request is decided; all optional. */
export interface AdmitOptions {
  /** Asked once the decision is made: false when the client left or no longer waits (RTMP deleteStream). */
  readonly stillWanted?: () => boolean;
}

/** Where refusals go: the access hook's recorder (truncated and aggregated, control/rejection-recorder.ts). */
export interface RefusalSink {
  readonly access: Access;
  /** Told of every limit refusal by its code (ServerCounters.countError, /metrics). */
  readonly countError?: ((code: ErrorCode) => void) | undefined;
  /** Told when a refusal could not be handed to the recorder; the refusal stands. */
  readonly onRecordError?: ((err: unknown) => void) | undefined;
}

/** Records a refusal decided outside the access hook (18/601, 18/100, RTMP name limits) and returns it. */
export function recordRefusal(
  sink: RefusalSink,
  action: 'publish' | 'play',
  req: AdmissionRequest,
  refusal: Refusal,
  domain: string,
): Refused {
  sink.access.recordRejection(action, req, refusal, domain).catch((err: unknown) => sink.onRecordError?.(err));
  return { kind: 'refused', refusal, domain };
}

/**
 * The refusal for a `limit` error (MEMORY_BUDGET_EXCEEDED from the hub's claim or subscribe): 18/100,
 * counted and recorded. Any other error is not a refusal and is thrown on.
 */
export function limitRefusal(
  sink: RefusalSink,
  action: 'publish' | 'play',
  req: AdmissionRequest,
  err: unknown,
  domain: string,
): Refused {
  const live = toLiveError(err);
  // Past a budget, or the cluster's Coordinator unreachable (the claim cannot be taken): 18/100, try again.
  if (live.kind !== 'limit' && live.code !== 'COORDINATOR_UNAVAILABLE') throw err;
  sink.countError?.(live.code);
  return recordRefusal(sink, action, req, overloadedRefusal(live.code, live.message), domain);
}
