/** The HLS server and the statistics sampler of a Service, built from `hls.*` and `stats.*`. */
import { join } from 'node:path';
import { HlsServer } from '../servers/hls/hls-server.ts';
import { resolveHlsOptions } from '../servers/hls/hls-options.ts';
import { StatsSampler } from '../servers/stats/stats-sampler.ts';
import type { WorkerRole } from './service-options.ts';
import type { Service } from './service.ts';

/** HLS segmenters over the service's hub (a worker keeps its segments in its own folder). */
export function createHls(s: Service, worker: WorkerRole | undefined): HlsServer {
  const { config, log, now } = s;
  return new HlsServer({
    hub: s.hub,
    options: resolveHlsOptions({
      ...config.hls,
      dir: worker?.hlsDir ?? join(config.dataDir, 'hls'),
      trustedNetworks: config.limits.trustedNetworks,
      now,
    }),
    logger: log.child({ server: 'hls' }),
    edge: s.edge,
    viewerTimeoutMs: config.stats.hlsSessionTimeoutMs,
  });
}

/** Per-minute samples of every stream into the store's history (docs/statistics.md). */
export function createStatsSampler(s: Service): StatsSampler {
  const { config, log, now } = s;
  return new StatsSampler({
    hub: s.hub,
    store: s.store.history,
    publishers: () => s.publishers.list(),
    hls: s.hls.viewers,
    now,
    tickMs: config.stats.sampleIntervalMs,
    retention: {
      minuteDays: config.stats.minuteRetentionDays,
      fiveMinuteDays: config.stats.fiveMinuteRetentionDays,
      hourDays: config.stats.hourRetentionDays,
      dayDays: config.stats.dayRetentionDays,
    },
    onError: (err) => log.warn({ err }, 'could not write statistics samples'),
  });
}
