/**
 * The parts of a Service that are built from one config section each (callbacks, relays, recording):
 * kept out of service.ts so the wiring there reads as one page.
 */
import { join } from 'node:path';
import type { Config } from '../config/config-schema.ts';
import type { Log } from '../log.ts';
import type { ErrorCode } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { Hub } from '../hub/hub.ts';
import type { Coordinator } from '../cluster/coordinator.ts';
import { advertiseOf } from '../cluster/create-coordinator.ts';
import { CallbackConfig } from '../control/callbacks/callback-config.ts';
import { CallbackDeliverer } from '../servers/callbacks/callback-deliverer.ts';
import { PublishCallbacks } from '../servers/callbacks/publish-callbacks.ts';
import { RecordCallbacks } from '../servers/callbacks/record-callbacks.ts';
import { PushForwarder } from '../servers/relay/push-forwarder.ts';
import { EdgePuller } from '../servers/relay/edge-puller.ts';
import { Recorder } from '../servers/record/recorder.ts';
import { nodeRecordFs } from '../servers/record/record-fs.ts';
import { recordFilePath, type RecordRouteDeps } from '../servers/record/record-routes.ts';
import type { FinishedFile } from '../servers/record/recording.ts';
import { RecordUploader } from '../servers/record/storage/record-uploader.ts';
import { S3RecordStorage } from '../servers/record/storage/s3-record-storage.ts';
import { LiveError } from '../errors.ts';
import type { RecordFile } from '../store/record-store.ts';
import { RecordPruner } from '../store/record-pruner.ts';
import { RejectionRecorder } from '../control/rejection-recorder.ts';
import { AccessPolicy } from '../control/access-policy.ts';
import type { ClusterTally } from '../control/cluster-tally.ts';
import type { Stream } from '../hub/stream.ts';
import type { HubTimers } from '../hub/hub-options.ts';
import { RtmpServer } from '../servers/rtmp/rtmp-server.ts';
import { SrtServer } from '../servers/srt/srt-server.ts';
import type { TsSinkFactory } from '../servers/srt/ts-payload-sink.ts';
import { srtIngest } from '../servers/srt/srt-ingest.ts';
import type { DemuxedIngestDeps } from '../servers/ingest/demuxed-publish.ts';

/** What every part below gets from the service. */
export interface PartDeps {
  readonly config: Config;
  readonly store: Store;
  readonly log: Log;
  readonly now: () => number;
  readonly countError: (code: ErrorCode) => void;
}

/** The callback queue and the publish callbacks (stream begin/end, push quality). */
export function createCallbacks(d: PartDeps): { deliverer: CallbackDeliverer; publish: PublishCallbacks; log: Log } {
  const cb = d.config.callbacks;
  const log = d.log.child({ layer: 'callbacks' });
  const deliverer = new CallbackDeliverer({
    store: d.store,
    log,
    now: d.now,
    retryIntervalMs: cb.retryIntervalMs,
    maxRetries: cb.maxRetries,
    timeoutMs: cb.timeoutMs,
    maxPending: cb.maxPending,
    onDrop: () => d.countError('CALLBACK_QUEUE_FULL'),
  });
  const publish = new PublishCallbacks({
    config: new CallbackConfig({ store: d.store, now: d.now }),
    deliverer,
    openPushes: d.store.callbacks,
    log,
    appId: cb.appId,
    reportIntervalMs: cb.reportIntervalMs,
    timeoutMs: cb.timeoutMs,
  });
  return { deliverer, publish, log };
}

/** Push relays (relay.forward) and origin/edge pulls (relay.secret and relay.pull*). */
export function createRelays(
  d: PartDeps & { readonly hub: Hub; readonly coordinator: Coordinator; readonly rtmpPort: () => number },
): { forwarder: PushForwarder; edge: EdgePuller; log: Log } {
  const r = d.config.relay;
  const log = d.log.child({ layer: 'relay' });
  const forwarder = new PushForwarder({
    hub: d.hub,
    targets: r.forward,
    options: {
      connectTimeoutMs: r.forwardConnectTimeoutMs,
      backoffInitialMs: r.forwardBackoffInitialMs,
      backoffMaxMs: r.forwardBackoffMaxMs,
      refusedRetryMs: r.forwardRefusedRetryMs,
      maxQueueBytes: r.forwardMaxQueueBytes,
    },
    log,
    now: d.now,
    countError: d.countError,
  });
  const edge = new EdgePuller({
    hub: d.hub,
    coordinator: d.coordinator,
    selfAdvertise: () => advertiseOf(d.config, d.rtmpPort() || d.config.rtmp.port),
    secret: r.secret,
    maxPulls: r.maxPulls,
    options: {
      connectTimeoutMs: r.pullConnectTimeoutMs,
      backoffInitialMs: r.pullBackoffInitialMs,
      backoffMaxMs: r.pullBackoffMaxMs,
      lingerMs: r.pullLingerMs,
      pollMs: r.pullPollMs,
      idleTimeoutMs: r.pullIdleTimeoutMs,
    },
    now: d.now,
    log,
    countError: d.countError,
  });
  return { forwarder, edge, log };
}

/** Recording (record.*): the recorder, its type-100 callbacks, where files live and the URL each gets. */
export function createRecording(
  d: PartDeps & {
    readonly hub: Hub;
    readonly deliverer: CallbackDeliverer;
    readonly callbackLog: Log;
    readonly httpPort: () => number;
  },
): {
  recorder: Recorder;
  callbacks: RecordCallbacks;
  root: string;
  fileUrl: (file: Pick<RecordFile, 'id' | 'path'>) => string;
  /** With record.storage s3: the uploader (start after the recorder, close after it) and what the routes read from. */
  uploader: RecordUploader | undefined;
  remote: RecordRouteDeps['remote'];
} {
  const { config } = d;
  const rc = config.record;
  const root = rc.dir || join(config.dataDir, 'record');
  const base = (): string =>
    (rc.publicUrl || `http://127.0.0.1:${d.httpPort() || config.http.port}`).replace(/\/+$/, '');
  const fileUrl = (file: Pick<RecordFile, 'id' | 'path'>): string => `${base()}${recordFilePath(file)}`;
  const callbacks = new RecordCallbacks({
    config: new CallbackConfig({ store: d.store, now: d.now }),
    deliverer: d.deliverer,
    log: d.callbackLog,
    appId: config.callbacks.appId,
    urlOf: fileUrl,
  });
  const uploader = createUploader(d, root, (file) => callbacks.fileReady(file));
  const recorder = new Recorder({
    hub: d.hub,
    store: d.store.recordings,
    fs: nodeRecordFs,
    ...(uploader ? { remote: uploader } : {}),
    options: {
      root,
      segmentMs: rc.hlsSegmentMs,
      minIntervalMs: rc.minIntervalSeconds * 1000,
      sweepIntervalMs: rc.sweepIntervalMs,
      taskCheckIntervalMs: rc.taskCheckIntervalMs,
      maxQueueBytes: rc.maxQueueBytes,
      maxQueueWrites: rc.maxQueueWrites,
    },
    now: d.now,
    log: d.log.child({ layer: 'record' }),
    countError: d.countError,
    onFile: (file) => (uploader ? uploader.enqueue(file) : callbacks.fileReady(file)),
  });
  const remote = uploader ? { storage: uploader.storage, keyOf: (p: string) => uploader.keyOf(p) } : undefined;
  return { recorder, callbacks, root, fileUrl, uploader, remote };
}

/** record.storage s3: the bucket and its uploader; undefined for local storage. */
function createUploader(d: PartDeps, root: string, onDone: (file: FinishedFile) => void): RecordUploader | undefined {
  const rc = d.config.record;
  if (rc.storage !== 's3') return undefined;
  if (!rc.s3.bucket) throw new LiveError('CONFIG_INVALID', 'record.storage is s3 but record.s3.bucket is empty');
  return new RecordUploader({
    storage: new S3RecordStorage(rc.s3),
    fs: nodeRecordFs,
    root,
    store: d.store.recordings,
    prefix: rc.s3.prefix,
    concurrency: rc.s3.uploadConcurrency,
    maxAttempts: rc.s3.maxAttempts,
    retryDelayMs: rc.s3.retryDelayMs,
    log: d.log.child({ layer: 'record-upload' }),
    countError: d.countError,
    onDone,
  });
}

/** The rejected-attempt recorder, the access policy that feeds it, and the pruner of old records (store.*). */
export function createRecordKeeping(d: PartDeps & { readonly failureTally: ClusterTally | undefined }): {
  rejections: RejectionRecorder;
  access: AccessPolicy;
  pruner: RecordPruner;
  onStoreError: (err: unknown) => void;
} {
  const st = d.config.store;
  const onStoreError = (err: unknown): void => d.log.warn({ err }, 'could not record a rejected attempt');
  const rejections = new RejectionRecorder({
    store: d.store,
    now: d.now,
    perAddress: st.rejectedPerAddress,
    windowMs: st.rejectedWindowMs,
    onStoreError,
  });
  const access = new AccessPolicy({
    store: d.store,
    now: d.now,
    strict: d.config.domains.strict,
    onStoreError,
    recorder: rejections,
    // With Redis, signature failures count cluster-wide: a guesser spread over nodes is delayed as one.
    ...(d.failureTally && { failureDelay: { shared: d.failureTally } }),
  });
  const pruner = new RecordPruner({
    store: d.store,
    now: d.now,
    retentionDays: st.retentionDays,
    maxRows: st.maxRows,
    intervalMs: st.pruneIntervalMs,
    onError: (err) => d.log.warn({ err }, 'could not prune old records'),
  });
  return { rejections, access, pruner, onStoreError };
}

/** The ingest listeners (RTMP, and SRT when srt.enabled): one admission path, one set of publish listeners. */
export function createIngest(
  d: PartDeps & {
    readonly parts: Omit<DemuxedIngestDeps, 'log'>;
    readonly srtSinks: TsSinkFactory<Stream> | undefined;
    /** The RTMP listener's timers (ServiceOverrides.timers); the global ones when undefined. */
    readonly timers: HubTimers | undefined;
  },
): { rtmp: RtmpServer; srt: SrtServer<Stream> | undefined } {
  const { config, parts } = d;
  const rtmp = new RtmpServer({
    ...config.rtmp,
    ...parts,
    log: d.log.child({ server: 'rtmp' }),
    playWaitMs: config.http.playWaitMs,
    trustedNetworks: config.limits.trustedNetworks,
    playerQueueBytes: config.fanout.maxQueueBytes,
    ...(d.timers && { timers: d.timers }),
  });
  const { enabled, ...srtConfig } = config.srt;
  if (!enabled) return { rtmp, srt: undefined };
  const log = d.log.child({ server: 'srt' });
  const srt = new SrtServer<Stream>({
    ...srtConfig,
    admission: parts.admission,
    openSink: d.srtSinks ?? srtIngest({ ...parts, log }),
    hub: parts.hub,
    counters: parts.counters,
    log,
    trustedNetworks: config.limits.trustedNetworks,
  });
  return { rtmp, srt };
}
