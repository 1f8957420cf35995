/** The WebRTC metrics (docs/webrtc.md "Media", "TCP fallback"): WHEP sending and ICE-TCP, read at scrape time. */
import { Counter, Gauge, type Registry } from 'prom-client';

/** What the WebRTC server reports of its WHEP viewers' sending. */
export interface WhepSendStats {
  /** `webrtc.maxSendLagMs` skips: a viewer jumped to a newer keyframe, dropping its queued frames. */
  readonly skips: number;
  readonly skippedFrames: number;
  /** Viewers waiting for their turn in the send pacer now. */
  readonly queuedViewers: number;
}

/** What the metrics read of the WebRTC server (webrtc-server.ts). */
export interface WebrtcMetricSource {
  whepSendStats(): WhepSendStats;
  /** ICE-TCP connections open now, bound to a session or not yet. */
  readonly tcpConnections: number;
}

/** Adds the WebRTC metrics to `registry`. */
export function registerWebrtcMetrics(registry: Registry, source: WebrtcMetricSource): void {
  const stats = (): WhepSendStats => source.whepSendStats();
  new Counter({
    name: 'openlive_whep_lag_skips_total',
    help: 'WHEP viewers skipped to a newer keyframe because their queued video lagged past webrtc.maxSendLagMs',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats().skips);
    },
  });
  new Counter({
    name: 'openlive_whep_skipped_frames_total',
    help: 'Video frames WHEP viewers did not get because of those skips',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats().skippedFrames);
    },
  });
  new Gauge({
    name: 'openlive_whep_queued_viewers',
    help: 'WHEP viewers with frames waiting for their turn in the send pacer (the server is behind when it stays high)',
    registers: [registry],
    collect() {
      this.set(stats().queuedViewers);
    },
  });
  new Gauge({
    name: 'openlive_webrtc_tcp_connections',
    help: 'Open ICE-TCP connections (webrtc.tcp), bound to a session or still to send their first STUN request; at most webrtc.tcpMaxConnections',
    registers: [registry],
    collect() {
      this.set(source.tcpConnections);
    },
  });
}
