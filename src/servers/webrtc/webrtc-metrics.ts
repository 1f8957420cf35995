/** The `openlive_whep_*` metrics of WHEP sending (docs/webrtc.md "Media"), read at scrape time. */
import { Counter, Gauge, type Registry } from 'prom-client';

/** What the WebRTC server reports of its WHEP viewers' sending. */
export interface WhepSendStats {
  /** `webrtc.maxSendLagMs` skips: a viewer jumped to a newer keyframe, dropping its queued frames. */
  readonly skips: number;
  readonly skippedFrames: number;
  /** Viewers waiting for their turn in the send pacer now. */
  readonly queuedViewers: number;
}

/** Adds the WHEP send metrics to `registry`. */
export function registerWebrtcMetrics(registry: Registry, stats: () => WhepSendStats): void {
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
}
