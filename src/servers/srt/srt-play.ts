/**
 * An SRT play (`m=request`): the same play admission as HTTP-FLV (signatures when play auth is on, player
 * limits, memory budget), then a hub subscriber whose TS goes out over the caller's SRT connection. The
 * handshake must be answered within the caller's connect timeout, so a stream that is not live is refused
 * at once (SRT_REJX_NOTFOUND) instead of waiting for a publisher.
 */
import type { Admission } from '../../control/admission.ts';
import type { AdmissionRequest } from '../../control/admission-request.ts';
import type { ErrorCode, LiveError } from '../../errors.ts';
import type { Hub } from '../../hub/hub.ts';
import type { Subscriber } from '../../hub/subscriber.ts';
import type { SrtConnection } from '../../protocol/srt/srt-connection.ts';
import type { ServerCounters } from '../counters.ts';
import { streamKey } from '../stream-key.ts';
import { SrtPlayerSink } from './srt-player-sink.ts';

/** An admitted play, to attach once the connection is up. */
export interface SrtPlayGrant {
  readonly kind: 'admitted';
  /** Subscribes the player: its TS goes out over `conn`. */
  attach(conn: SrtConnection, clockUs: () => number, counters: ServerCounters): void;
  /** The SRT connection ended: unsubscribe (idempotent). */
  end(): void;
}

/** Admits an SRT play of `req`. */
export async function admitSrtPlay<S>(
  hub: Hub,
  admission: Admission<S>,
  req: AdmissionRequest,
  stillWanted: () => boolean,
): Promise<SrtPlayGrant | { kind: 'refused'; code: ErrorCode } | { kind: 'abandoned' }> {
  const outcome = await admission.play(req, { holdsMedia: true, stillWanted });
  if (outcome.kind === 'abandoned') return outcome;
  if (outcome.kind === 'refused') return { kind: 'refused', code: outcome.refusal.code };
  const key = streamKey(req.app, req.stream);
  if (!hub.get(key)?.live) {
    return { kind: 'refused', code: 'STREAM_NOT_FOUND' };
  }
  let subscriber: Subscriber | undefined;
  let counted: ServerCounters | undefined;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    subscriber?.close();
    if (counted) counted.srtPlayers--;
  };
  return {
    kind: 'admitted',
    end,
    attach(conn, clockUs, counters) {
      if (ended) return;
      counted = counters;
      counters.srtPlayers++;
      const sink = new SrtPlayerSink({
        send: (payload) => conn.send(payload, clockUs()),
        get unacknowledged() {
          return conn.sender.unacknowledged;
        },
        end: (reason?: LiveError) => {
          if (!conn.closed) conn.close(clockUs(), reason?.code, reason?.message ?? 'the publisher left');
          end();
        },
      });
      sink.clientIp = req.clientIp;
      subscriber = hub.subscribe(key, sink);
    },
  };
}
