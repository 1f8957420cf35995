/** Builds the public HTTP app (playback, health, metrics); only main.ts calls listen (fastify testing guide). */
import { registerSnapshotRoutes, type SnapshotRouteDeps } from '../snapshot/snapshot-routes.ts';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { LiveError } from '../../errors.ts';
import type { PlayAdmitter } from '../../control/admission-play.ts';
import type { Hub } from '../../hub/hub.ts';
import type { Log } from '../../log.ts';
import type { ServerCounters } from '../counters.ts';
import { serveFlv } from './flv-route.ts';
import { lazySchemaCompilers } from './lazy-schema-compilers.ts';
import { registerWsFlv } from './ws-flv-route.ts';
import type { HlsServer } from '../hls/hls-server.ts';
import { registerHlsMediaRoute, serveHlsPlaylist } from '../hls/hls-routes.ts';
import { createMetrics } from './metrics.ts';
import { registerRecordRoutes, type RecordRouteDeps } from '../record/record-routes.ts';
import type { Registry } from 'prom-client';
import { errorBody, frameworkRefusal, playbackStatusOf } from './error-reply.ts';
import { ConnectionGate } from '../connection-gate.ts';
import { hardenHttpServer, type HttpGuard, type HttpListenerLimits } from './http-hardening.ts';
import { checkRequestShape, type RequestShapeLimits } from './request-shape.ts';
import { isWebrtcSignalling, registerWebrtcRoutes } from '../webrtc/webrtc-routes.ts';
import type { WebrtcServer } from '../webrtc/webrtc-server.ts';
import type { SessionForwarder } from '../webrtc/session-owner.ts';

/** What the HTTP app serves from. */
export interface HttpAppDeps {
  readonly hub: Hub;
  /** Grants or refuses every play (control/admission.ts). */
  readonly admission: PlayAdmitter;
  readonly counters: ServerCounters;
  readonly log: Log;
  readonly playWaitMs: number;
  /** HTTP-FLV bodies with chunked transfer encoding instead of close-delimited ones. */
  readonly flvChunked: boolean;
  /** HLS playback (`.m3u8` playlists and their segments); without it those URLs are 404. */
  readonly hls?: HlsServer;
  /** The `http.*` limits (docs/security.md "HTTP playback and HLS"). */
  readonly limits: PlaybackLimits;
  /** `limits.trustedNetworks`: exempt from the per-address caps. */
  readonly trustedNetworks: readonly string[];
  /** Every hardened listener (this one and the admin one), read at scrape time for /metrics. */
  readonly listeners?: () => readonly HttpGuard[];
  /** Playback of recordings (`/record/files/...`, servers/record/record-routes.ts); without it those URLs are 404. */
  readonly records?: Omit<RecordRouteDeps, 'admission' | 'counters'>;
  /** Snapshot pictures (`/snapshot/files/...`, servers/snapshot/snapshot-routes.ts). */
  readonly snapshots?: Omit<SnapshotRouteDeps, 'admission' | 'counters'>;
  /** Adds metrics of other parts (push relays) to /metrics. */
  readonly extraMetrics?: (registry: Registry) => void;
  /** This node's id (`cluster.nodeId`): every /metrics series carries it as `node="<id>"`. */
  readonly nodeId?: string;
  /** WHIP/WHEP (servers/webrtc); `server` undefined when webrtc.enabled is false (404 WEBRTC_DISABLED). */
  readonly webrtc?: {
    readonly server: WebrtcServer | undefined;
    readonly maxSdpBytes: number;
    /** Worker processes: DELETE/PATCH of a sibling's session goes to it (webrtc/session-owner.ts). */
    readonly forwarder?: SessionForwarder | undefined;
  };
}

/** The playback listener's limits: the server-level ones, the query's, and the FLV players' wait. */
export interface PlaybackLimits extends HttpListenerLimits, RequestShapeLimits {
  /** Largest frame a WS-FLV player may send (`http.wsMaxFrameBytes`). */
  readonly wsMaxFrameBytes?: number;
  readonly maxWaitingPlayers: number;
  /** 0 = no per-address cap. */
  readonly maxWaitingPlayersPerIp: number;
}

/** App and stream names as Tencent allows them; anything else is a 404, never a path on disk. */
const namePattern = /^[A-Za-z0-9_\-.~]{1,256}$/;

/** Builds the fastify instance with every public route registered. */
export function buildHttpApp(deps: HttpAppDeps): FastifyInstance {
  const app = Fastify({
    // Per-request lines would drown the log under thousands of players; errors still get through.
    loggerInstance: deps.log.child({ server: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
    // A name is at most 256 characters (namePattern) plus `.m3u8`; a longer path segment names nothing.
    routerOptions: { maxParamLength: 262 },
    schemaController: { compilersFactory: lazySchemaCompilers },
    // The router's own refusals (a segment over maxParamLength, malformed percent-encoding) with a stable code.
    frameworkErrors: (err, _req, reply) => {
      const e =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new LiveError('STREAM_NOT_FOUND', 'no such playback URL: a path segment is longer than any name')
          : new LiveError('HTTP_BAD_REQUEST', `the URL cannot be routed: ${err.message}`);
      (reply as FastifyReply).code(playbackStatusOf(e)).header('access-control-allow-origin', '*').send(errorBody(e));
    },
  });
  const guard = hardenHttpServer(app, 'playback', deps.limits, deps.trustedNetworks);
  const l = deps.limits;
  const flvWaits = new ConnectionGate({
    maxTotal: l.maxWaitingPlayers,
    maxPerIp: l.maxWaitingPlayersPerIp,
    trusted: deps.trustedNetworks,
  });
  const metrics = createMetrics(deps.hub, deps.counters, deps.hls, {
    listeners: deps.listeners ?? (() => [guard]),
    flvWaiting: () => flvWaits.open,
  });
  // A constant label on every series (prom-client's default labels), so one Prometheus scrapes every node apart.
  if (deps.nodeId !== undefined) metrics.setDefaultLabels({ node: deps.nodeId });
  deps.extraMetrics?.(metrics);
  const flvDeps = { ...deps, waits: flvWaits };
  registerWsFlv(app.server, flvDeps);

  app.setErrorHandler((err: FastifyError | LiveError, _req, reply) => {
    if (err instanceof LiveError) return reply.code(playbackStatusOf(err)).send(errorBody(err));
    const refusal = frameworkRefusal(err);
    if (refusal) return reply.code(playbackStatusOf(refusal)).send(errorBody(refusal));
    const status = err.statusCode ?? 500;
    if (status >= 500) deps.log.error({ err }, 'http error');
    return reply.code(status).send({ code: status >= 500 ? 'INTERNAL' : err.code, message: err.message });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ code: 'NOT_FOUND', message: `no route for ${req.method} ${req.url}` });
  });

  // Before routing and any parsing of the query: an oversized query or a body is refused in linear time.
  app.addHook('onRequest', (req, reply, done) => {
    const refusal = checkRequestShape(
      req.raw,
      deps.limits,
      deps.webrtc !== undefined && isWebrtcSignalling(req.raw.method, req.raw.url),
    );
    if (!refusal) return done();
    deps.counters.countError(refusal.code);
    reply
      .code(playbackStatusOf(refusal))
      .header('access-control-allow-origin', '*')
      .header('connection', 'close')
      .send(errorBody(refusal));
  });
  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.metrics();
  });
  const hls = deps.hls && { hls: deps.hls, admission: deps.admission, counters: deps.counters };
  app.route<{ Params: { app: string; file: string } }>({
    method: ['GET', 'HEAD'],
    url: '/:app/:file',
    exposeHeadRoute: false,
    handler: async (req, reply) => {
      const { app: appName, file } = req.params;
      const dot = file.lastIndexOf('.');
      const name = dot > 0 ? file.slice(0, dot) : file;
      const ext = dot > 0 ? file.slice(dot + 1) : '';
      if (ext === 'flv' && namePattern.test(appName) && namePattern.test(name)) {
        return serveFlv(flvDeps, req, reply, appName, name);
      }
      if (ext === 'm3u8' && hls && namePattern.test(appName) && namePattern.test(name)) {
        return serveHlsPlaylist(hls, req, reply, appName, name);
      }
      const err = new LiveError('STREAM_NOT_FOUND', `no such playback URL: ${req.url.split('?')[0]}`);
      return reply.code(404).header('access-control-allow-origin', '*').send(errorBody(err));
    },
  });
  if (hls) registerHlsMediaRoute(app, hls);
  if (deps.webrtc) registerWebrtcRoutes(app, deps.webrtc.server, deps.webrtc.maxSdpBytes, deps.webrtc.forwarder);
  if (deps.records) registerRecordRoutes(app, { ...deps.records, admission: deps.admission, counters: deps.counters });
  if (deps.snapshots)
    registerSnapshotRoutes(app, { ...deps.snapshots, admission: deps.admission, counters: deps.counters });
  return app;
}
