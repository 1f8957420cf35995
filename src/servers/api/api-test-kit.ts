/**
 * For unit tests of the Cloud API: real control services over a MemoryStore on a settable clock, a
 * credential, the admin app, and `call()` which signs a request with TC3 the way Tencent's SDK does
 * and sends it through `app.inject()`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { configSchema } from '../../cli/config-schema.ts';
import { Credentials, type NewCredential } from '../../control/credentials.ts';
import { Domains } from '../../control/domains.ts';
import type { TxtCheckOptions } from '../../control/txt-check.ts';
import { PublishRecords } from '../../control/publish-records.ts';
import { StreamPolicy } from '../../control/stream-policy.ts';
import { signTc3 } from '../../control/tc3.ts';
import { Hub } from '../../hub/hub.ts';
import { createLog } from '../../log.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { LivePublisherRegistry } from '../ingest/live-publishers.ts';
import { ServerCounters } from '../counters.ts';
import type { ApiActions } from './api-action.ts';
import type { ApiDeps } from './api-deps.ts';
import { buildApiApp } from './api-app.ts';

/** 2026-11-25 10:00:00 UTC, the kit's starting time. */
export const kitStart = Date.UTC(2026, 10, 25, 10, 0, 0);

/** What a test gets: deps it can inspect, the app, a credential and a settable clock. */
export interface ApiKit {
  readonly deps: ApiDeps;
  readonly store: MemoryStore;
  readonly credentials: Credentials;
  readonly key: NewCredential;
  readonly app: FastifyInstance;
  /** The clock's current Unix ms; tests move it. */
  clock: number;
  /** Refusals counted by openlive code. */
  readonly counters: ServerCounters;
  /** The waits of delayed authentication failures, in ms (the kit does not sleep). */
  readonly delays: number[];
  /** Sends a signed call and returns the parsed `Response`. */
  call(action: string, params?: Record<string, unknown>, options?: CallOptions): Promise<Record<string, any>>;
  close(): Promise<void>;
}

/** Ways to bend a call for negative tests. */
export interface CallOptions {
  readonly secretId?: string;
  readonly secretKey?: string;
  readonly timestampSeconds?: number;
  readonly version?: string | null;
  readonly headers?: Record<string, string>;
  /** The body as sent, instead of JSON of the params. */
  readonly rawBody?: string;
  /**
   * Sign only `content-type;host`, as Tencent's SDKs do: two such calls with one body in one kit second
   * share a signature. By default the kit also signs `x-tc-action` and a unique `x-tc-traceid`.
   */
  readonly sdkSigning?: boolean;
  /** The client address (default 127.0.0.1). */
  readonly remoteAddress?: string;
}

/** Config overrides (schema defaults otherwise), other actions than the registered groups, where CNAME queries go. */
export interface KitOptions {
  readonly config?: Record<string, unknown>;
  readonly actions?: (deps: ApiDeps) => ApiActions;
  /** Default: a closed port with a 50 ms timeout, so every CNAME check fails fast (BCName 0). */
  readonly dns?: TxtCheckOptions;
}

/** Builds the kit; `config` overrides schema defaults, `actions` replaces the registered groups. */
export async function apiKit(options: KitOptions = {}): Promise<ApiKit> {
  const store = new MemoryStore();
  const kit = { clock: kitStart } as { clock: number };
  const now = (): number => kit.clock;
  // No rate limits unless a test sets one: the kit's clock stands still.
  const config = configSchema.parse({
    ...options.config,
    api: { rateLimitPerSecond: 0, rateLimitPerIpPerSecond: 0, ...(options.config?.api as object) },
    log: { level: 'silent' },
  });
  const publishers = new LivePublisherRegistry();
  const deps: ApiDeps = {
    config,
    store,
    domains: new Domains({ store, now, dns: options.dns ?? { servers: ['127.0.0.1:9'], timeoutMs: 50, tries: 1 } }),
    streams: new StreamPolicy({ store, live: publishers, now }),
    records: new PublishRecords({ store, now }),
    publishers,
    hub: new Hub({ now }),
    log: createLog('silent'),
    now,
  };
  const credentials = new Credentials({ store, dataKey: randomBytes(32), now });
  const key = await credentials.create('test');
  const delays: number[] = [];
  const sleep = async (ms: number) => void delays.push(ms);
  const counters = new ServerCounters();
  const app = buildApiApp({
    ...deps,
    credentials,
    sleep,
    counters,
    ...(options.actions && { actions: options.actions(deps) }),
  });
  await app.ready();
  return Object.assign(kit, {
    deps,
    store,
    credentials,
    key,
    app,
    counters,
    delays,
    async call(action: string, params: Record<string, unknown> = {}, o: CallOptions = {}) {
      const payload = o.rawBody ?? JSON.stringify(params);
      const timestampSeconds = o.timestampSeconds ?? Math.floor(kit.clock / 1000);
      const extra: Record<string, string> = o.sdkSigning ? {} : { 'x-tc-action': action, 'x-tc-traceid': randomUUID() };
      const authorization = signTc3({
        extraSignedHeaders: extra,
        secretId: o.secretId ?? key.secretId,
        secretKey: o.secretKey ?? key.secretKey,
        service: 'live',
        host: 'localhost',
        timestampSeconds,
        payload,
      });
      const headers: Record<string, string> = {
        host: 'localhost:8081',
        'content-type': 'application/json',
        ...extra,
        'x-tc-action': action,
        'x-tc-timestamp': String(timestampSeconds),
        authorization,
        ...(o.version !== null && { 'x-tc-version': o.version ?? '2018-08-01' }),
        ...o.headers,
      };
      const res = await app.inject({
        method: 'POST',
        url: '/',
        headers,
        payload,
        remoteAddress: o.remoteAddress ?? '127.0.0.1',
      });
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${res.body}`);
      return (res.json() as { Response: Record<string, any> }).Response;
    },
    async close() {
      await app.close();
      deps.hub.close();
    },
  });
}
