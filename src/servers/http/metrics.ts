/** Prometheus metrics, read from the hub and the server counters at scrape time (nothing on the hot path). */
import { Registry, Gauge, Counter, collectDefaultMetrics } from 'prom-client';
import type { Hub } from '../../hub/hub.ts';
import type { ServerCounters } from '../counters.ts';
import type { HlsServer } from '../hls/hls-server.ts';

/** Builds a registry whose metrics are collected from live state on each scrape. */
export function createMetrics(hub: Hub, counters: ServerCounters, hls?: HlsServer): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'openlive_process_' });
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  };
  const counter = (name: string, help: string, read: () => number): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };
  gauge('openlive_rtmp_connections', 'Open RTMP connections (publishers and players)', () => counters.rtmpConnections);
  gauge('openlive_http_flv_players', 'Open HTTP-FLV responses', () => counters.httpFlvPlayers);
  gauge('openlive_streams', 'Streams known to the hub (live or awaited)', () => hub.stats().streams);
  gauge('openlive_publishers', 'Streams with a live publisher', () => hub.stats().publishers);
  gauge('openlive_subscribers', 'Players attached to streams (all formats)', () => hub.stats().subscribers);
  if (hls) {
    gauge('openlive_hls_streams', 'Streams with a running HLS segmenter', () => hls.stats().streams);
    gauge('openlive_hls_segments', 'HLS segments held in the sliding windows', () => hls.stats().segments);
    gauge('openlive_hls_bytes', 'Bytes of HLS segments held', () => hls.stats().bytes);
    gauge('openlive_hls_waiting_requests', 'Playlist requests blocked on a future segment or part', () => hls.stats().waiting);
  }
  counter('openlive_rtmp_connections_total', 'RTMP connections accepted', () => counters.rtmpConnectionsTotal);
  counter('openlive_bytes_in_total', 'Bytes received from RTMP peers', () => counters.bytesInRtmp);
  counter('openlive_bytes_out_total', 'Media bytes handed to players', () => hub.stats().bytesOut);
  counter('openlive_dropped_messages_total', 'Media messages skipped for slow players', () => hub.stats().droppedMessages);
  counter('openlive_rejected_publishes_total', 'Publishes refused by the access hook or the one-publisher rule', () => counters.rejectedPublishes);
  counter('openlive_rejected_plays_total', 'Plays refused', () => counters.rejectedPlays);
  // Store: lock waits, aggregated refusals, pruning
  gauge('openlive_store_queued_writes', 'Writes waiting for another process to release the database lock', () => counters.records().queuedWrites);
  counter('openlive_store_busy_retries_total', 'Database steps that found the lock taken and were tried again later', () => counters.records().busyRetries);
  counter('openlive_store_refused_writes_total', 'Writes refused with STORE_BUSY because too many were waiting', () => counters.records().refusedWrites);
  counter('openlive_rejected_attempt_rows_total', 'Refused attempts stored as rows of their own', () => counters.records().rejectedRows);
  counter('openlive_rejected_attempts_aggregated_total', 'Refused attempts counted in an aggregate row (past store.rejectedPerAddress)', () => counters.records().rejectedAggregated);
  counter('openlive_records_pruned_total', 'Record rows deleted by retention (store.retentionDays, store.maxRows)', () => counters.records().prunedRows);
  new Counter({
    name: 'openlive_connection_errors_total',
    help: 'Connections closed for an error, by stable error code',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [code, n] of counters.errors) this.inc({ code }, n);
    },
  });
  return registry;
}
