/**
 * The HLS HTTP routes: `GET/HEAD /{app}/{stream}.m3u8` (a media playlist, RFC 8216; LL-HLS per
 * domain) and `GET/HEAD /{app}/{stream}/{gen}_{msn}.ts` and `…_{msn}_{part}.ts` (segments and
 * parts; `.m4s` and the `{gen}_init{id}.mp4` init segments with `hls.segmentFormat: fmp4`). Both pass the play-URL check: segment URIs carry the playlist's txSecret/txTime, which
 * the policy verifies for the same stream name, so a signed playlist yields playable segments and
 * the key never leaves the server.
 */
import { streamKey } from '../stream-key.ts';
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LiveError } from '../../errors.ts';
import type { PlayGrant, Refused } from '../../control/admission-outcome.ts';
import type { PlayAdmitter } from '../../control/admission-play.ts';
import { httpPlayRequest } from '../../control/admission-request.ts';
import type { ServerCounters } from '../counters.ts';
import { errorBody, playbackStatusOf, retryHeaders } from '../http/error-reply.ts';
import { readReloadDirective, reloadState, type ReloadDirective } from './blocking-reload.ts';
import { parseByteRange } from './byte-range.ts';
import { lowLatencyFor } from './hls-options.ts';
import type { HlsServer } from './hls-server.ts';
import type { HlsStream } from './hls-stream.ts';
import type { ParkResult } from './request-parking.ts';
import { PlayDecisionCache } from './play-decision-cache.ts';
import { hlsSessionId, type HlsViewers } from './hls-viewers.ts';

/** What the HLS routes need. */
export interface HlsRouteDeps {
  readonly hls: HlsServer;
  /** Grants or refuses every playlist and segment request (control/admission.ts). */
  readonly admission: PlayAdmitter;
  readonly counters: ServerCounters;
}

const cors = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'Content-Length, Content-Range, Date',
};
// Segment and part URIs are unique for ever (a generation per segmenter run), so caches may keep them.
const immutable = 'public, max-age=31536000, immutable';
const namePattern = /^[A-Za-z0-9_\-.~]{1,256}$/;
const mediaFile = /^([0-9a-z]{1,20})_(\d{1,15})(?:_(\d{1,6}))?\.(ts|m4s)$/;
/** fMP4 init segments (EXT-X-MAP): `{gen}_init{id}.mp4`. */
const initFile = /^([0-9a-z]{1,20})_init(\d{1,15})\.mp4$/;
/** Content types: MPEG-TS (RFC 8216 §3.2), and MP4 for fMP4 init and media segments (RFC 8216 §3.3, as Apple serves them). */
const contentTypes: Record<string, string> = { ts: 'video/mp2t', m4s: 'video/mp4', mp4: 'video/mp4' };

/** Serves one playlist request for `app`/`name` (the `.m3u8` branch of the `/:app/:file` route). */
export async function serveHlsPlaylist(
  deps: HlsRouteDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  app: string,
  name: string,
): Promise<void> {
  const query = queryOf(req);
  let directive: ReloadDirective | undefined;
  try {
    directive = readReloadDirective(query);
  } catch (err) {
    return sendError(reply, err);
  }
  const decision = await checkPlay(deps, req, app, name, query);
  if (decision.kind !== 'admitted') {
    deps.counters.rejectedPlays++;
    return sendError(reply, new LiveError(decision.refusal.code, decision.refusal.reason));
  }
  const key = streamKey(app, name);
  const stream = await deps.hls.openOrPull(key, name);
  if (!stream) return sendError(reply, new LiveError('STREAM_NOT_FOUND', `stream ${key} is not publishing`));
  const o = deps.hls.options;
  // A cold stream's first playlist waits for hls.startSegments whole segments (a buffer to start from),
  // and is served with what there is once startWaitMs passes; only no segment at all is an error.
  const ready = (): boolean => stream.segments.length >= o.startSegments || stream.ended;
  const started = await park(deps, req, reply, stream, ready, o.startWaitMs);
  if (started === undefined) return;
  if (started === 'timeout' && stream.segments.length === 0) {
    if (!stream.live) return sendError(reply, new LiveError('STREAM_NOT_FOUND', `stream ${key} is not publishing`));
    return sendError(
      reply,
      new LiveError('HLS_NOT_READY', `stream ${key} produced no HLS segment within ${o.startWaitMs} ms`),
    );
  }
  const ll = lowLatencyFor(o, decision.domain);
  // RFC 8216bis §6.2.5.2: directives are ignored once the playlist has an ENDLIST, and by a plain playlist.
  if (ll && directive && !stream.ended) {
    const partTarget = o.partTargetMs / 1000;
    const state = reloadState(stream, directive, partTarget);
    if (state === 'too-far') {
      const at = `${directive.msn}${directive.part === undefined ? '' : `.${directive.part}`}`;
      return sendError(reply, new LiveError('HLS_RELOAD_INVALID', `segment ${at} is too far ahead of the live edge`));
    }
    const d = directive;
    const waitMs = 3 * stream.targetDuration * 1000;
    const reloaded =
      state === 'wait'
        ? await park(deps, req, reply, stream, () => reloadState(stream, d, partTarget) === 'ready', waitMs)
        : 'ready';
    if (reloaded === undefined) return;
    if (reloaded === 'timeout') {
      return sendError(
        reply,
        new LiveError('HLS_NOT_READY', `segment ${d.msn} part ${d.part ?? '-'} did not come within ${waitMs} ms`),
      );
    }
  }
  stream.lastRequestAt = o.now();
  const body = Buffer.from(stream.playlist(ll, authSuffix(query)));
  reply.code(200).headers({
    ...cors,
    'content-type': 'application/vnd.apple.mpegurl',
    // Short-lived: a plain playlist changes once per segment; an LL-HLS one with every part.
    'cache-control': ll ? 'no-cache' : 'public, max-age=1',
    'content-length': body.length,
  });
  // A viewer session per player (hls-viewers.ts): HEADs are probes, not viewers.
  if (req.method !== 'HEAD')
    deps.hls.viewers.playlist(
      key,
      hlsSessionId(query, req.ip, req.headers['user-agent']),
      req.ip,
      req.hostname,
      body.length,
    );
  return reply.send(req.method === 'HEAD' ? undefined : body);
}

/** Registers the segment and part route, `/{app}/{stream}/{file}.ts`. */
export function registerHlsMediaRoute(app: FastifyInstance, deps: HlsRouteDeps): void {
  app.route<{ Params: { app: string; stream: string; file: string } }>({
    method: ['GET', 'HEAD'],
    url: '/:app/:stream/:file',
    exposeHeadRoute: false,
    handler: (req, reply) => serveHlsMedia(deps, req, reply),
  });
  app.options('/:app/:stream/:file', (_req, reply) => {
    reply
      .code(204)
      .headers({
        ...cors,
        'access-control-allow-methods': 'GET, HEAD',
        'access-control-allow-headers': 'Range',
        'access-control-max-age': '86400',
      })
      .send();
  });
}

async function serveHlsMedia(
  deps: HlsRouteDeps,
  req: FastifyRequest<{ Params: { app: string; stream: string; file: string } }>,
  reply: FastifyReply,
): Promise<void> {
  const { app, stream: name, file } = req.params;
  const m = mediaFile.exec(file);
  const initMatch = m ? null : initFile.exec(file);
  if ((!m && !initMatch) || !namePattern.test(app) || !namePattern.test(name)) {
    return sendError(reply, new LiveError('STREAM_NOT_FOUND', `no such playback URL: ${req.url.split('?')[0]}`));
  }
  const query = queryOf(req);
  const decision = await checkPlay(deps, req, app, name, query);
  if (decision.kind !== 'admitted') {
    deps.counters.rejectedPlays++;
    return sendError(reply, new LiveError(decision.refusal.code, decision.refusal.reason));
  }
  const key = streamKey(app, name);
  const stream = deps.hls.get(key);
  if (!stream)
    return sendError(
      reply,
      new LiveError('STREAM_NOT_FOUND', `stream ${key} has no HLS segments; load its playlist first`),
    );
  if (initMatch) return sendInit(req, reply, stream, initMatch[1]!, Number(initMatch[2]), deps.hls.viewers);
  const [, gen, msnText, partText, ext] = m!;
  if (ext !== (deps.hls.options.segmentFormat === 'fmp4' ? 'm4s' : 'ts')) {
    return sendError(
      reply,
      new LiveError('HLS_SEGMENT_NOT_FOUND', `${key} serves ${deps.hls.options.segmentFormat} segments, not .${ext}`),
    );
  }
  const msn = Number(msnText);
  const part = partText === undefined ? undefined : Number(partText);
  const what = part === undefined ? `segment ${msn}` : `part ${msn}.${part}`;
  if (gen !== stream.gen)
    return sendError(
      reply,
      new LiveError('HLS_SEGMENT_NOT_FOUND', `${what} belongs to an earlier run of ${key}; reload the playlist`),
    );
  if (upcoming(stream, msn, part)) {
    // A hinted part (RFC 8216bis §4.4.5.3) or the segment in progress: answer as soon as it is complete.
    if (
      (await park(deps, req, reply, stream, () => !upcoming(stream, msn, part), 3 * stream.targetDuration * 1000)) ===
      undefined
    )
      return;
  }
  return sendMedia(req, reply, stream, msn, part, what, contentTypes[ext!]!, deps.hls.viewers);
}

/** An fMP4 init segment from memory (a few hundred bytes, held while a listed segment names it). */
function sendInit(
  req: FastifyRequest,
  reply: FastifyReply,
  stream: HlsStream,
  gen: string,
  id: number,
  viewers: HlsViewers,
): FastifyReply {
  const init = gen === stream.gen ? stream.init(id) : undefined;
  if (!init)
    return sendError(
      reply,
      new LiveError('HLS_SEGMENT_NOT_FOUND', `init segment ${id} of ${stream.key} is not held; reload the playlist`),
    );
  const headers = {
    ...cors,
    'content-type': contentTypes.mp4!,
    'cache-control': immutable,
    'content-length': init.bytes.length,
  };
  reply.code(200).headers(headers);
  if (req.method !== 'HEAD') viewers.media(stream.key, init.bytes.length);
  return reply.send(req.method === 'HEAD' ? undefined : init.bytes);
}

/**
 * Parks the request on the stream's waiters within the caps (request-parking.ts). Undefined when
 * nothing is left to send: the client went away, or the refusal (429/503) was sent and counted.
 */
async function park(
  deps: HlsRouteDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  stream: HlsStream,
  ready: () => boolean,
  timeoutMs: number,
): Promise<Exclude<ParkResult, 'gone'> | undefined> {
  try {
    const result = await deps.hls.parking.park(stream.waiters, ready, timeoutMs, {
      ip: req.ip,
      socket: req.raw.socket,
      response: reply.raw,
    });
    return result === 'gone' ? undefined : result;
  } catch (err) {
    if (err instanceof LiveError) deps.counters.countError(err.code);
    sendError(reply, err);
    return undefined;
  }
}

/** Whether a segment or part is still being built (or is the very next one), so worth waiting for. */
function upcoming(stream: HlsStream, msn: number, part: number | undefined): boolean {
  if (!stream.live) return false;
  const current = stream.current;
  if (current?.msn === msn) return part === undefined || part === current.parts.length;
  // Between segments (before the first keyframe), the hint names part 0 of the next one.
  return !current && part === 0 && msn === stream.nextMsn;
}

function sendMedia(
  req: FastifyRequest,
  reply: FastifyReply,
  stream: HlsStream,
  msn: number,
  partIndex: number | undefined,
  what: string,
  contentType: string,
  viewers: HlsViewers,
): FastifyReply {
  const seg = stream.segment(msn);
  const bytes = partIndex === undefined ? seg?.bytes : stream.part(msn, partIndex)?.bytes;
  const onDisk = partIndex === undefined && seg && !seg.bytes && seg.stored;
  const size = bytes?.length ?? (onDisk ? seg.size : 0);
  if (!bytes?.length && !onDisk) {
    const oldest = stream.segments[0]?.msn ?? 0;
    const why = msn < oldest ? 'has expired' : 'is not held';
    return sendError(reply, new LiveError('HLS_SEGMENT_NOT_FOUND', `${what} of ${stream.key} ${why}`));
  }
  const range = parseByteRange(req.headers.range, size);
  const headers = { ...cors, 'content-type': contentType, 'cache-control': immutable, 'accept-ranges': 'bytes' };
  if (range === 'unsatisfiable') {
    return reply
      .code(416)
      .headers({ ...headers, 'content-range': `bytes */${size}` })
      .send();
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  reply.code(range ? 206 : 200).headers({ ...headers, 'content-length': end - start + 1 });
  if (range) reply.header('content-range', `bytes ${start}-${end}/${size}`);
  if (req.method === 'HEAD') return reply.send();
  // Statistics: bytes per stream, counted once per request (hls-viewers.ts).
  viewers.media(stream.key, end - start + 1);
  if (bytes) return reply.send(range ? bytes.subarray(start, end + 1) : bytes);
  return reply.send(createReadStream(stream.filePath(seg!), { start, end }));
}

// One decision cache per set of route deps (app.ts builds them once per app).
const decisionCaches = new WeakMap<HlsRouteDeps, PlayDecisionCache>();

/** Admission's play decision, with grants remembered for a second (play-decision-cache.ts). */
function checkPlay(
  deps: HlsRouteDeps,
  req: FastifyRequest,
  app: string,
  stream: string,
  query: URLSearchParams,
): Promise<PlayGrant | Refused> {
  let cache = decisionCaches.get(deps);
  if (!cache) decisionCaches.set(deps, (cache = new PlayDecisionCache(deps.admission, deps.hls.options.now)));
  const request = httpPlayRequest('hls', {
    hostHeader: req.hostname,
    app,
    stream,
    query,
    clientIp: req.ip,
    referer: req.headers.referer ?? '',
  });
  // Nothing is asked to be still wanted, so nothing is abandoned: a client gone meanwhile is seen when parking.
  return cache.play(request) as Promise<PlayGrant | Refused>;
}

/** The query of the request URL. */
function queryOf(req: FastifyRequest): URLSearchParams {
  const url = req.raw.url ?? '';
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}

/** The signature parameters a playlist passes on to its segment URIs (`?txSecret=…&txTime=…`), or ''. */
export function authSuffix(query: URLSearchParams): string {
  const secret = query.get('txSecret');
  const time = query.get('txTime');
  if (secret === null && time === null) return '';
  const out = new URLSearchParams();
  if (secret !== null) out.set('txSecret', secret);
  if (time !== null) out.set('txTime', time);
  return `?${out.toString()}`;
}

/** A JSON error with CORS, never cached; the status from playbackStatusOf (HLS_NOT_READY is 503, RFC 8216bis §6.2.5.2). */
function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const status = playbackStatusOf(err);
  return reply
    .code(status)
    .headers({ ...cors, 'cache-control': 'no-cache', ...retryHeaders(status) })
    .send(errorBody(err));
}
