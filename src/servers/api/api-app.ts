/**
 * The admin listener: the Tencent-compatible Cloud API (`POST /` and `GET /`, TC3-HMAC-SHA256 or signature v1, version
 * 2018-08-01, tencent-css.md §3) and the web console's files under `/console/`. Every API answer is
 * HTTP 200 with Tencent's envelope, because Tencent's SDKs read the error code only from there
 * (tencent-sdk-notes.md: a non-200 status loses the code). Only service.ts calls listen.
 */
import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Credentials } from '../../control/credentials.ts';
import type { ReplayCache } from '../../control/tc3-replay-cache.ts';
import type { ServerCounters } from '../counters.ts';
import { ApiError, type ApiActions } from './api-action.ts';
import type { ApiDeps } from './api-deps.ts';
import { apiErrorOf } from './api-errors.ts';
import { allActions } from './actions/index.ts';
import { ApiGuard } from './api-guard.ts';
import type { SharedCounters } from '../../cluster/coordinator.ts';
import { registerConsole } from './console-route.ts';
import { lazySchemaCompilers } from '../http/lazy-schema-compilers.ts';
import { hardenHttpServer } from '../http/http-hardening.ts';
import { language, localized, signedCall } from './api-signed-call.ts';

/** The API version every request must name (X-TC-Version). */
export const apiVersion = '2018-08-01';
/** The ceiling of any admin request body; `POST /` has its own, smaller `api.maxBodyBytes` (docs/security.md). */
export const maxBodyBytes = 1024 * 1024;

/** What the admin app needs beyond the actions' dependencies. */
export interface ApiAppDeps extends ApiDeps {
  readonly credentials: Credentials;
  /** The actions served; all registered groups by default. */
  readonly actions?: ApiActions;
  /** The built console (`console/dist`); undefined serves no console. */
  readonly consoleDir?: string | undefined;
  /** Where refusals are counted for /metrics (`openlive_connection_errors_total{code}`). */
  readonly counters?: ServerCounters | undefined;
  /** Used signatures; default in this process (a cluster passes the Coordinator's). */
  readonly replayCache?: ReplayCache | undefined;
  /** With a cluster: the Coordinator's counters, so the per-address limit and failure delays count cluster-wide. */
  readonly sharedCounters?: SharedCounters | undefined;
  /** The wait of a delayed authentication failure; tests pass one that does not sleep. */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  readonly random?: (() => number) | undefined;
}

/** The envelope of every answer. */
export type ApiEnvelope = { Response: Record<string, unknown> & { RequestId: string } };

/** Builds the admin fastify instance: `POST /` for the API, `/console/` for the console. */
export function buildApiApp(deps: ApiAppDeps): FastifyInstance {
  const log = deps.log.child({ server: 'api' });
  const app = Fastify({
    loggerInstance: log.child({}, { level: 'warn' }) as FastifyBaseLogger,
    bodyLimit: maxBodyBytes,
    schemaController: { compilersFactory: lazySchemaCompilers },
  });
  hardenHttpServer(app, 'admin', deps.config.api, deps.config.limits.trustedNetworks);
  const actions = deps.actions ?? allActions(deps);
  const guard = new ApiGuard(deps);
  const bodyLimit = deps.config.api.maxBodyBytes;
  app.addHook('onClose', async () => guard.close());

  // The signature covers the exact bytes, so every body is taken raw and parsed only after verification.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const answer = (req: FastifyRequest, reply: FastifyReply, requestId: string, err: unknown): ApiEnvelope => {
    const e = apiErrorOf(err);
    if (e.code === 'InternalError')
      log.error({ err: e.cause ?? err, requestId, action: req.headers['x-tc-action'] }, 'Cloud API internal error');
    traceHeader(req, reply, requestId);
    return {
      Response: { Error: { Code: e.code, Message: localized(e.code, e.message, language(req)) }, RequestId: requestId },
    };
  };

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const requestId = randomUUID();
    let apiErr: unknown = err;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      deps.counters?.countError('API_BODY_TOO_LARGE');
      apiErr = new ApiError(
        'RequestSizeLimitExceeded',
        `The request body is larger than ${bodyLimit} bytes (API_BODY_TOO_LARGE).`,
      );
    } else if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      // fastify's own refusals of a malformed request (bad Content-Length, ...) are the client's fault, not InternalError.
      apiErr = new ApiError('InvalidParameter', `The request is malformed (${err.code}).`);
    }
    return reply.code(200).send(answer(req, reply, requestId, apiErr));
  });

  // The per-address limit runs on onRequest, before the body is read or any HMAC computed.
  const admit = async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      guard.admit(req.ip);
    } catch (err) {
      return reply.code(200).send(answer(req, reply, randomUUID(), err));
    }
  };
  const call = async (req: FastifyRequest, reply: FastifyReply) => {
    const requestId = randomUUID();
    const started = performance.now();
    try {
      const signed = await signedCall(guard, req, requestId);
      const handler = checkAction(actions, signed.action, signed.version);
      const result = await handler(signed.params, signed.ctx);
      traceHeader(req, reply, requestId);
      log.debug(
        { action: signed.action, secretId: signed.ctx.secretId, ms: Math.round(performance.now() - started) },
        'Cloud API call',
      );
      return { Response: { ...result, RequestId: requestId } };
    } catch (err) {
      return answer(req, reply, requestId, err);
    }
  };
  // POST with JSON (TC3) or a form (v1), GET with the query (TC3 `reqMethod: "GET"` or v1): all at `/`.
  // A GET of `/` that is no API call is answered as one that failed to sign, not redirected: an SDK that
  // forgot a setting gets a code it can read. The console keeps its own path, `/console/`.
  app.post('/', { bodyLimit, onRequest: admit }, call);
  app.get('/', { onRequest: admit }, call);
  registerConsole(app, deps.consoleDir);
  return app;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Tencent's SDKs put the response's X-TC-TraceId on their exceptions: echo the caller's, else the RequestId. */
function traceHeader(req: FastifyRequest, reply: FastifyReply, requestId: string): void {
  reply.header('x-tc-traceid', header(req, 'x-tc-traceid') ?? requestId);
}

/** The handler of a known action at the supported version. */
function checkAction(actions: ApiActions, action: string | undefined, version: string | undefined) {
  if (!action) throw new ApiError('MissingParameter', 'The request is missing the X-TC-Action header.');
  if (!version) throw new ApiError('MissingParameter', 'The request is missing the X-TC-Version header.');
  if (version !== apiVersion)
    throw new ApiError('NoSuchVersion', `Version ${version} does not exist; openlive serves live ${apiVersion}.`);
  const handler = Object.hasOwn(actions, action) ? actions[action] : undefined;
  if (!handler) throw new ApiError('InvalidAction', `The action ${action} does not exist.`);
  return handler;
}

/** The JSON object of the body (exported for the fuzzer). */
export { parseParams } from './api-signed-call.ts';
