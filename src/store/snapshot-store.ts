/**
 * What the Store keeps for snapshots (Tencent CSS "snapshot templates", "rules" and "screenshot tasks"), and one
 * row per JPEG taken (openlive's answer to Tencent's COS object): where it lies, its size and when it expires.
 * Every Store adapter exposes it as `store.snapshots`. Times are Unix milliseconds.
 */
import type { Page, PageOptions } from './store.ts';
import type { RecordRule, RecordTask, RecordTaskQuery } from './record-store.ts';

/** A template's parameters, as CreateLiveSnapshotTemplate takes them (COS fields kept and listed). */
export interface SnapshotTemplateParams {
  /** SnapshotInterval: seconds between pictures (Tencent 2-300, default 10). */
  readonly interval: number;
  /** 0 = the source's width (or scaled to Height keeping the ratio). */
  readonly width: number;
  readonly height: number;
  readonly pornFlag: number;
  readonly cosAppId: number;
  readonly cosBucket: string;
  readonly cosRegion: string;
  readonly cosPrefix: string;
  readonly cosFileName: string;
}

/** A template as it is written. */
export interface NewSnapshotTemplate {
  readonly name: string;
  readonly description: string;
  readonly params: SnapshotTemplateParams;
  readonly createdAt: number;
}

/** A stored template. */
export interface SnapshotTemplate extends NewSnapshotTemplate {
  readonly id: number;
  readonly updatedAt: number;
}

/** What ModifyLiveSnapshotTemplate may change. */
export interface SnapshotTemplatePatch {
  readonly name?: string;
  readonly description?: string;
  readonly params?: Partial<SnapshotTemplateParams>;
  readonly updatedAt: number;
}

/** A template bound to a push domain + AppName (+ StreamName), the shape of a record rule. */
export type SnapshotRule = RecordRule;
/** A screenshot task (CreateScreenshotTask): one stream within a time window, the shape of a record task. */
export type SnapshotTask = RecordTask;
/** Filters of listSnapshotTasks. */
export type SnapshotTaskQuery = RecordTaskQuery;

/** A picture as it is stored. */
export interface NewSnapshotFile {
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  /** The JPEG, relative to the snapshot folder (servers/record/record-names.ts safe names). */
  readonly path: string;
  readonly takenAt: number;
  readonly width: number;
  readonly height: number;
  readonly size: number;
  readonly templateId: number;
  /** The screenshot task that took it; '' for a rule. */
  readonly taskId: string;
  /** When the file is deleted; null = never. */
  readonly expiresAt: number | null;
}

/** A stored picture. */
export interface SnapshotFile extends NewSnapshotFile {
  readonly id: number;
  readonly nodeId: string;
}

/** Filters of listSnapshotFiles; `since`/`before` bound takenAt; oldest first unless `descending`. */
export interface SnapshotFileQuery extends PageOptions {
  readonly domain?: string;
  readonly app?: string;
  readonly stream?: string;
  readonly since?: number;
  readonly before?: number;
  readonly descending?: boolean;
}

/** The snapshot tables of a Store; every method may throw LiveError STORE_FAILED. */
export interface SnapshotStore {
  addSnapshotTemplate(template: NewSnapshotTemplate): Promise<number>;
  getSnapshotTemplate(id: number): Promise<SnapshotTemplate | undefined>;
  listSnapshotTemplates(): Promise<SnapshotTemplate[]>;
  updateSnapshotTemplate(id: number, patch: SnapshotTemplatePatch): Promise<SnapshotTemplate | undefined>;
  deleteSnapshotTemplate(id: number): Promise<boolean>;

  /** Binds a template to domain + app + stream, replacing the binding there was (keeping its createdAt). */
  setSnapshotRule(rule: SnapshotRule): Promise<void>;
  listSnapshotRules(): Promise<SnapshotRule[]>;
  deleteSnapshotRule(domain: string, app: string, stream: string): Promise<boolean>;

  /** Adds a task; a taken TaskId fails with STORE_FAILED. */
  addSnapshotTask(task: SnapshotTask): Promise<void>;
  getSnapshotTask(taskId: string): Promise<SnapshotTask | undefined>;
  listSnapshotTasks(query?: SnapshotTaskQuery): Promise<SnapshotTask[]>;
  stopSnapshotTask(taskId: string, at: number): Promise<boolean>;
  deleteSnapshotTask(taskId: string): Promise<boolean>;

  addSnapshotFile(file: NewSnapshotFile): Promise<number>;
  getSnapshotFile(id: number): Promise<SnapshotFile | undefined>;
  listSnapshotFiles(query?: SnapshotFileQuery): Promise<Page<SnapshotFile>>;
  /** Files whose expiry is at or before `now`, oldest expiry first, at most `limit`. */
  listExpiredSnapshotFiles(now: number, limit: number): Promise<SnapshotFile[]>;
  deleteSnapshotFile(id: number): Promise<boolean>;
}

/** The template a patch makes. */
export function patchedSnapshotTemplate(old: SnapshotTemplate, patch: SnapshotTemplatePatch): SnapshotTemplate {
  return {
    ...old,
    name: patch.name ?? old.name,
    description: patch.description ?? old.description,
    params: { ...old.params, ...patch.params },
    updatedAt: patch.updatedAt,
  };
}

type Row = Record<string, unknown>;
const num = (v: unknown): number => Number(v);

/** A template row (params as JSON text). */
export function snapshotTemplateFromRow(r: Row): SnapshotTemplate {
  return {
    id: num(r.id),
    name: String(r.name),
    description: String(r.description),
    params: JSON.parse(String(r.params)) as SnapshotTemplateParams,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

/** A picture row. */
export function snapshotFileFromRow(r: Row): SnapshotFile {
  return {
    id: num(r.id),
    nodeId: String(r.node_id),
    domain: String(r.domain),
    app: String(r.app),
    stream: String(r.stream),
    path: String(r.path),
    takenAt: num(r.taken_at),
    width: num(r.width),
    height: num(r.height),
    size: num(r.size),
    templateId: num(r.template_id),
    taskId: String(r.task_id),
    expiresAt: r.expires_at === null || r.expires_at === undefined ? null : num(r.expires_at),
  };
}
