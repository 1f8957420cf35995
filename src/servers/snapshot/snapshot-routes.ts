/**
 * Pictures on the playback port: `GET`/`HEAD /snapshot/files/<id>/<name>` as `image/jpeg`. The picture is
 * found by its id in the store and the name must be its own, so nothing from the URL becomes a path; each
 * request is a play of the picture's stream through admission (with play auth on, the play domain's
 * `txSecret`/`txTime` for that stream are required), as recordings are served (record-routes.ts).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LiveError } from '../../errors.ts';
import type { PlayAdmitter } from '../../control/admission-play.ts';
import { httpPlayRequest } from '../../control/admission-request.ts';
import type { SnapshotFile, SnapshotStore } from '../../store/snapshot-store.ts';
import { errorBody, playbackStatusOf } from '../http/error-reply.ts';
import type { ServerCounters } from '../counters.ts';
import { insideRoot } from '../record/record-names.ts';

/** What the snapshot routes serve from. */
export interface SnapshotRouteDeps {
  readonly store: Pick<SnapshotStore, 'getSnapshotFile'>;
  readonly root: string;
  readonly admission: PlayAdmitter;
  readonly counters: ServerCounters;
}

const cors = { 'access-control-allow-origin': '*' };

/** The URL path of a picture. */
export function snapshotFilePath(file: Pick<SnapshotFile, 'id' | 'path'>): string {
  return `/snapshot/files/${file.id}/${encodeURIComponent(basename(file.path))}`;
}

/** Registers `GET`/`HEAD /snapshot/files/:id/:name`. */
export function registerSnapshotRoutes(app: FastifyInstance, deps: SnapshotRouteDeps): void {
  app.route<{ Params: { id: string; name: string } }>({
    method: ['GET', 'HEAD'],
    url: '/snapshot/files/:id/:name',
    exposeHeadRoute: false,
    handler: (req, reply) => serve(deps, req, reply, req.params.id, req.params.name),
  });
}

async function serve(
  deps: SnapshotRouteDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  id: string,
  name: string,
): Promise<unknown> {
  const file = /^\d{1,15}$/.test(id) ? await deps.store.getSnapshotFile(Number(id)) : undefined;
  if (!file || name !== basename(file.path)) return sendError(reply, notFound(req));
  const query = new URLSearchParams(req.raw.url?.split('?')[1] ?? '');
  const decision = await deps.admission.play(
    httpPlayRequest('flv', { hostHeader: req.hostname, app: file.app, stream: file.stream, query, clientIp: req.ip }),
  );
  if (decision.kind !== 'admitted') {
    deps.counters.rejectedPlays++;
    return sendError(
      reply,
      decision.kind === 'refused' ? new LiveError(decision.refusal.code, decision.refusal.reason) : notFound(req),
    );
  }
  let jpeg: Buffer;
  try {
    // Pictures are small (snapshot.maxJpegBytes): read whole.
    jpeg = await readFile(insideRoot(deps.root, file.path));
  } catch {
    return sendError(reply, notFound(req));
  }
  reply.code(200).headers({
    ...cors,
    'content-type': 'image/jpeg',
    'content-length': String(jpeg.length),
    'cache-control': 'max-age=3600',
  });
  return req.method === 'HEAD' ? reply.send() : reply.send(jpeg);
}

function notFound(req: FastifyRequest): LiveError {
  return new LiveError('SNAPSHOT_FILE_NOT_FOUND', `no such snapshot: ${req.url.split('?')[0]}`);
}

function sendError(reply: FastifyReply, err: LiveError): FastifyReply {
  return reply
    .code(playbackStatusOf(err))
    .headers({ ...cors, 'cache-control': 'no-cache' })
    .send(errorBody(err));
}
