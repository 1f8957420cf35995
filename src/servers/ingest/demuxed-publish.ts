/**
 * Publishing demuxed media, whatever carried it: an SRT caller, or any later TS-based input, asks the
 * one admission path (control/admission.ts) with its AdmissionRequest, and once admitted hands in the
 * MPEG-TS bytes (or already-demuxed media messages). The messages reach the hub through a PublishSession
 * exactly as an RTMP publish's do: push quality, records, callbacks, stream control (drop, forbid, replace).
 */
import type { Admission, Abandoned, Refused } from '../../control/admission.ts';
import type { AdmissionRequest } from '../../control/admission-request.ts';
import type { PublishRecords } from '../../control/publish-records.ts';
import { toLiveError, type ErrorCode } from '../../errors.ts';
import type { Hub } from '../../hub/hub.ts';
import type { Stream } from '../../hub/stream.ts';
import type { Log } from '../../log.ts';
import type { MediaMessage } from '../../protocol/media.ts';
import { TsDemuxer, type TsDemuxerOptions } from '../../protocol/mpegts/ts-demuxer.ts';
import type { TsDemuxStats } from '../../protocol/mpegts/ts-demux-stats.ts';
import type { ServerCounters } from '../counters.ts';
import type { LivePublisherRegistry } from './live-publishers.ts';
import { PublishSession, type PublishListener } from './publish-session.ts';

/** What a demuxed publish needs from the server that owns it: the parts an RTMP connection gets too. */
export interface DemuxedIngestDeps {
  readonly hub: Hub;
  readonly admission: Admission<Stream>;
  readonly records: PublishRecords | undefined;
  readonly publishers: LivePublisherRegistry;
  readonly log: Log;
  readonly counters: ServerCounters;
  readonly now: () => number;
  readonly publishListener?: PublishListener | undefined;
}

/** One publish to admit. */
export interface DemuxedPublishRequest {
  /** Built by the transport, e.g. `srtRequest(streamId, ip)` (protocol `srt`). */
  readonly request: AdmissionRequest;
  /** Unique per connection, e.g. `srt-<socket id>`: the claim and the records name it. */
  readonly publisherId: string;
  /** The local address the encoder reached (callbacks' node). */
  readonly serverIp?: string;
  /** Closes the transport; called when the publish is ended from outside (drop, forbid, a newer publisher). */
  readonly disconnect: () => void;
  /** Asked after the access decision: false when the caller left meanwhile, so it never takes the stream. */
  readonly stillWanted?: () => boolean;
  /** The demuxer's limits (maxPesSize, maxJumpMs). */
  readonly demuxer?: Omit<TsDemuxerOptions, 'onError'>;
}

/** An admitted publish. */
export interface DemuxedPublishGrant {
  readonly kind: 'admitted';
  readonly publish: DemuxedPublish;
  readonly domain: string;
}

/**
 * Admits a publish of demuxed media and starts its session, or returns the refusal (already recorded and
 * counted; the transport tells the encoder, e.g. as an SRT rejection with the refusal's code and reason).
 */
export async function admitDemuxedPublish(
  deps: DemuxedIngestDeps,
  r: DemuxedPublishRequest,
): Promise<DemuxedPublishGrant | Refused | Abandoned> {
  const { request } = r;
  const publisher = { id: r.publisherId, clientIp: request.clientIp, protocol: request.protocol };
  const outcome = await deps.admission.publish(request, publisher, { stillWanted: r.stillWanted });
  if (outcome.kind !== 'admitted') {
    if (outcome.kind === 'refused') deps.counters.rejectedPublishes++;
    return outcome;
  }
  return { kind: 'admitted', publish: startDemuxedPublish(deps, outcome, r), domain: outcome.domain };
}

/**
 * Starts the session of a publish the admission path already admitted (a transport that asked it itself,
 * as the SRT listener does); the claim is released if the session cannot start.
 */
export function startDemuxedPublish(
  deps: DemuxedIngestDeps,
  outcome: { readonly claim: Stream; readonly domain: string },
  r: Omit<DemuxedPublishRequest, 'stillWanted'>,
): DemuxedPublish {
  const { request } = r;
  let session: PublishSession;
  try {
    session = new PublishSession({
      hub: deps.hub,
      records: deps.records,
      log: deps.log,
      now: deps.now,
      stream: outcome.claim,
      publisherId: r.publisherId,
      domain: outcome.domain,
      app: request.app,
      name: request.stream,
      clientIp: request.clientIp,
      disconnect: r.disconnect,
      query: request.query.toString(),
      serverIp: r.serverIp ?? '',
      listener: deps.publishListener,
    });
  } catch (err) {
    // The claim must not outlive a publish that could not start.
    deps.admission.release(outcome.claim, r.publisherId);
    throw err;
  }
  deps.publishers.add(session);
  deps.log.info({ stream: session.key, domain: outcome.domain, protocol: request.protocol }, 'publish started');
  return new DemuxedPublish(deps, session, r.demuxer);
}

/** A live publish fed with TS bytes or media messages; `end()` once when the transport closes. */
export class DemuxedPublish {
  readonly session: PublishSession;
  private readonly deps: DemuxedIngestDeps;
  private readonly demuxer: TsDemuxer;
  private readonly out: MediaMessage[] = [];
  private ended = false;

  constructor(deps: DemuxedIngestDeps, session: PublishSession, options: Omit<TsDemuxerOptions, 'onError'> = {}) {
    this.deps = deps;
    this.session = session;
    // Bad TS is counted on /metrics by code, as RTMP's errors are; it never ends the publish by itself.
    this.demuxer = new TsDemuxer({ ...options, onError: (code: ErrorCode) => deps.counters.countError(code) });
  }

  /** What the demuxer read, skipped and dropped so far. */
  get stats(): TsDemuxStats {
    return this.demuxer.stats;
  }

  /** Feeds MPEG-TS bytes (any size, e.g. one SRT payload); the media they complete goes to the hub. */
  pushTs(bytes: Buffer): void {
    if (this.ended) return;
    const out = this.out;
    out.length = 0;
    this.demuxer.push(bytes, out);
    for (const m of out) this.session.onMedia(m);
    out.length = 0;
  }

  /** Feeds one media message another demuxer produced (an FLV tag body with its time). */
  pushMedia(message: MediaMessage): void {
    if (!this.ended) this.session.onMedia(message);
  }

  /** Ends the publish once: the last open frame goes out, the session ends with `breakCode`. Never rejects. */
  end(breakCode: string, reason: string): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    try {
      for (const m of this.demuxer.end()) this.session.onMedia(m);
    } catch (err) {
      this.deps.log.error(
        { code: toLiveError(err).code, err: toLiveError(err).message },
        'could not flush the last frame',
      );
    }
    this.deps.publishers.remove(this.session);
    return this.session.end(breakCode, reason).catch((err: unknown) => {
      this.deps.log.error({ code: toLiveError(err).code, err: toLiveError(err).message }, 'publish end failed');
    });
  }
}
