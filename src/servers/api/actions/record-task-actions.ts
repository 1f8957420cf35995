/**
 * Record task actions (CreateRecordTask, StopRecordTask, DeleteRecordTask, DescribeRecordTask, times in Unix
 * seconds as the 2018-08-01 models have them) and openlive's list of recorded files, OpenLiveDescribeRecordFiles
 * (with file ids and download URLs where Tencent answers VOD FileIds), and OpenLiveDeleteRecordFile.
 */
import { randomBytes } from 'node:crypto';
import type { RecordFile, RecordTask } from '../../../store/record-store.ts';
import { ApiError, type ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalInt, optionalString, pageFields, paging, requiredInt, requiredString } from '../api-params.ts';
import { optionalDomain, optionalName, optionalTime, pushDomain, requiredName } from './stream-params.ts';
import { utcTime } from './tencent-time.ts';

type Params = Readonly<Record<string, unknown>>;

const hour = 3600;
const maxUnix = 2 ** 32;

function invalid(message: string): ApiError {
  return new ApiError('InvalidParameterValue', message);
}

function taskId(params: Params): string {
  return requiredString(params, 'TaskId', 128);
}

/** Tencent RecordTask (Unix seconds). */
function taskInfo(t: RecordTask): Record<string, unknown> {
  return {
    TaskId: t.taskId,
    DomainName: t.domain,
    AppName: t.app,
    StreamName: t.stream,
    StartTime: Math.floor(t.startTime / 1000),
    EndTime: Math.floor(t.endTime / 1000),
    TemplateId: t.templateId,
    Stopped: Math.floor(t.stopped / 1000),
  };
}

/** One recorded file as OpenLiveDescribeRecordFiles lists it. */
function fileInfo(deps: ApiDeps, f: RecordFile): Record<string, unknown> {
  return {
    FileId: String(f.id),
    DomainName: f.domain,
    AppName: f.app,
    StreamName: f.stream,
    Format: f.format,
    StartTime: utcTime(f.startedAt),
    EndTime: f.endedAt === null ? '' : utcTime(f.endedAt),
    Duration: f.durationMs / 1000,
    FileSize: f.size,
    Status: f.status,
    ErrorCode: f.errorCode,
    Reason: f.reason,
    TaskId: f.taskId,
    TemplateId: f.templateId,
    ExpireTime: f.expiresAt === null ? '' : utcTime(f.expiresAt),
    VideoUrl: deps.recording?.fileUrl(f) ?? '',
  };
}

/** The record task and record file actions. */
export function recordTaskActions(deps: ApiDeps): ApiActions {
  const r = deps.store.recordings;
  return {
    async CreateRecordTask(params) {
      const stream = requiredName(params, 'StreamName');
      const domain = await pushDomain(deps, params);
      const app = requiredName(params, 'AppName');
      const now = deps.now();
      const nowS = Math.floor(now / 1000);
      const endS = requiredInt(params, 'EndTime', 0, maxUnix);
      const startS = optionalInt(params, 'StartTime', 0, maxUnix) ?? nowS;
      // Tencent: EndTime after StartTime and now, within 7 days from now; at most 24 hours long.
      if (endS <= startS || endS <= nowS)
        throw invalid('The parameter EndTime must be later than StartTime and the current time.');
      if (endS > nowS + 7 * 24 * hour) throw invalid('The parameter EndTime must be within 7 days from now.');
      if (endS - startS > 24 * hour) throw invalid('EndTime - StartTime must be at most 24 hours.');
      if ((optionalInt(params, 'StreamType', 0, 1) ?? 0) !== 0)
        throw new ApiError('UnsupportedOperation', 'Only StreamType 0 (a live push) is recorded.');
      const templateId = optionalInt(params, 'TemplateId', 0, 2 ** 31 - 1) ?? 0;
      // Tencent: no or a wrong TemplateId records HLS kept for ever; 0 says so here.
      const known = templateId > 0 && (await r.getRecordTemplate(templateId)) !== undefined;
      const task: RecordTask = {
        taskId: randomBytes(16).toString('hex'),
        domain: domain.name,
        app,
        stream,
        startTime: startS * 1000,
        endTime: endS * 1000,
        templateId: known ? templateId : 0,
        extension: optionalString(params, 'Extension', 2048) ?? '',
        stopped: 0,
        createdAt: now,
      };
      await r.addRecordTask(task);
      await deps.recording?.checkTasks();
      return { TaskId: task.taskId };
    },

    async StopRecordTask(params) {
      const id = taskId(params);
      if (!(await r.getRecordTask(id)))
        throw new ApiError('ResourceNotFound.TaskId', `Record task ${id} does not exist.`);
      await r.stopRecordTask(id, deps.now());
      deps.recording?.stopTask(id);
      return {};
    },

    async DeleteRecordTask(params) {
      const id = taskId(params);
      if (!(await r.getRecordTask(id)))
        throw new ApiError('ResourceNotFound.TaskId', `Record task ${id} does not exist.`);
      deps.recording?.stopTask(id);
      await r.deleteRecordTask(id);
      return {};
    },

    async DescribeRecordTask(params) {
      const start = requiredInt(params, 'StartTime', 0, maxUnix) * 1000;
      const end = requiredInt(params, 'EndTime', 0, maxUnix) * 1000;
      if (end <= start) throw invalid('The parameter EndTime must be later than StartTime.');
      if (end - start > 7 * 24 * hour * 1000) throw invalid('StartTime and EndTime may be at most one week apart.');
      const offset = Number(optionalString(params, 'ScrollToken', 32) ?? '0');
      if (!Number.isInteger(offset) || offset < 0)
        throw invalid('The parameter ScrollToken is not one this server gave.');
      const all = await r.listRecordTasks({
        since: start,
        before: end,
        ...defined('domain', optionalDomain(params, 'DomainName')),
        ...defined('app', optionalName(params, 'AppName')),
        ...defined('stream', optionalName(params, 'StreamName')),
      });
      const page = all.slice(offset, offset + 100);
      return { ScrollToken: offset + 100 < all.length ? String(offset + 100) : '', TaskList: page.map(taskInfo) };
    },

    async OpenLiveDescribeRecordFiles(params) {
      const { pageNum, pageSize, limit, offset } = paging(params, 20, 1, 100);
      const page = await r.listRecordFiles({
        limit,
        offset,
        ...defined('domain', optionalDomain(params, 'DomainName')),
        ...defined('app', optionalName(params, 'AppName')),
        ...defined('stream', optionalName(params, 'StreamName')),
        ...defined('since', optionalTime(params, 'StartTime')),
        ...defined('before', optionalTime(params, 'EndTime')),
      });
      return { RecordFileList: page.items.map((f) => fileInfo(deps, f)), ...pageFields(page.total, pageNum, pageSize) };
    },

    async OpenLiveDeleteRecordFile(params) {
      const id = requiredString(params, 'FileId', 20);
      if (!/^\d{1,15}$/.test(id))
        throw invalid('The parameter FileId must be a file id from OpenLiveDescribeRecordFiles.');
      const deleted = deps.recording
        ? await deps.recording.deleteFile(Number(id))
        : await r.deleteRecordFile(Number(id));
      if (!deleted) throw new ApiError('ResourceNotFound.FileNotExist', `Recorded file ${id} does not exist.`);
      return {};
    },
  };
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
