/** Wires the concrete parts of a running openlive (store, control, hub, RTMP and HTTP servers) from a config. */
import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config-schema.ts';
import type { Log } from '../log.ts';
import type { Store } from '../store/store.ts';
import { createStore } from '../store/create-store.ts';
import { RecordPruner } from '../store/record-pruner.ts';
import { RejectionRecorder } from '../control/rejection-recorder.ts';
import { Hub } from '../hub/hub.ts';
import type { Access } from '../control/access.ts';
import type { Admission } from '../control/admission.ts';
import type { Stream } from '../hub/stream.ts';
import { bootstrap, type Bootstrapped } from '../control/bootstrap.ts';
import { Domains } from '../control/domains.ts';
import { PublishRecords } from '../control/publish-records.ts';
import { StreamPolicy } from '../control/stream-policy.ts';
import { breakCodes, sentence } from '../control/break-codes.ts';
import { ServerCounters } from '../servers/counters.ts';
import { LivePublisherRegistry } from '../servers/ingest/live-publishers.ts';
import type { RtmpServer } from '../servers/rtmp/rtmp-server.ts';
import type { SrtServer } from '../servers/srt/srt-server.ts';
import type { HlsServer } from '../servers/hls/hls-server.ts';
import type { StatsSampler } from '../servers/stats/stats-sampler.ts';
import { WebrtcServer } from '../servers/webrtc/webrtc-server.ts';
import { sessionIdPrefix } from '../servers/webrtc/session-owner.ts';
import { apiExposureWarning } from './banner.ts';
import { Credentials, type NewCredential } from '../control/credentials.ts';
import { loadDataKey } from './data-key-file.ts';
import type { CallbackDeliverer } from '../servers/callbacks/callback-deliverer.ts';
import type { PublishCallbacks } from '../servers/callbacks/publish-callbacks.ts';
import { getHeapStatistics } from 'node:v8';
import { MemoryBudget, autoMemoryBudget } from '../hub/memory-budget.ts';
import type { Coordinator } from '../cluster/coordinator.ts';
import { createCoordinator, nodeIdOf } from '../cluster/create-coordinator.ts';
import { wireCluster } from './cluster-wiring.ts';
import type { ServiceOverrides, WorkerRole } from './service-options.ts';
import { createCallbacks, createIngest, createRecordKeeping, createRecording, createRelays } from './service-parts.ts';
import { createApiApp, createHttpApp } from './service-apps.ts';
import { createAdmission } from './service-admission.ts';
import { createHls, createStatsSampler } from './service-hls-stats.ts';
import type { ErrorCode } from '../errors.ts';
import { clusterOperations, type ClusterOperations } from './cluster-operations.ts';
import type { PushForwarder } from '../servers/relay/push-forwarder.ts';
import { publishListeners } from '../servers/relay/publish-listeners.ts';
import type { Recorder } from '../servers/record/recorder.ts';
import type { RecordCallbacks } from '../servers/callbacks/record-callbacks.ts';
import { Snapshots } from '../servers/snapshot/snapshots.ts';
import type { CertificateStore } from '../servers/tls/certificate-store.ts';
import { TlsListeners } from '../servers/tls/tls-listeners.ts';
import type { EdgePuller } from '../servers/relay/edge-puller.ts';
import { serviceDrainer, type Drainer } from '../servers/drain/service-drainer.ts';
import { nodeDnsResolver } from '../servers/dns/node-dns-resolver.ts';

/** How long ended HTTP bodies may take to reach players during a shutdown before their sockets are cut. */
const drainGraceMs = 2000;

export type { ServiceOverrides, WorkerRole } from './service-options.ts';

/** A running service: its bound ports, its parts for tests and the CLI, and one idempotent close. */
export class Service {
  readonly config: Config;
  readonly store: Store;
  readonly hub: Hub;
  readonly counters = new ServerCounters();
  /** Bytes held for players and publishers, and the refusal past `limits.memoryBudgetBytes` (docs/security.md). */
  readonly memoryBudget: MemoryBudget;
  readonly publishers = new LivePublisherRegistry();
  readonly records: PublishRecords;
  /** Publisher claims, the stream registry and stream commands across nodes (docs/cluster.md "Coordinator"). */
  readonly coordinator: Coordinator;
  readonly domains: Domains;
  readonly streams: StreamPolicy;
  readonly access: Access;
  /** The one admission path every transport and the doctor ask (control/admission.ts). */
  readonly admission: Admission<Stream>;
  readonly rtmp: RtmpServer;
  /** The SRT listener when `srt.enabled` (docs/srt.md). */
  readonly srt: SrtServer<Stream> | undefined;
  readonly http: FastifyInstance;
  /** HLS segmenters, one per watched stream (docs/hls.md). */
  readonly hls: HlsServer;
  /** WHIP/WHEP when `webrtc.enabled` (docs/webrtc.md). */
  readonly webrtc: WebrtcServer | undefined;
  /** The admin listener: Cloud API and console. */
  readonly api: FastifyInstance;
  readonly credentials: Credentials;
  /** The event-callback queue and its delivery (docs/api.md "Event callbacks"). */
  readonly callbacks: CallbackDeliverer;
  /** Turns publishes into callbacks; the RTMP server tells it of every accepted publish. */
  readonly publishCallbacks: PublishCallbacks;
  /** Push relays: forwards every matching publish to the relay.forward targets (docs/cluster.md). */
  readonly forwarder: PushForwarder;
  /** With Redis: the dead-node sweep and the shared counters (docs/cluster.md "Operations"). */
  readonly operations: ClusterOperations | undefined;
  /** Origin/edge relays: pulls streams held by other nodes for local players (docs/cluster.md). */
  readonly edge: EdgePuller;
  /** Recording (docs/recording.md). */
  readonly recorder: Recorder;
  readonly recordCallbacks: RecordCallbacks;
  /** Snapshots (docs/recording.md "Snapshots"). */
  readonly snapshots: Snapshots;
  /** Deletes records past store.retentionDays and store.maxRows. */
  readonly pruner: RecordPruner;
  /** Statistics history (docs/statistics.md): per-minute samples of every stream into the store. */
  readonly statsSampler: StatsSampler;
  /** Stores refusals truncated and aggregated per address. */
  readonly rejections: RejectionRecorder;
  /** The API key pair the first start created, to print once; undefined on later starts. */
  createdCredential: NewCredential | undefined;
  readonly log: Log;
  /** This node's one id (`cluster.nodeId`, default the hostname): store rows, claims, records, logs and /metrics. */
  readonly nodeId: string;
  readonly now: () => number;
  /** The default domains (created on the first start). */
  defaults: Bootstrapped = { created: false, push: undefined, play: undefined };
  rtmpPort = 0;
  srtPort = 0;
  httpPort = 0;
  apiPort = 0;
  /** RTMPS, HTTPS and admin TLS with their certificates (docs/tls.md). */
  readonly tls: TlsListeners;
  /** The graceful drain (SIGTERM, OpenLiveDrainNode; docs/cluster.md "Drain"). */
  readonly drainer: Drainer;
  /** 0 while the listener is off. */
  rtmpsPort = 0;
  httpsPort = 0;
  /** A worker's own RTMP port (WorkerRole), 0 otherwise. */
  privateRtmpPort = 0;
  private readonly worker: WorkerRole | undefined;
  private closing: Promise<void> | undefined;

  constructor(config: Config, rootLog: Log, overrides: ServiceOverrides = {}) {
    this.config = config;
    const nodeId = (this.nodeId = overrides.coordinator?.nodeId ?? nodeIdOf(config));
    const log = (this.log = rootLog.child({ nodeId }));
    const now = (this.now = overrides.now ?? Date.now);
    // The folder holds the database and the data key: 0700 (docs/security.md "Admin API and data at rest").
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const dataKey = loadDataKey(config.dataDir);
    this.store = overrides.store ?? createStore(config, { dataKey, nodeId });
    this.records = new PublishRecords({ store: this.store, now });
    const resolver = overrides.resolver ?? nodeDnsResolver({ servers: config.domains.dnsServers });
    this.domains = new Domains({ store: this.store, now, cnameSuffix: config.domains.cnameSuffix, resolver });
    this.coordinator =
      overrides.coordinator ??
      createCoordinator(config, { now, log, nodeId, rtmpPort: () => this.rtmpPort || config.rtmp.port });
    this.streams = new StreamPolicy({ store: this.store, live: this.publishers, now, cluster: this.coordinator });
    wireCluster({
      coordinator: this.coordinator,
      streams: this.streams,
      publishers: this.publishers,
      counters: this.counters,
      log,
    });
    const ops = (this.operations = clusterOperations({
      config,
      coordinator: this.coordinator,
      store: this.store,
      nodeId,
      now,
      counters: this.counters,
      log,
      worker: overrides.worker !== undefined,
    }));
    const countError = (code: ErrorCode): void => this.counters.countError(code);
    const part = { config, store: this.store, log, now, countError };
    const keeping = createRecordKeeping({ ...part, failureTally: ops?.failureTally });
    const onStoreError = keeping.onStoreError;
    this.rejections = keeping.rejections;
    this.pruner = keeping.pruner;
    this.access = overrides.access ?? keeping.access;
    this.counters.records = () => {
      const s = this.store.stats?.();
      return {
        queuedWrites: s?.queuedWrites ?? 0,
        busyRetries: s?.busyRetries ?? 0,
        refusedWrites: s?.refusedWrites ?? 0,
        rejectedRows: this.rejections.stats.rows,
        rejectedAggregated: this.rejections.stats.aggregated,
        prunedRows: this.pruner.stats.records + this.pruner.stats.callbackAttempts,
      };
    };
    const callbacks = createCallbacks(part);
    this.callbacks = callbacks.deliverer;
    this.publishCallbacks = callbacks.publish;
    this.worker = overrides.worker;
    this.memoryBudget = new MemoryBudget(
      config.limits.memoryBudgetBytes || autoMemoryBudget(getHeapStatistics().heap_size_limit),
    );
    this.memoryBudget.addSource('rtmpPartialMessages', () => this.counters.rtmpPartialMessageBytes);
    const f = config.fanout;
    this.hub = new Hub({
      memoryBudget: this.memoryBudget,
      rtmpChunkSize: config.rtmp.chunkSize,
      mergeWindowMs: f.mergeWindowMs,
      flushGroups: f.flushGroups,
      gopCache: { enabled: f.gopCache, maxBytes: f.gopCacheMaxBytes, maxMessages: f.gopCacheMaxMessages },
      subscriber: { maxQueueBytes: f.maxQueueBytes, maxQueueMs: f.maxQueueMs, stallTimeoutMs: f.stallTimeoutMs },
      reconnectGraceMs: f.reconnectGraceMs,
      now,
      ...(overrides.timers && { timers: overrides.timers }),
      logger: log.child({ layer: 'hub' }),
    });
    const relays = createRelays({
      ...part,
      hub: this.hub,
      coordinator: this.coordinator,
      rtmpPort: () => this.rtmpPort,
    });
    this.forwarder = relays.forwarder;
    this.edge = relays.edge;
    const relayLog = relays.log;
    this.memoryBudget.addSource('forwardQueues', () => this.forwarder.queuedBytes());
    const recording = createRecording({
      ...part,
      hub: this.hub,
      deliverer: this.callbacks,
      callbackLog: callbacks.log,
      httpPort: () => this.httpPort,
    });
    this.recorder = recording.recorder;
    this.recordCallbacks = recording.callbacks;
    this.memoryBudget.addSource('recordQueues', () => this.recorder.queuedBytes());
    this.snapshots = new Snapshots({
      ...part,
      hub: this.hub,
      deliverer: this.callbacks,
      callbackLog: callbacks.log,
      httpPort: () => this.httpPort,
    });
    this.admission = createAdmission(this, { worker: overrides.worker, relayLog, onStoreError });
    // Every ingest (RTMP, SRT) tells the same listeners: callbacks, push relays, recordings.
    const publishListener = this.forwarder.enabled
      ? publishListeners(this.publishCallbacks, this.forwarder, this.recorder, this.snapshots.snapshotter)
      : publishListeners(this.publishCallbacks, this.recorder, this.snapshots.snapshotter);
    const ingestParts = {
      hub: this.hub,
      admission: this.admission,
      records: this.records,
      publishers: this.publishers,
      counters: this.counters,
      now,
      publishListener,
    };
    const { enabled: webrtcOn, ...webrtcConfig } = config.webrtc;
    // A worker's single port is webrtc.port + its index - 1 (workerConfig); its session ids name it.
    const idPrefix = overrides.worker?.index === undefined ? '' : sessionIdPrefix(overrides.worker.index);
    this.webrtc = webrtcOn
      ? new WebrtcServer({
          config: { ...webrtcConfig, idPrefix, ffmpegPath: config.snapshot.ffmpegPath },
          trustedNetworks: config.limits.trustedNetworks,
          ingest: { ...ingestParts, log: log.child({ server: 'webrtc' }) },
          plays: this.admission,
          hub: this.hub,
          log: log.child({ server: 'webrtc' }),
          playWaitMs: config.http.playWaitMs,
        })
      : undefined;
    const ingest = createIngest({
      ...part,
      parts: ingestParts,
      srtSinks: overrides.srtSinks,
      timers: overrides.timers,
    });
    ({ rtmp: this.rtmp, srt: this.srt } = ingest);
    this.hls = createHls(this, overrides.worker);
    this.statsSampler = createStatsSampler(this);
    this.memoryBudget.addSource('hlsSegments', () => this.hls.stats().bytes);
    this.http = createHttpApp(this, recording, overrides.worker?.forwarder);
    this.tls = new TlsListeners({ config, log, countError: (code) => this.counters.countError(code), now });
    this.drainer = serviceDrainer({ ...this, log, nodeId, waitMs: config.limits.drainWaitMs });
    this.credentials = new Credentials({ store: this.store, dataKey, now });
    this.api = createApiApp(this, recording);
  }

  /** Finishes what a killed server left open, creates the default domains once, then binds both listeners. */
  async start(): Promise<void> {
    // First: a node that cannot reach its Redis must not accept publishers it could not claim.
    await this.coordinator.start();
    // PostgreSQL migrates asynchronously: a newer schema (STORE_SCHEMA_NEWER) stops the start here.
    await this.store.ready?.();
    // A worker ends only its own rows: its siblings share the store and are live (the primary ended the rest).
    const recovered = await this.records.recoverOpen(this.worker ? this.nodeId : undefined);
    if (recovered > 0) this.log.warn({ recovered }, 'ended publish records a previous run left open');
    this.operations?.deadNodes?.start();
    this.defaults = await bootstrap({
      store: this.store,
      now: this.now,
      pushDomain: this.config.domains.defaultPushDomain,
      playDomain: this.config.domains.defaultPlayDomain,
      cnameSuffix: this.config.domains.cnameSuffix,
    });
    await this.callbacks.start({ loadQueued: this.worker?.recoverCallbacks !== false });
    this.pruner.start();
    // Before publishers are accepted: the interruptions a kill -9 owed, queued behind what was left queued.
    if (this.worker?.recoverCallbacks !== false) await this.publishCallbacks.recoverOpenPushes(this.now());
    // Before any listener: a missing or broken certificate stops the start (TLS_CERT_INVALID).
    this.tls.loadCertificates();
    // Files a kill -9 left open are closed as cut (RECORD_CUT) before anything records again.
    await this.recorder.start();
    this.snapshots.start();
    this.hls.start();
    if (this.config.stats.enabled) this.statsSampler.start();
    this.edge.start();
    this.rtmpPort = await this.rtmp.start();
    if (this.worker) this.privateRtmpPort = await this.rtmp.listenPrivate(this.worker.privateRtmpHost);
    this.rtmpsPort = await this.tls.startRtmps(this.rtmp);
    const c = this.config;
    if (this.srt) this.srtPort = await this.srt.start();
    await this.webrtc?.start();
    await this.http.listen({ host: c.http.host, port: c.http.port });
    const address = this.http.server.address();
    this.httpPort = typeof address === 'object' && address ? address.port : c.http.port;
    this.httpsPort = await this.tls.startHttps(this.http);
    this.createdCredential = await this.credentials.ensureInitial();
    const exposed = c.api.tls ? undefined : apiExposureWarning(c.api.host);
    if (exposed) this.log.warn({ host: c.api.host }, exposed);
    if (c.api.tls) {
      this.apiPort = await this.tls.startAdmin(this.api);
    } else {
      await this.api.listen({ host: c.api.host, port: c.api.port });
      const apiAddress = this.api.server.address();
      this.apiPort = typeof apiAddress === 'object' && apiAddress ? apiAddress.port : c.api.port;
    }
  }

  /** The TLS certificates (undefined while TLS is off). */
  get certificates(): CertificateStore | undefined {
    return this.tls.certificates;
  }

  /** Reads the certificate files again (SIGHUP); a bad file keeps the old certificates (TLS_CERT_RELOAD_FAILED). */
  reloadCertificates(why: string): boolean {
    return this.tls.reload(why);
  }

  /**
   * The graceful drain, idempotent: stop accepting on every listener, end live publishes (10/0; their
   * players get UnpublishNotify or the end of their FLV body), close the connections, queue the
   * interruption callbacks and let deliveries in flight finish, then close the hub, listeners and store.
   * main.ts bounds it with `limits.shutdownTimeoutMs`.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.drainer.drain('shutdown'); // E-RTMP v2 reconnect requests first (docs/cluster.md "Drain")
      this.rtmp.stopAccepting();
      this.tls.stopAccepting();
      // fastify's close stops accepting at once, answers 503 on kept-alive sockets and waits for responses in flight.
      const httpClosed = this.http.close();
      const apiClosed = this.api.close();
      const reason = sentence(breakCodes.serverStopped, 'the server is shutting down');
      this.forwarder.close();
      this.edge.close();
      await this.publishers.endAll(breakCodes.serverStopped, reason);
      await this.rtmp.close();
      await this.srt?.close();
      await this.webrtc?.close();
      // The ended publishes finished their files; their rows and type-100 callbacks are written before the queue stops.
      await this.recorder.close();
      await this.recordCallbacks.flush();
      await this.snapshots.close();
      // The interruptions of the sessions just ended are queued before the queue stops (they stay in the store).
      await this.publishCallbacks.flush();
      await this.callbacks.close();
      // The minute in progress is written before the hub's streams go (history survives a restart).
      if (this.config.stats.enabled) await this.statsSampler.close();
      this.hls.close();
      this.hub.close();
      // A player that stopped reading keeps its ended FLV body (and the listener) open: cut it after a grace.
      const cut = setTimeout(() => this.http.server.closeAllConnections(), drainGraceMs);
      await httpClosed;
      clearTimeout(cut);
      await apiClosed;
      // The TLS sockets are not the http servers' own: what is left of them goes now.
      await this.tls.close();
      // After the listeners: the publishers are ended, so their claims go back at once (not by the lease).
      this.operations?.deadNodes?.close();
      await this.coordinator.close();
      await this.pruner.close();
      await this.store.close();
    })();
    return this.closing;
  }
}
