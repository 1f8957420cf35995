/** The two Fastify apps of a Service: playback (HTTP-FLV, HLS, WHIP/WHEP, /metrics) and admin (Cloud API, console). */
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { packageRoot } from '../package-root.ts';
import { buildHttpApp } from '../servers/http/app.ts';
import { httpGuardOf, type HttpGuard } from '../servers/http/http-hardening.ts';
import { buildApiApp } from '../servers/api/api-app.ts';
import { registerRecordMetrics } from '../servers/record/record-metrics.ts';
import { nodeRecordFs } from '../servers/record/record-fs.ts';
import { registerForwardMetrics } from '../servers/relay/forward-metrics.ts';
import { registerEdgeMetrics } from '../servers/relay/edge-metrics.ts';
import { registerWebrtcMetrics } from '../servers/webrtc/webrtc-metrics.ts';
import type { createRecording } from './service-parts.ts';
import type { Service } from './service.ts';
import type { SessionForwarder } from '../servers/webrtc/session-owner.ts';

/** What the apps read of the recording parts: the file root, URLs, remote storage and the uploader. */
type RecordingParts = ReturnType<typeof createRecording>;

/**
 * The playback app over the service's hub, HLS, admission, recordings, snapshots and WebRTC; a worker's
 * `forwarder` passes requests for its siblings' WebRTC sessions on (servers/webrtc/session-owner.ts).
 */
export function createHttpApp(s: Service, recording: RecordingParts, forwarder?: SessionForwarder): FastifyInstance {
  const { config, log, nodeId } = s;
  return buildHttpApp({
    hls: s.hls,
    hub: s.hub,
    admission: s.admission,
    counters: s.counters,
    log,
    playWaitMs: config.http.playWaitMs,
    flvChunked: config.http.flvChunked,
    limits: config.http,
    trustedNetworks: config.limits.trustedNetworks,
    listeners: () => [httpGuardOf(s.http), httpGuardOf(s.api)].filter((g): g is HttpGuard => g !== undefined),
    extraMetrics: (registry) => {
      registerForwardMetrics(registry, s.forwarder);
      registerEdgeMetrics(registry, s.edge, s.hub);
      registerRecordMetrics(registry, s.recorder, recording.uploader);
      if (s.webrtc) registerWebrtcMetrics(registry, s.webrtc);
    },
    nodeId,
    records: { store: s.store.recordings, root: recording.root, fs: nodeRecordFs, remote: recording.remote },
    snapshots: { store: s.store.snapshots, root: s.snapshots.root },
    webrtc: { server: s.webrtc, maxSdpBytes: config.webrtc.maxSdpBytes, forwarder },
  });
}

/** The admin app (Cloud API and console) over the service's store, control parts, servers and cluster. */
export function createApiApp(s: Service, recording: RecordingParts): FastifyInstance {
  const { config, log, now } = s;
  const ops = s.operations;
  return buildApiApp({
    config,
    store: s.store,
    domains: s.domains,
    streams: s.streams,
    records: s.records,
    publishers: s.publishers,
    hub: s.hub,
    admission: s.admission,
    log,
    now,
    ports: () => ({
      rtmp: s.rtmpPort || config.rtmp.port,
      http: s.httpPort || config.http.port,
      rtmps: config.rtmps.enabled ? s.rtmpsPort || config.rtmps.port : 0,
      https: config.https.enabled ? s.httpsPort || config.https.port : 0,
      srt: config.srt.enabled ? s.srtPort || config.srt.port : 0,
    }),
    credentials: s.credentials,
    counters: s.counters,
    replayCache: s.coordinator.replayCache(config.api.replayCacheMaxEntries),
    sharedCounters: ops?.sharedCounters,
    forwards: () => s.forwarder.list(),
    certificates: s.tls.certificates,
    drain: s.drainer,
    stats: {
      current: () => s.statsSampler.current(),
      hlsSessions: () => s.hls.viewers.sessions(),
      clientIps: (since, before) => s.statsSampler.clientIps.totals(since, before),
    },
    recording: {
      checkTasks: () => s.recorder.checkTasks(),
      stopTask: (id) => s.recorder.stopTask(id),
      deleteFile: (id) => s.recorder.deleteFile(id),
      fileUrl: recording.fileUrl,
    },
    snapshots: {
      stopTask: (id) => s.snapshots.snapshotter.stopTask(id),
      checkTasks: () => s.snapshots.snapshotter.checkTasks(),
      deleteFile: (id) => s.snapshots.snapshotter.deleteFile(id),
      fileUrl: s.snapshots.fileUrl,
    },
    consoleDir: config.api.consoleDir || join(packageRoot, 'console', 'dist'),
  });
}
