/** The configuration schema: every key, its type, its bounds and its default, in one place (docs/config.md). */
import { z } from 'zod';
import { apiSection } from './config-sections/api.ts';
import { callbacksSection } from './config-sections/callbacks.ts';
import { clusterSection } from './config-sections/cluster.ts';
import { domainsSection } from './config-sections/domains.ts';
import { fanoutSection } from './config-sections/fanout.ts';
import { hlsSection } from './config-sections/hls.ts';
import { httpSection } from './config-sections/http.ts';
import { limitsSection } from './config-sections/limits.ts';
import { recordSection } from './config-sections/record.ts';
import { relaySection } from './config-sections/relay.ts';
import { rtmpSection } from './config-sections/rtmp.ts';
import { snapshotSection } from './config-sections/snapshot.ts';
import { srtSection } from './config-sections/srt.ts';
import { statsSection } from './config-sections/stats.ts';
import { storeSection } from './config-sections/store.ts';
import { tlsSection, rtmpsSection, httpsSection } from './config-sections/tls.ts';
import { webrtcSection } from './config-sections/webrtc.ts';

/** The schema of openlive's configuration, with defaults for everything. */
export const configSchema = z.strictObject({
  /** Where the SQLite file, HLS segments on disk and other state live. */
  dataDir: z.string().min(1).default('./data'),
  // Worker processes (docs/cluster.md "Worker processes")
  /** Processes sharing the listening ports (node:cluster): a number, or `auto` = one per core; 1 = one process. */
  workers: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(256)]).default(1),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  /** Limits shared by every listener (docs/security.md). */
  limits: limitsSection,
  rtmp: rtmpSection,
  /** The SRT listener (docs/srt.md): MPEG-TS over SRT from OBS, vMix, Larix, ffmpeg and hardware encoders. */
  srt: srtSection,
  /** WHIP ingest and WHEP playback (docs/webrtc.md). */
  webrtc: webrtcSection,
  http: httpSection,
  api: apiSection,
  // TLS listeners: RTMPS, HTTPS, admin TLS (docs/tls.md)
  /** Certificates of every TLS listener (rtmps, https, api.tls), PEM files reloaded when they change or on SIGHUP. */
  tls: tlsSection,
  /** RTMP over TLS for ingest and playback, the same RTMP server behind a TLS listener. */
  rtmps: rtmpsSection,
  /** HTTPS for playback (HTTP-FLV, HLS, /healthz, /metrics): the same app as `http.*`, with its limits. */
  https: httpsSection,
  domains: domainsSection,
  store: storeSection,
  relay: relaySection,
  /** Recording (docs/recording.md): record templates, rules and tasks write files here; limits of each recording's queue. */
  record: recordSection,
  /** Statistics history (docs/statistics.md). */
  stats: statsSection,
  /** Snapshots (docs/recording.md "Snapshots"): JPEGs of live streams decoded by ffmpeg. */
  snapshot: snapshotSection,
  /** Event callbacks (docs/api.md "Event callbacks"): delivery to the receivers of callback templates. */
  callbacks: callbacksSection,
  fanout: fanoutSection,
  /** HLS and LL-HLS playback (docs/hls.md). */
  hls: hlsSection,
  // Cluster: the Coordinator (docs/cluster.md "Coordinator")
  /** How nodes share publisher claims, the stream registry, stream commands and counters. */
  cluster: clusterSection,
});

/** The validated configuration. */
export type Config = z.infer<typeof configSchema>;
