/**
 * The playback listener while the node drains: `/healthz` answers 503 `{"status":"draining"}` (a load
 * balancer's health check takes the node out of rotation) and every new play (HTTP-FLV, HLS playlists and
 * segments, recordings) 503 SERVER_DRAINING with `retry-after`, so players reconnect to another node.
 * `/metrics` keeps answering: the drain is worth watching.
 */
import type { FastifyInstance } from 'fastify';
import { errorBody, retryHeaders } from '../http/error-reply.ts';
import type { Drainer } from './drainer.ts';

/** Adds the drain's onRequest hook to a playback app (before it listens); one check of a flag per request. */
export function installDrainGate(app: FastifyInstance, drainer: Drainer): void {
  app.addHook('onRequest', (req, reply, done) => {
    if (!drainer.refusing) return done();
    const path = req.url.split('?', 1)[0];
    if (path === '/metrics') return done();
    reply.code(503).header('access-control-allow-origin', '*').headers(retryHeaders(503)).header('connection', 'close');
    if (path === '/healthz') return void reply.send({ status: 'draining' });
    reply.send(errorBody(drainer.refusal()));
  });
}
