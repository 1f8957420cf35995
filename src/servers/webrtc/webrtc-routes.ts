/**
 * The WHIP/WHEP HTTP endpoints (RFC 9725 §4): `POST /{app}/{stream}/whip` and `/whep` with an
 * `application/sdp` offer (201 with an ETag), `DELETE /webrtc/session/{id}` to end, `PATCH` for trickle
 * ICE and ICE restarts (webrtc-patch.ts; 405 with werift's own sockets), and CORS preflights so a
 * page on another origin can publish. Registered in its own fastify scope: only these routes take a body.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { whipRequest } from '../../control/admission-request.ts';
import { LiveError } from '../../errors.ts';
import { errorBody, frameworkRefusal, playbackStatusOf } from '../http/error-reply.ts';
import { forwardToOwner, type SessionForwarder } from './session-owner.ts';
import { patchIce } from './webrtc-patch.ts';
import { sessionPath, statusOf, type SignalReply } from './signal-reply.ts';
import type { WebrtcServer } from './webrtc-server.ts';

const cors = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, DELETE, PATCH, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type, if-match',
  'access-control-expose-headers': 'location, etag',
} as const;

/** Whether a request is one of these endpoints' (the playback listener takes a body only for them). */
export function isWebrtcSignalling(method: string | undefined, url: string | undefined): boolean {
  if (!url) return false;
  const path = url.split('?')[0]!;
  if (method === 'POST') return path.endsWith('/whip') || path.endsWith('/whep');
  return method === 'PATCH' && path.startsWith(sessionPath);
}

/** Registers the endpoints; `server` undefined (webrtc.enabled false) answers 404 WEBRTC_DISABLED. */
export function registerWebrtcRoutes(
  app: FastifyInstance,
  server: WebrtcServer | undefined,
  maxSdpBytes: number,
  forwarder?: SessionForwarder,
): void {
  void app.register(async (scope) => {
    // Worker processes: a session lives in the worker that answered its POST (docs/webrtc.md).
    if (forwarder) scope.addHook('preHandler', forwardToOwner(forwarder));
    scope.addContentTypeParser(
      ['application/sdp', 'application/trickle-ice-sdpfrag'],
      { parseAs: 'string', bodyLimit: maxSdpBytes },
      (_req, body, done) => done(null, body),
    );
    // fastify's own body refusal (bodyLimit) with our code: a too-large offer is 413 WEBRTC_SDP_INVALID.
    scope.setErrorHandler((err: { code?: string; statusCode?: number; message: string }, _req, reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return reply
          .code(413)
          .headers(cors)
          .send({
            code: 'WEBRTC_SDP_INVALID',
            message: `the offer is larger than webrtc.maxSdpBytes (${maxSdpBytes})`,
          });
      }
      const refusal = frameworkRefusal(err);
      if (refusal) return reply.code(playbackStatusOf(refusal)).headers(cors).send(errorBody(refusal));
      const status = err.statusCode ?? 500;
      return reply
        .code(status)
        .headers(cors)
        .send({ code: status >= 500 ? 'INTERNAL' : (err.code ?? 'HTTP_BAD_REQUEST'), message: err.message });
    });
    const offer =
      (kind: 'whip' | 'whep') =>
      async (req: FastifyRequest<{ Params: { app: string; stream: string } }>, reply: FastifyReply) => {
        if (!server) return fail(reply, new LiveError('WEBRTC_DISABLED', 'WebRTC is off (webrtc.enabled)'));
        const sdp = req.body;
        if (typeof sdp !== 'string' || !sdp.startsWith('v=0')) {
          return fail(
            reply,
            new LiveError('WEBRTC_SDP_INVALID', 'the body must be an SDP offer (content-type: application/sdp)'),
          );
        }
        const raw = req.raw.url ?? '';
        const q = raw.indexOf('?');
        const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
        // RFC 9725 §4.5: the bearer token; ours is the txSecret/txTime pair (`txSecret=…&txTime=…`).
        const auth = req.headers.authorization;
        if (auth?.toLowerCase().startsWith('bearer ')) {
          for (const [k, v] of new URLSearchParams(auth.slice(7).trim())) if (!query.has(k)) query.set(k, v);
        }
        const url = `http://${req.hostname || 'localhost'}/${encodeURIComponent(req.params.app)}/${encodeURIComponent(req.params.stream)}?${query}`;
        const request = whipRequest(url, req.ip);
        if (!request) return fail(reply, new LiveError('STREAM_NOT_FOUND', 'no app and stream in the URL'));
        if (kind === 'whip') return send(reply, await server.publish(request, sdp, req.socket.localAddress ?? ''));
        // A WHEP offer may wait for its stream (stream-demand.ts): a client that leaves meanwhile ends the wait.
        const gone = clientGone(req.socket);
        try {
          return send(reply, await server.play(request, sdp, req.socket.localAddress ?? '', gone.signal));
        } finally {
          gone.done();
        }
      };
    scope.post('/:app/:stream/whip', offer('whip'));
    scope.post('/:app/:stream/whep', offer('whep'));
    scope.delete<{ Params: { id: string } }>(`${sessionPath}:id`, async (req, reply) => {
      if (!server || !(await server.delete(req.params.id))) {
        return fail(reply, new LiveError('WEBRTC_SESSION_NOT_FOUND', 'no such WebRTC session'));
      }
      return reply.code(200).headers(cors).send();
    });
    scope.patch<{ Params: { id: string } }>(`${sessionPath}:id`, async (req, reply) => {
      const session = server?.sessions.get(req.params.id);
      if (!session) return fail(reply, new LiveError('WEBRTC_SESSION_NOT_FOUND', 'no such WebRTC session'));
      const r = patchIce(session.ice, req.body, req.headers['if-match']);
      if ('error' in r) {
        const allow = r.status === 405 ? { allow: 'DELETE' } : {};
        return reply
          .code(r.status)
          .headers({ ...cors, ...allow })
          .send({ code: r.error.code, message: r.error.message });
      }
      if (r.status === 204)
        return reply
          .code(204)
          .headers({ ...cors, etag: r.etag })
          .send();
      return reply
        .code(200)
        .headers({ ...cors, etag: r.etag, 'content-type': 'application/trickle-ice-sdpfrag' })
        .send(r.fragment);
    });
    for (const url of ['/:app/:stream/whip', '/:app/:stream/whep', `${sessionPath}:id`]) {
      scope.options(url, async (_req, reply) => reply.code(204).headers(cors).send());
    }
  });
}

/** A signal aborted when the client's connection closes; `done` stops watching (a kept-alive socket outlives it). */
export function clientGone(socket: Socket): { signal: AbortSignal; done: () => void } {
  const ac = new AbortController();
  const abort = (): void => ac.abort();
  if (socket.destroyed) abort();
  else socket.once('close', abort);
  return { signal: ac.signal, done: () => socket.off('close', abort) };
}

function send(reply: FastifyReply, r: SignalReply): FastifyReply {
  if ('sdp' in r)
    return reply
      .code(201)
      .headers({
        ...cors,
        'content-type': 'application/sdp',
        location: r.location,
        ...(r.etag ? { etag: r.etag } : {}),
      })
      .send(r.sdp);
  return reply.code(r.status).headers(cors).send(r.error);
}

function fail(reply: FastifyReply, err: LiveError): FastifyReply {
  return reply.code(statusOf(err.code)).headers(cors).send({ code: err.code, message: err.message });
}
