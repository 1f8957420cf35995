/** The play side of an RTMP connection: admission of a play, its hub subscriber, its refusal. */
import { LiveError } from '../../errors.ts';
import type { Subscriber } from '../../hub/subscriber.ts';
import type { ServerSessionEvent } from '../../protocol/rtmp/server-session.ts';
import { streamKey } from '../stream-key.ts';
import type { RtmpConnection } from './rtmp-connection.ts';
import { RtmpPlayerSink } from './rtmp-player-sink.ts';
import { refusalError, rtmpStatusOf } from './rtmp-status.ts';

/** A play the session asks to decide: admission, then a hub subscriber (or a wait for the publisher). */
export async function startPlay(
  conn: RtmpConnection,
  event: Extract<ServerSessionEvent, { type: 'play' }>,
): Promise<void> {
  const req = conn.request(event.name, event.query);
  // Deleted while it was decided: a subscriber now would feed media to a stream the client forgot.
  const stillWanted = (): boolean => !conn.closed && conn.session.awaitsDecision(event.streamId);
  const outcome = await conn.deps.admission.play(req, { stillWanted, holdsMedia: true });
  if (outcome.kind === 'abandoned') return;
  if (outcome.kind === 'refused') return rejectPlay(conn, event.streamId, refusalError(outcome.refusal));
  const key = streamKey(conn.app, event.name);
  const { streamId } = event;
  const sink = new RtmpPlayerSink(
    conn.socket,
    conn.session,
    streamId,
    {
      // Play.Start; the messages held behind the play (if it was still awaited) come back from it.
      start: () => conn.driver.run(() => conn.session.acceptPlay(streamId)),
      flush: () => conn.driver.flush(),
      close: (reason) => conn.close(reason, 'closed by the hub'),
    },
    outcome.relay?.hops,
  );
  let subscriber: Subscriber;
  try {
    subscriber = conn.deps.hub.subscribe(key, sink);
  } catch (err) {
    // The budget filled between the grant and the subscribe: refused like the grant would have.
    return rejectPlay(
      conn,
      streamId,
      refusalError(conn.deps.admission.refuseLimit('play', req, err, outcome.domain).refusal),
    );
  }
  conn.players.set(streamId, subscriber);
  if (subscriber.closed || !conn.session.awaitsDecision(streamId)) return;
  // A player that arrives before the publisher waits a bounded time, then hears StreamNotFound.
  // The wait runs beside the connection: its socket keeps being read (pings, closeStream, deleteStream).
  conn.driver.run(() => conn.session.holdPlay(streamId));
  const waited = subscriber.waitForPublisher(conn.deps.playWaitMs).then((live) => {
    // Closed, or closeStream/deleteStream during the wait (the issue 9 crash): nobody to tell.
    if (live || conn.closed || subscriber.closed || conn.players.get(streamId) !== subscriber) return;
    subscriber.close();
    conn.players.delete(streamId);
    rejectPlay(conn, streamId, new LiveError('STREAM_NOT_FOUND', `stream ${key} is not publishing`));
  });
  waited.catch((err: unknown) => conn.fail(err));
}

/** Sends the play's refusal, then closes the connection. */
export function rejectPlay(conn: RtmpConnection, streamId: number, err: LiveError): void {
  conn.deps.counters.rejectedPlays++;
  conn.driver.run(() => conn.session.rejectPlay(streamId, rtmpStatusOf(err, 'play'), err.message));
  conn.log.info({ code: err.code, reason: err.message }, 'play rejected');
  conn.flushAndEnd();
}
