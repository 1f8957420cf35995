/** GET/HEAD /{AppName}/{StreamName}.flv: live HTTP-FLV, one hub subscriber per response. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LiveError } from '../../errors.ts';
import type { PlayAdmitter } from '../../control/admission-play.ts';
import { httpPlayRequest } from '../../control/admission-request.ts';
import type { Hub } from '../../hub/hub.ts';
import type { ServerCounters } from '../counters.ts';
import { streamKey } from '../stream-key.ts';
import { FlvPlayerSink, flvHeaders } from './flv-player-sink.ts';
import { errorBody, playbackStatusOf, retryHeaders } from './error-reply.ts';
import type { ConnectionGate } from '../connection-gate.ts';
import { markLongLived } from './http-hardening.ts';
import { LiveResponse } from './live-response.ts';

/** What the FLV route needs. */
export interface FlvRouteDeps {
  readonly hub: Hub;
  readonly admission: PlayAdmitter;
  readonly counters: ServerCounters;
  readonly playWaitMs: number;
  /** Chunked transfer encoding instead of a close-delimited body (`http.flvChunked`). */
  readonly flvChunked: boolean;
  /** Players waiting for a publisher: `http.maxWaitingPlayers` in total and `…PerIp`. */
  readonly waits: ConnectionGate;
}

/** Serves one HTTP-FLV request for `app`/`name`; resolves once the response is handed to the hub. */
export async function serveFlv(
  deps: FlvRouteDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  app: string,
  name: string,
): Promise<void> {
  const rawUrl = req.raw.url ?? '';
  const query = new URLSearchParams(rawUrl.includes('?') ? rawUrl.slice(rawUrl.indexOf('?') + 1) : '');
  // A HEAD holds no media; a GET does, so the memory budget is part of its grant: past it the refusal
  // must be an HTTP answer (429 MEMORY_BUDGET_EXCEEDED), not a hijacked socket.
  const holdsMedia = req.method !== 'HEAD';
  const request = httpPlayRequest('flv', {
    hostHeader: req.hostname,
    app,
    stream: name,
    query,
    clientIp: req.ip,
    referer: req.headers.referer ?? '',
  });
  const outcome = await deps.admission.play(request, { holdsMedia });
  const key = streamKey(app, name);
  if (outcome.kind === 'refused') {
    deps.counters.rejectedPlays++;
    const err = new LiveError(outcome.refusal.code, outcome.refusal.reason);
    const status = playbackStatusOf(err);
    return reply
      .code(status)
      .headers({ 'access-control-allow-origin': '*', ...retryHeaders(status) })
      .send(errorBody(err));
  }
  if (req.method === 'HEAD') {
    const live = deps.hub.get(key)?.live ?? false;
    return reply
      .code(live ? 200 : 404)
      .headers(live ? flvHeaders : { 'access-control-allow-origin': '*' })
      .send();
  }
  // A player of a stream that is not live yet waits for it (playWaitMs); waits are capped, so names
  // nobody publishes cannot pile up hub entries and sockets.
  const waiting = deps.playWaitMs > 0 && !deps.hub.get(key)?.live;
  if (waiting) {
    const refused = deps.waits.admit(req.ip);
    if (refused) {
      const err =
        refused === 'total'
          ? new LiveError(
              'FLV_WAITERS_FULL',
              `the server holds ${deps.waits.open} players waiting for a publisher, its limit; retry shortly`,
            )
          : new LiveError(
              'FLV_WAITERS_PER_IP',
              'this address already has the most players allowed waiting for a publisher; retry shortly',
            );
      deps.counters.countError(err.code);
      const status = playbackStatusOf(err);
      return reply
        .code(status)
        .headers({ 'access-control-allow-origin': '*', ...retryHeaders(status) })
        .send(errorBody(err));
    }
  }
  // From here the socket is ours: each merged batch goes out in one writev.
  reply.hijack();
  const socket = req.raw.socket;
  // The request is complete; the live body must not be cut by the listener's idle timeout.
  markLongLived(socket);
  const out = new LiveResponse(socket, deps.flvChunked);
  deps.counters.httpFlvPlayers++;
  let ended = false;
  const end = (reason?: LiveError): void => {
    if (ended) return;
    ended = true;
    deps.counters.httpFlvPlayers--;
    subscriber.close();
    if (reason && !out.headersSent) {
      const headers = { 'content-type': 'application/json', 'access-control-allow-origin': '*' };
      out.respond(playbackStatusOf(reason), headers, JSON.stringify(errorBody(reason)));
    } else if (reason) {
      out.destroy();
    } else {
      out.end();
    }
  };
  const sink = new FlvPlayerSink(out, end);
  sink.clientIp = req.ip;
  const subscriber = deps.hub.subscribe(key, sink);
  socket.on('close', () => end());
  socket.on('drain', () => subscriber.onDrain());
  // The client may have gone during the admission: then its 'close' has already fired.
  if (socket.destroyed) end();
  let live: boolean;
  try {
    live = await subscriber.waitForPublisher(deps.playWaitMs);
  } finally {
    if (waiting) deps.waits.release(req.ip);
  }
  if (!live && !ended) end(new LiveError('STREAM_NOT_FOUND', `stream ${key} is not publishing`));
}
