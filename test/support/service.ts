/** Starts a whole openlive service in-process on free ports with a fresh data dir, for end-to-end tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type Config } from '../../src/config/config-schema.ts';
import { createLog, type Log } from '../../src/log.ts';
import { Service, type ServiceOverrides } from '../../src/cli/service.ts';
import { streamUrls, type StreamUrls } from '../../src/control/stream-urls.ts';

/** Deep-partial overrides of the configuration. */
export type ConfigOverrides = { [K in keyof Config]?: Config[K] extends object ? Partial<Config[K]> : Config[K] };

/** A running service with its URLs. */
export interface TestService {
  readonly service: Service;
  readonly dataDir: string;
  readonly rtmpUrl: string;
  readonly httpUrl: string;
  /** `127.0.0.1:<port>` of the Cloud API, the form the Tencent SDK's `endpoint` takes. */
  readonly apiEndpoint: string;
  /** Signed URLs for `live/<stream>` on the default domains, as the banner prints them (valid 24 h by default). */
  urls(stream: string, options?: { app?: string; validSeconds?: number }): StreamUrls;
  close(): Promise<void>;
}

/** Starts openlive on 127.0.0.1 with ports picked by the OS; logs are silent unless OPENLIVE_TEST_LOG is set. */
export async function startService(
  overrides: ConfigOverrides = {},
  parts: ServiceOverrides = {},
): Promise<TestService> {
  return startServiceWithLog(undefined, overrides, parts);
}

/** Like startService, logging to `log` (e.g. a LogCapture's) instead of the silent default. */
export async function startServiceWithLog(
  log: Log | undefined,
  overrides: ConfigOverrides = {},
  parts: ServiceOverrides = {},
): Promise<TestService> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'openlive-test-'));
  const config = configSchema.parse({
    ...overrides,
    dataDir,
    log: { level: process.env.OPENLIVE_TEST_LOG ?? 'silent' },
    rtmp: { host: '127.0.0.1', port: 0, ...overrides.rtmp },
    http: { host: '127.0.0.1', port: 0, ...overrides.http },
    api: { host: '127.0.0.1', port: 0, ...overrides.api },
    webrtc: { port: 0, ...overrides.webrtc },
  });
  const service = new Service(config, log ?? createLog(config.log.level), parts);
  await service.start();
  return {
    service,
    dataDir,
    rtmpUrl: `rtmp://127.0.0.1:${service.rtmpPort}`,
    httpUrl: `http://127.0.0.1:${service.httpPort}`,
    apiEndpoint: `127.0.0.1:${service.apiPort}`,
    urls(stream, options = {}) {
      const { push, play } = service.defaults;
      if (!push) throw new Error('no default push domain');
      return streamUrls({
        app: options.app ?? 'live',
        stream,
        expiresAt: Math.floor(service.now() / 1000) + (options.validSeconds ?? 24 * 3600),
        push: { host: '127.0.0.1', auth: push.auth },
        ...(play && { play: { host: '127.0.0.1', auth: play.auth } }),
        rtmpPort: service.rtmpPort,
        httpPort: service.httpPort,
        rtmpsPort: service.rtmpsPort,
        httpsPort: service.httpsPort,
      });
    },
    async close() {
      await service.close();
      if (!overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
