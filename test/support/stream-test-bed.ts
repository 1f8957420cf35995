/**
 * The real control services behind the Cloud API (MemoryStore, Domains, StreamPolicy, PublishRecords,
 * LivePublisherRegistry, Hub) on a settable clock, with real PublishSessions standing in for encoders,
 * so action tests call handlers directly and see what a client would.
 */
import { configSchema } from '../../src/config/config-schema.ts';
import { Domains } from '../../src/control/domains.ts';
import { PublishRecords } from '../../src/control/publish-records.ts';
import { StreamPolicy } from '../../src/control/stream-policy.ts';
import { Hub } from '../../src/hub/hub.ts';
import { createLog } from '../../src/log.ts';
import type { MediaMessage } from '../../src/protocol/media.ts';
import type { ApiActions, ApiContext } from '../../src/servers/api/api-action.ts';
import type { ApiDeps } from '../../src/servers/api/api-deps.ts';
import { apiErrorOf } from '../../src/servers/api/api-errors.ts';
import { LivePublisherRegistry } from '../../src/servers/ingest/live-publishers.ts';
import { PublishSession } from '../../src/servers/ingest/publish-session.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { waitFor } from './wait.ts';

/** 2026-11-25T10:00:00Z, the clock's start. */
export const t0 = Date.UTC(2026, 10, 25, 10, 0, 0);

/** A publisher the test controls: its session, and whether the server closed its connection. */
export interface FakeEncoder {
  readonly session: PublishSession;
  readonly disconnected: () => boolean;
  send(message: MediaMessage): void;
}

/** The services, the clock and helpers. */
export interface StreamTestBed {
  readonly deps: ApiDeps;
  readonly store: MemoryStore;
  readonly clock: { now: number };
  readonly publishers: LivePublisherRegistry;
  /** Starts an accepted publish of `app/stream` on `domain`, as the RTMP server does after admission. */
  publish(app: string, stream: string, options?: { domain?: string; clientIp?: string }): Promise<FakeEncoder>;
  /** Calls an action as the router would: the answer, or the ApiError a client would get. */
  call(actions: ApiActions, action: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Waits until every session the registry no longer holds has its record ended. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** Push domains push.example.com and push2.example.com (auth off), play domain play.example.com. */
export async function streamTestBed(): Promise<StreamTestBed> {
  const store = new MemoryStore();
  const clock = { now: t0 };
  const now = (): number => clock.now;
  const log = createLog('silent');
  const hub = new Hub({ mergeWindowMs: 0 });
  const publishers = new LivePublisherRegistry();
  const domains = new Domains({ store, now, generateKey: () => 'k0' });
  await domains.add({ name: 'push.example.com', type: 'push', auth: { enabled: false } });
  await domains.add({ name: 'push2.example.com', type: 'push', auth: { enabled: false } });
  await domains.add({ name: 'play.example.com', type: 'play' });
  const records = new PublishRecords({ store, now });
  const streams = new StreamPolicy({ store, live: publishers, now });
  const config = configSchema.parse({ rtmp: { host: '127.0.0.1' } });
  const deps: ApiDeps = { config, store, domains, streams, records, publishers, hub, log, now };
  let requests = 0;
  return {
    deps,
    store,
    clock,
    publishers,
    async publish(app, stream, options = {}) {
      let disconnected = false;
      const session = new PublishSession({
        hub,
        records,
        log,
        now,
        stream: hub.claim(`${app}/${stream}`, { id: `pub-${stream}`, clientIp: options.clientIp ?? '10.0.0.7' }),
        publisherId: `pub-${stream}`,
        domain: options.domain ?? 'push.example.com',
        app,
        name: stream,
        clientIp: options.clientIp ?? '10.0.0.7',
        disconnect: () => {
          disconnected = true;
        },
      });
      publishers.add(session);
      await waitFor(
        'the publish record',
        async () => (await store.listPublishRecords({ stream })).items.some((r) => r.endedAt === null),
        2000,
      );
      return { session, disconnected: () => disconnected, send: (m) => session.onMedia(m) };
    },
    async call(actions, action, params = {}) {
      const handler = actions[action];
      if (!handler) throw new Error(`no action ${action}`);
      const ctx: ApiContext = {
        requestId: `req-${++requests}`,
        secretId: 'AKIDtest',
        clientIp: '127.0.0.1',
        now: clock.now,
      };
      try {
        return await handler(params, ctx);
      } catch (err) {
        throw apiErrorOf(err);
      }
    },
    async settled() {
      await waitFor(
        'ended records',
        async () => (await store.listPublishRecords({ open: true })).total === publishers.list().length,
        2000,
      );
    },
    async close() {
      hub.close();
      await store.close();
    },
  };
}
