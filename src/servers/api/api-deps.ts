/** What Cloud API actions may use: the control services and the live state of this node. */
import type { CertificateStore } from '../tls/certificate-store.ts';
import type { Config } from '../../config/config-schema.ts';
import type { Store } from '../../store/store.ts';
import type { RecordFile } from '../../store/record-store.ts';
import type { SnapshotFile } from '../../store/snapshot-store.ts';
import type { Domains } from '../../control/domains.ts';
import type { StreamPolicy } from '../../control/stream-policy.ts';
import type { PublishRecords } from '../../control/publish-records.ts';
import type { Hub } from '../../hub/hub.ts';
import type { LivePublisherRegistry } from '../ingest/live-publishers.ts';
import type { Log } from '../../log.ts';
import type { ForwardStatus } from '../relay/forward-status.ts';
import type { PublishVerdict } from '../../control/admission-dry-run.ts';
import type { AdmissionRequest } from '../../control/admission-request.ts';
import type { DrainReport } from '../drain/drainer.ts';
import type { StatsSample } from '../../store/stats-store.ts';
import type { ClientIpTotals } from '../stats/client-ip-tally.ts';
import type { HlsSession } from '../hls/hls-viewers.ts';

/** What the recording actions ask of this node's recorder (servers/record/recorder.ts). */
export interface RecordingControl {
  /** Starts task recordings whose window is open now (after CreateRecordTask). */
  checkTasks(): Promise<void>;
  /** Stops a task's recordings at once (StopRecordTask, DeleteRecordTask). */
  stopTask(taskId: string): void;
  /** Deletes a recorded file from disk and store; false if there is none. */
  deleteFile(id: number): Promise<boolean>;
  /** The download URL of a file. */
  fileUrl(file: RecordFile): string;
}

/** What the snapshot actions ask of this node's snapshotter (servers/snapshot/snapshotter.ts). */
export interface SnapshotControl {
  /** Starts task sessions whose window is open now (after CreateScreenshotTask). */
  checkTasks(): Promise<void>;
  /** Stops a task's sessions at once (StopScreenshotTask, DeleteScreenshotTask). */
  stopTask(taskId: string): void;
  /** Deletes a picture from disk and store; false if there is none. */
  deleteFile(id: number): Promise<boolean>;
  /** The download URL of a picture. */
  fileUrl(file: SnapshotFile): string;
}

/** Dependencies handed to every action group (`xxxActions(deps): ApiActions`). */
export interface ApiDeps {
  readonly config: Config;
  readonly store: Store;
  readonly domains: Domains;
  readonly streams: StreamPolicy;
  readonly records: PublishRecords;
  readonly publishers: LivePublisherRegistry;
  readonly hub: Hub;
  readonly log: Log;
  readonly now: () => number;
  /** The ports the listeners are bound to (differ from the config when it says 0); the config's when absent. */
  readonly ports?: () => PublicPorts;
  /** The TLS certificates (docs/tls.md), for the certificate actions; absent while TLS is off. */
  readonly certificates?: CertificateStore | undefined;
  /** Push-relay forwards of this node (docs/cluster.md "Push relays"); none when absent. */
  readonly forwards?: () => readonly ForwardStatus[];
  /** The admission path's dry run (Admission.dryRunPublish): the doctor asks it; absent, it asks the store's policy. */
  readonly recording?: RecordingControl;
  readonly snapshots?: SnapshotControl;
  readonly admission?: { dryRunPublish(req: AdmissionRequest): Promise<PublishVerdict> };
  /** The node's graceful drain (OpenLiveDrainNode; docs/cluster.md "Drain"); absent in tests without one. */
  readonly drain?: { drain(why: string): Promise<DrainReport> };
  /** Statistics (docs/statistics.md): the minute this node samples now and its HLS sessions; absent, history alone. */
  readonly stats?: {
    current(): StatsSample[];
    hlsSessions(): HlsSession[];
    /** Flux and plays per client address over `[since, before)` (every protocol, stats sampler). */
    clientIps?(since: number, before: number): readonly ClientIpTotals[];
  };
}

/** The ports clients use; `rtmps`, `https` and `srt` are 0 while those listeners are off (docs/tls.md, docs/srt.md). */
export interface PublicPorts {
  readonly rtmp: number;
  readonly http: number;
  readonly rtmps?: number;
  readonly https?: number;
  /** The UDP port of the SRT listener. */
  readonly srt?: number;
}

/** The ports clients must use: the bound ones when known, else the configured ones. */
export function publicPorts(deps: ApiDeps): PublicPorts {
  const c = deps.config;
  return (
    deps.ports?.() ?? {
      rtmp: c.rtmp.port,
      http: c.http.port,
      rtmps: c.rtmps.enabled ? c.rtmps.port : 0,
      https: c.https.enabled ? c.https.port : 0,
      srt: c.srt.enabled ? c.srt.port : 0,
    }
  );
}
