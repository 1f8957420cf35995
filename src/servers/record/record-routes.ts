/**
 * Playback of recordings on the playback port: `GET /record/files/<fileId>/<name>` with byte ranges
 * (RFC 9110 §14) and the format's content type. The file is found by its id in the store; the name must be
 * the file's own (or, for HLS, one of its segments as the format recognises them), so nothing from the URL
 * becomes a path. Each request is a play of the file's stream through admission: with play auth on, the
 * play domain's signature (`txSecret`, `txTime`) is required, and HLS playlists pass it on to their segments.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LiveError } from '../../errors.ts';
import type { PlayAdmitter } from '../../control/admission-play.ts';
import { httpPlayRequest } from '../../control/admission-request.ts';
import type { RecordFile, RecordStore } from '../../store/record-store.ts';
import { errorBody, playbackStatusOf } from '../http/error-reply.ts';
import { parseByteRange } from '../hls/byte-range.ts';
import { authSuffix } from '../hls/hls-routes.ts';
import type { ServerCounters } from '../counters.ts';
import { availableFormats } from './formats/record-formats.ts';
import type { RecordFs } from './record-fs.ts';
import { insideRoot } from './record-names.ts';
import type { RemoteRecordStorage } from './storage/s3-record-storage.ts';

/** What the record routes serve from. */
export interface RecordRouteDeps {
  readonly store: Pick<RecordStore, 'getRecordFile'>;
  readonly root: string;
  readonly fs: Pick<RecordFs, 'size'>;
  readonly admission: PlayAdmitter;
  readonly counters: ServerCounters;
  /**
   * With record.storage s3: a file no longer on the local disk is read from the bucket and proxied with its
   * ranges (the bucket's address and credentials never reach a player; play auth applies as for local files).
   */
  readonly remote?: {
    readonly storage: Pick<RemoteRecordStorage, 'size' | 'read'>;
    keyOf(relativePath: string): string;
  };
}

const cors = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'Content-Length, Content-Range, Accept-Ranges',
};

/** The URL path of a recorded file (its main file, or `name` beside it). */
export function recordFilePath(file: Pick<RecordFile, 'id' | 'path'>, name = basename(file.path)): string {
  return `/record/files/${file.id}/${encodeURIComponent(name)}`;
}

/** Registers `GET`/`HEAD /record/files/:id/:name`. */
export function registerRecordRoutes(app: FastifyInstance, deps: RecordRouteDeps): void {
  app.route<{ Params: { id: string; name: string } }>({
    method: ['GET', 'HEAD'],
    url: '/record/files/:id/:name',
    exposeHeadRoute: false,
    handler: (req, reply) => serve(deps, req, reply, req.params.id, req.params.name),
  });
}

async function serve(
  deps: RecordRouteDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  id: string,
  name: string,
): Promise<unknown> {
  const file = /^\d{1,15}$/.test(id) ? await deps.store.getRecordFile(Number(id)) : undefined;
  const format = file && availableFormats[file.format as keyof typeof availableFormats];
  if (!file || !format) return sendError(reply, notFound(req));
  const main = basename(file.path);
  const base = main.slice(0, main.lastIndexOf('.'));
  const part = name === main ? undefined : format.partOf?.(base, name);
  if (name !== main && !part) return sendError(reply, notFound(req));
  const query = new URLSearchParams(req.raw.url?.split('?')[1] ?? '');
  const decision = await deps.admission.play(
    httpPlayRequest(format.name === 'hls' ? 'hls' : 'flv', {
      hostHeader: req.hostname,
      app: file.app,
      stream: file.stream,
      query,
      clientIp: req.ip,
    }),
  );
  if (decision.kind !== 'admitted') {
    deps.counters.rejectedPlays++;
    return sendError(
      reply,
      decision.kind === 'refused' ? new LiveError(decision.refusal.code, decision.refusal.reason) : notFound(req),
    );
  }
  const path = insideRoot(deps.root, join(dirname(file.path), name));
  const local = await deps.fs.size(path);
  const key = local === undefined && deps.remote ? deps.remote.keyOf(join(dirname(file.path), name)) : undefined;
  const size = local ?? (key === undefined ? undefined : await deps.remote!.storage.size(key).catch(() => undefined));
  if (size === undefined) return sendError(reply, notFound(req));
  const body = (start: number, end: number) =>
    key === undefined ? createReadStream(path, { start, end }) : deps.remote!.storage.read(key, start, end);
  const contentType = part?.contentType ?? format.contentType;
  const recording = file.endedAt === null;
  if (format.name === 'hls' && !part) {
    // The playlist is small: read whole and passed the signature on to its segment lines.
    const suffix = authSuffix(query);
    let text =
      key === undefined
        ? await readFile(path, 'utf8')
        : await streamText(await deps.remote!.storage.read(key, 0, size - 1));
    if (suffix) text = text.replace(/^([^#\n].*)$/gm, `$1${suffix}`);
    return reply
      .code(200)
      .headers({ ...cors, 'content-type': contentType, 'cache-control': recording ? 'no-cache' : 'max-age=60' })
      .send(text);
  }
  const range = parseByteRange(req.headers.range, size);
  const headers = {
    ...cors,
    'content-type': contentType,
    'accept-ranges': 'bytes',
    'cache-control': recording ? 'no-cache' : 'max-age=3600',
  };
  if (range === 'unsatisfiable')
    return reply
      .code(416)
      .headers({ ...headers, 'content-range': `bytes */${size}` })
      .send();
  const { start, end } = range ?? { start: 0, end: size - 1 };
  reply.code(range ? 206 : 200).headers({ ...headers, 'content-length': String(Math.max(0, end - start + 1)) });
  if (range) reply.header('content-range', `bytes ${start}-${end}/${size}`);
  if (req.method === 'HEAD' || size === 0) return reply.send();
  return reply.send(await body(start, end));
}

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function notFound(req: FastifyRequest): LiveError {
  return new LiveError('RECORD_FILE_NOT_FOUND', `no such recording: ${req.url.split('?')[0]}`);
}

function sendError(reply: FastifyReply, err: LiveError): FastifyReply {
  return reply
    .code(playbackStatusOf(err))
    .headers({ ...cors, 'cache-control': 'no-cache' })
    .send(errorBody(err));
}
