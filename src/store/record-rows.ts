/** Row mappers and the template merge shared by the SQLite and PostgreSQL recording tables. */
import type {
  RecordFile,
  RecordFileStatus,
  RecordRule,
  RecordTask,
  RecordTemplate,
  RecordTemplateParams,
  RecordTemplatePatch,
} from './record-store.ts';

/** A database row: column name to value (PostgreSQL BIGINT arrives as a string). */
export type Row = Record<string, unknown>;

const num = (v: unknown): number => Number(v);

/** A template row (params as JSON text). */
export function recordTemplateFromRow(r: Row): RecordTemplate {
  return {
    id: num(r.id),
    name: String(r.name),
    description: String(r.description),
    params: JSON.parse(String(r.params)) as RecordTemplateParams,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

/** A rule row. */
export function recordRuleFromRow(r: Row): RecordRule {
  return {
    domain: String(r.domain),
    app: String(r.app),
    stream: String(r.stream),
    templateId: num(r.template_id),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

/** A task row. */
export function recordTaskFromRow(r: Row): RecordTask {
  return {
    taskId: String(r.task_id),
    domain: String(r.domain),
    app: String(r.app),
    stream: String(r.stream),
    startTime: num(r.start_time),
    endTime: num(r.end_time),
    templateId: num(r.template_id),
    extension: String(r.extension),
    stopped: num(r.stopped),
    createdAt: num(r.created_at),
  };
}

/** A file row. */
export function recordFileFromRow(r: Row): RecordFile {
  return {
    id: num(r.id),
    nodeId: String(r.node_id),
    domain: String(r.domain),
    app: String(r.app),
    stream: String(r.stream),
    format: String(r.format),
    path: String(r.path),
    startedAt: num(r.started_at),
    templateId: num(r.template_id),
    taskId: String(r.task_id),
    expiresAt: r.expires_at === null || r.expires_at === undefined ? null : num(r.expires_at),
    endedAt: r.ended_at === null || r.ended_at === undefined ? null : num(r.ended_at),
    durationMs: num(r.duration_ms),
    size: num(r.size),
    status: String(r.status) as RecordFileStatus,
    errorCode: String(r.error_code),
    reason: String(r.reason),
  };
}

/** The template a patch makes: formats given replace theirs, other params fields replace theirs. */
export function patchedTemplate(old: RecordTemplate, patch: RecordTemplatePatch): RecordTemplate {
  const p = patch.params ?? {};
  const params: RecordTemplateParams = {
    formats: { ...old.params.formats, ...p.formats },
    flowContinueSeconds: p.flowContinueSeconds ?? old.params.flowContinueSeconds,
    isDelayLive: p.isDelayLive ?? old.params.isDelayLive,
    removeWatermark: p.removeWatermark ?? old.params.removeWatermark,
  };
  return {
    ...old,
    name: patch.name ?? old.name,
    description: patch.description ?? old.description,
    params,
    updatedAt: patch.updatedAt,
  };
}
