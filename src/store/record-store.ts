/**
 * What the Store keeps for recording (Tencent CSS "record templates", "rules" and "tasks"), and one row per
 * recorded file (openlive's answer to Tencent's VOD FileId): where it lies, how it ended, when it expires.
 * Every Store adapter exposes it as `store.recordings`. Times are Unix milliseconds.
 */
import type { Page, PageOptions } from './store.ts';

/** The formats a template has parameters for (Tencent FlvParam, HlsParam, Mp4Param, AacParam, Mp3Param). */
export const recordParamFormats = ['flv', 'hls', 'mp4', 'aac', 'mp3'] as const;
/** One of them. */
export type RecordParamFormat = (typeof recordParamFormats)[number];

/** One format's parameters (Tencent RecordParam). */
export interface RecordFormatParams {
  readonly enable: boolean;
  /** Seconds per file before a split at the next keyframe (Tencent default 1800; ignored for HLS). */
  readonly recordInterval: number;
  /** Seconds a file is kept; 0 keeps it for ever. */
  readonly storageTime: number;
  /** Tencent VodFileName, kept and listed (openlive names files itself). */
  readonly vodFileName: string;
}

/** The parameters of a template, as CreateLiveRecordTemplate takes them. */
export interface RecordTemplateParams {
  readonly formats: Partial<Record<RecordParamFormat, RecordFormatParams>>;
  /** HlsSpecialParam.FlowContinueDuration: seconds an HLS file waits for its publisher to come back. */
  readonly flowContinueSeconds: number;
  readonly isDelayLive: number;
  readonly removeWatermark: boolean;
}

/** A template as it is written. */
export interface NewRecordTemplate {
  readonly name: string;
  readonly description: string;
  readonly params: RecordTemplateParams;
  readonly createdAt: number;
}

/** A stored template. */
export interface RecordTemplate extends NewRecordTemplate {
  readonly id: number;
  readonly updatedAt: number;
}

/** What ModifyLiveRecordTemplate may change; a format given replaces that format's parameters. */
export interface RecordTemplatePatch {
  readonly name?: string;
  readonly description?: string;
  readonly params?: Partial<RecordTemplateParams>;
  readonly updatedAt: number;
}

/** A template bound to the pushes of a domain + AppName (+ StreamName; '' = every stream). */
export interface RecordRule {
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  readonly templateId: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A recording of one stream within a time window (Tencent CreateRecordTask). */
export interface RecordTask {
  readonly taskId: string;
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  readonly startTime: number;
  readonly endTime: number;
  /** 0 = the default (HLS, kept for ever). */
  readonly templateId: number;
  readonly extension: string;
  /** When StopRecordTask stopped it; 0 = never. */
  readonly stopped: number;
  readonly createdAt: number;
}

/** What a CreateLiveRecord task records: one format, its interval and storage (StreamParam). */
export interface LiveRecordSpec {
  readonly format: string;
  readonly recordInterval: number;
  readonly storageTime: number;
}

const liveRecordPrefix = 'openlive-live-record:';

/** The task extension that carries a CreateLiveRecord spec. */
export function liveRecordExtension(spec: LiveRecordSpec): string {
  return liveRecordPrefix + JSON.stringify(spec);
}

/** The CreateLiveRecord spec of a task's extension, if it has one. */
export function liveRecordSpecOf(extension: string): LiveRecordSpec | undefined {
  if (!extension.startsWith(liveRecordPrefix)) return undefined;
  try {
    const v = JSON.parse(extension.slice(liveRecordPrefix.length)) as Partial<LiveRecordSpec>;
    if (typeof v.format !== 'string' || typeof v.recordInterval !== 'number' || typeof v.storageTime !== 'number')
      return undefined;
    return { format: v.format, recordInterval: v.recordInterval, storageTime: v.storageTime };
  } catch {
    return undefined;
  }
}

/** Filters of listRecordTasks; `since`/`before` bound the task's start. */
export interface RecordTaskQuery {
  readonly domain?: string;
  readonly app?: string;
  readonly stream?: string;
  readonly since?: number;
  readonly before?: number;
  /** Keeps tasks whose window contains this time and that were not stopped. */
  readonly activeAt?: number;
}

/** How a file ended. */
export type RecordFileStatus = 'recording' | 'done' | 'failed' | 'cut';

/** A file as its recording starts. */
export interface NewRecordFile {
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  readonly format: string;
  /** The main file, relative to the record folder (servers/record/record-names.ts built it). */
  readonly path: string;
  readonly startedAt: number;
  readonly templateId: number;
  /** The record task that made it; '' for a rule. */
  readonly taskId: string;
  /** When the file is deleted (StorageTime after its end is known: set again at the end); null = never. */
  readonly expiresAt: number | null;
}

/** How a file ended. */
export interface RecordFileEnd {
  readonly endedAt: number;
  readonly durationMs: number;
  readonly size: number;
  readonly status: Exclude<RecordFileStatus, 'recording'>;
  /** A stable error code when it did not end normally (RECORD_DISK_FULL, RECORD_CUT, ...), else ''. */
  readonly errorCode: string;
  readonly reason: string;
  readonly expiresAt: number | null;
}

/** A stored file. */
export interface RecordFile extends NewRecordFile {
  readonly id: number;
  readonly nodeId: string;
  readonly endedAt: number | null;
  readonly durationMs: number;
  readonly size: number;
  readonly status: RecordFileStatus;
  readonly errorCode: string;
  readonly reason: string;
}

/** Filters of listRecordFiles (oldest start first); `since`/`before` bound the start. */
export interface RecordFileQuery extends PageOptions {
  readonly domain?: string;
  readonly app?: string;
  readonly stream?: string;
  readonly since?: number;
  readonly before?: number;
}

/** The recording tables of a Store; every method may throw LiveError STORE_FAILED. */
export interface RecordStore {
  /** Adds a template and returns its id (ids are never reused). */
  addRecordTemplate(template: NewRecordTemplate): Promise<number>;
  getRecordTemplate(id: number): Promise<RecordTemplate | undefined>;
  /** Every template, by id. */
  listRecordTemplates(): Promise<RecordTemplate[]>;
  /** Applies a patch and returns the result, or undefined when there is no such template. */
  updateRecordTemplate(id: number, patch: RecordTemplatePatch): Promise<RecordTemplate | undefined>;
  deleteRecordTemplate(id: number): Promise<boolean>;

  /** Binds a template to domain + app + stream, replacing the binding there was (keeping its createdAt). */
  setRecordRule(rule: RecordRule): Promise<void>;
  /** Every rule, by domain, app, stream. */
  listRecordRules(): Promise<RecordRule[]>;
  deleteRecordRule(domain: string, app: string, stream: string): Promise<boolean>;

  /** Adds a task; a taken TaskId fails with STORE_FAILED. */
  addRecordTask(task: RecordTask): Promise<void>;
  getRecordTask(taskId: string): Promise<RecordTask | undefined>;
  /** Matching tasks, by start time then id. */
  listRecordTasks(query?: RecordTaskQuery): Promise<RecordTask[]>;
  /** Marks a task stopped at `at`; false if it does not exist or was stopped already. */
  stopRecordTask(taskId: string, at: number): Promise<boolean>;
  deleteRecordTask(taskId: string): Promise<boolean>;

  /** Adds the row of a file being recorded by this store's node and returns its id. */
  addRecordFile(file: NewRecordFile): Promise<number>;
  /** Ends a file being recorded; false if it ended already (or does not exist). */
  endRecordFile(id: number, end: RecordFileEnd): Promise<boolean>;
  getRecordFile(id: number): Promise<RecordFile | undefined>;
  listRecordFiles(query?: RecordFileQuery): Promise<Page<RecordFile>>;
  /** Files this store's node (or `nodeId`) is still recording: after a crash, they were cut. */
  listOpenRecordFiles(nodeId?: string): Promise<RecordFile[]>;
  /** Ended files whose expiry is at or before `now`, oldest expiry first, at most `limit`. */
  listExpiredRecordFiles(now: number, limit: number): Promise<RecordFile[]>;
  deleteRecordFile(id: number): Promise<boolean>;
}
