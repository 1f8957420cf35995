/** Wires the concrete parts of a running openlive (hub, access, RTMP and HTTP servers) from a config. */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config-schema.ts';
import type { Log } from '../log.ts';
import { Hub } from '../hub/hub.ts';
import { allowAll, type Access } from '../control/access.ts';
import { ServerCounters } from '../servers/counters.ts';
import { RtmpServer } from '../servers/rtmp/rtmp-server.ts';
import { buildHttpApp } from '../servers/http/app.ts';

/** A running service: its bound ports, its parts for tests, and one idempotent close. */
export class Service {
  readonly hub: Hub;
  readonly counters = new ServerCounters();
  readonly rtmp: RtmpServer;
  readonly http: FastifyInstance;
  private readonly config: Config;
  private closing: Promise<void> | undefined;
  rtmpPort = 0;
  httpPort = 0;

  constructor(config: Config, log: Log, access: Access = allowAll, now: () => number = Date.now) {
    this.config = config;
    const f = config.fanout;
    this.hub = new Hub({
      rtmpChunkSize: config.rtmp.chunkSize,
      mergeWindowMs: f.mergeWindowMs,
      gopCache: { enabled: f.gopCache, maxBytes: f.gopCacheMaxBytes, maxMessages: f.gopCacheMaxMessages },
      subscriber: { maxQueueBytes: f.maxQueueBytes, maxQueueMs: f.maxQueueMs, stallTimeoutMs: f.stallTimeoutMs },
      now,
      logger: log.child({ layer: 'hub' }),
    });
    this.rtmp = new RtmpServer({
      ...config.rtmp,
      hub: this.hub,
      access,
      log: log.child({ server: 'rtmp' }),
      counters: this.counters,
      now,
      playWaitMs: config.http.playWaitMs,
    });
    this.http = buildHttpApp({
      hub: this.hub,
      access,
      counters: this.counters,
      log,
      playWaitMs: config.http.playWaitMs,
    });
  }

  /** Binds both listeners. */
  async start(): Promise<void> {
    this.rtmpPort = await this.rtmp.start();
    await this.http.listen({ host: this.config.http.host, port: this.config.http.port });
    const address = this.http.server.address();
    this.httpPort = typeof address === 'object' && address ? address.port : this.config.http.port;
  }

  /** Stops accepting, closes every connection and the hub; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.rtmp.close();
      this.hub.close();
      await this.http.close();
    })();
    return this.closing;
  }
}
