/** Prometheus metrics, read from the hub and the server counters at scrape time (nothing on the hot path). */
import { Registry, Gauge, Counter, collectDefaultMetrics } from 'prom-client';
import type { Hub } from '../../hub/hub.ts';
import type { ServerCounters } from '../counters.ts';
import type { HlsServer } from '../hls/hls-server.ts';
import type { HttpGuard } from './http-hardening.ts';

/** The HTTP listeners' own state, read at scrape time. */
export interface HttpMetricSources {
  /** Every hardened listener (playback, admin). */
  readonly listeners: () => readonly HttpGuard[];
  /** HTTP-FLV players waiting for a publisher. */
  readonly flvWaiting: () => number;
}

/** Builds a registry whose metrics are collected from live state on each scrape. */
export function createMetrics(hub: Hub, counters: ServerCounters, hls?: HlsServer, http?: HttpMetricSources): Registry {
  const registry = new Registry();
  // prom-client's own names already start with process_ or nodejs_: openlive_process_cpu_seconds_total,
  // openlive_nodejs_heap_size_used_bytes (a prefix of openlive_process_ doubled it).
  collectDefaultMetrics({ register: registry, prefix: 'openlive_' });
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
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
  gauge('openlive_ws_flv_players', 'Open WS-FLV players', () => counters.wsFlvPlayers);
  gauge('openlive_srt_players', 'Open SRT players (m=request)', () => counters.srtPlayers);
  gauge('openlive_streams', 'Streams known to the hub (live or awaited)', () => hub.stats().streams);
  gauge('openlive_publishers', 'Streams with a live publisher', () => hub.stats().publishers);
  gauge(
    'openlive_subscribers',
    'Players attached to streams (all formats; relay plays of other nodes are openlive_relay_plays)',
    () => hub.stats().subscribers,
  );
  if (hls) {
    gauge('openlive_hls_streams', 'Streams with a running HLS segmenter', () => hls.stats().streams);
    gauge('openlive_hls_segments', 'HLS segments held in the sliding windows', () => hls.stats().segments);
    gauge('openlive_hls_bytes', 'Bytes of HLS segments held', () => hls.stats().bytes);
    gauge(
      'openlive_hls_waiting_requests',
      'HLS requests parked: blocking reloads, hinted parts, cold starts',
      () => hls.stats().waiting,
    );
    gauge(
      'openlive_hls_waiting_addresses',
      'Client addresses with a parked HLS request',
      () => hls.stats().waitingAddresses,
    );
  }
  if (http) {
    gauge('openlive_http_flv_waiting_players', 'HTTP-FLV players waiting for a publisher', http.flvWaiting);
    const perListener = (name: string, help: string, read: (g: HttpGuard) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['listener'],
        registers: [registry],
        collect() {
          for (const g of http.listeners()) this.set({ listener: g.listener }, read(g));
        },
      });
    };
    perListener('openlive_http_connections', 'Open sockets on an HTTP listener (playback, admin)', (g) => g.open);
    perListener(
      'openlive_http_connection_addresses',
      'Distinct client addresses with an open socket on an HTTP listener',
      (g) => g.addresses,
    );
    new Counter({
      name: 'openlive_http_connection_errors_total',
      help: 'HTTP connections refused or cut by a listener limit, by listener and stable error code',
      labelNames: ['listener', 'code'],
      registers: [registry],
      collect() {
        this.reset();
        for (const g of http.listeners()) for (const [code, n] of g.errors) this.inc({ listener: g.listener, code }, n);
      },
    });
  }
  counter('openlive_rtmp_connections_total', 'RTMP connections accepted', () => counters.rtmpConnectionsTotal);
  counter('openlive_bytes_in_total', 'Bytes received from RTMP peers', () => counters.bytesInRtmp);
  gauge('openlive_srt_connections', 'Open SRT connections (publishers)', () => counters.srtConnections);
  counter('openlive_srt_connections_total', 'SRT connections accepted', () => counters.srtConnectionsTotal);
  counter('openlive_srt_bytes_in_total', 'Datagram bytes received by the SRT listener', () => counters.bytesInSrt);
  counter('openlive_bytes_out_total', 'Media bytes handed to players', () => hub.stats().bytesOut);
  counter(
    'openlive_player_writes_total',
    'Writes handed to players (one per merged batch)',
    () => hub.stats().playerWrites,
  );
  counter(
    'openlive_dropped_messages_total',
    'Media messages skipped for slow players',
    () => hub.stats().droppedMessages,
  );
  counter(
    'openlive_codec_left_out_total',
    'Tracks an output (TS/fMP4 HLS, MP4 recording) left out because it cannot carry their codec (docs/enhanced-rtmp.md)',
    () => hub.stats().codecsLeftOut,
  );
  counter(
    'openlive_rejected_publishes_total',
    'Publishes refused by the access hook or the one-publisher rule',
    () => counters.rejectedPublishes,
  );
  counter('openlive_rejected_plays_total', 'Plays refused', () => counters.rejectedPlays);
  // Store: lock waits, aggregated refusals, pruning
  gauge(
    'openlive_store_queued_writes',
    'Writes waiting for the database: another process to release the SQLite lock, or PostgreSQL to come back',
    () => counters.records().queuedWrites,
  );
  counter(
    'openlive_store_busy_retries_total',
    'Database steps that found the lock taken (SQLite) or the server unreachable (PostgreSQL) and were tried again later',
    () => counters.records().busyRetries,
  );
  counter(
    'openlive_store_refused_writes_total',
    'Writes refused with STORE_BUSY (SQLite) or STORE_UNAVAILABLE (PostgreSQL) because too many were waiting',
    () => counters.records().refusedWrites,
  );
  counter(
    'openlive_rejected_attempt_rows_total',
    'Refused attempts stored as rows of their own',
    () => counters.records().rejectedRows,
  );
  counter(
    'openlive_rejected_attempts_aggregated_total',
    'Refused attempts counted in an aggregate row (past store.rejectedPerAddress)',
    () => counters.records().rejectedAggregated,
  );
  counter(
    'openlive_records_pruned_total',
    'Record rows deleted by retention (store.retentionDays, store.maxRows)',
    () => counters.records().prunedRows,
  );
  new Counter({
    name: 'openlive_connection_errors_total',
    help: 'Connections closed for an error, by stable error code',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [code, n] of counters.errors) this.inc({ code }, n);
      // The HTTP listeners count their refusals and cuts themselves (the admin app has no ServerCounters).
      for (const g of http?.listeners() ?? []) for (const [code, n] of g.errors) this.inc({ code }, n);
    },
  });
  processMetrics(registry, hub, counters);
  return registry;
}

/** Process block: the memory budget, faults that reached a process-level handler, live handles (soak checks). */
function processMetrics(registry: Registry, hub: Hub, counters: ServerCounters): void {
  const budget = hub.memoryBudget;
  if (budget) {
    new Gauge({
      name: 'openlive_memory_budget_bytes',
      help: 'limits.memoryBudgetBytes as resolved: past it new players and publishers are refused',
      registers: [registry],
      collect() {
        this.set(budget.limitBytes);
      },
    });
    new Gauge({
      name: 'openlive_memory_used_bytes',
      help: 'Bytes the memory budget counts, by source (subscriberQueues, gopCaches, hlsSegments, rtmpPartialMessages)',
      labelNames: ['source'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [source, bytes] of budget.stats().sources) this.set({ source }, bytes);
      },
    });
    new Counter({
      name: 'openlive_memory_budget_refusals_total',
      help: 'New players (play) and publishers (publish) refused with MEMORY_BUDGET_EXCEEDED',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        this.reset();
        const refusals = budget.stats().refusals;
        this.inc({ kind: 'play' }, refusals.play);
        this.inc({ kind: 'publish' }, refusals.publish);
      },
    });
  }
  new Counter({
    name: 'openlive_stalled_players_total',
    help: 'Players of any format the hub closed for taking no data for fanout.stallTimeoutMs (SUBSCRIBER_STALLED)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(hub.stats().stalledCloses);
    },
  });
  // Reconnect grace (docs/cluster.md): publishers that came back in time, and graces that expired.
  new Counter({
    name: 'openlive_publisher_reconnects_total',
    help: 'Publishers gone within fanout.reconnectGraceMs: resumed (a new publish kept the players) or expired (the players ended)',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset();
      const stats = hub.stats();
      this.inc({ outcome: 'resumed' }, stats.reconnects);
      this.inc({ outcome: 'expired' }, stats.graceExpiries);
    },
  });
  new Gauge({
    name: 'openlive_streams_reconnecting',
    help: 'Streams whose publisher left and whose players wait for it to return (fanout.reconnectGraceMs)',
    registers: [registry],
    collect() {
      this.set(hub.stats().reconnecting);
    },
  });
  new Counter({
    name: 'openlive_process_faults_total',
    help: 'Errors that reached a process-level handler, by stable code and kind (unhandledRejection, uncaughtException)',
    labelNames: ['code', 'kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const f of counters.faults.values()) this.inc({ code: f.code, kind: f.source }, f.count);
    },
  });
  new Gauge({
    name: 'openlive_process_active_resources',
    help: 'Live handles and requests by type (process.getActiveResourcesInfo()): sockets are TCPSocketWrap',
    labelNames: ['type'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
      for (const [type, n] of counts) this.set({ type }, n);
    },
  });
}
