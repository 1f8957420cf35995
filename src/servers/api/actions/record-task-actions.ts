/**
 * Record task actions (CreateRecordTask, StopRecordTask, DeleteRecordTask, DescribeRecordTask, times in Unix
 * seconds as the 2018-08-01 models have them) and openlive's list of recorded files, OpenLiveDescribeRecordFiles
 * (with file ids and download URLs where Tencent answers VOD FileIds), and OpenLiveDeleteRecordFile.
 */
import { randomBytes } from 'node:crypto';
import type { RecordFile, RecordTask } from '../../../store/record-store.ts';
import { ApiError, type ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalInt, optionalString, pageFields, paging, requiredString } from '../api-params.ts';
import { optionalDomain, optionalName, optionalTime } from './stream-params.ts';
import { utcTime } from './tencent-time.ts';
import { defined, describeTasks, invalid, newTaskWindow } from './task-params.ts';

type Params = Readonly<Record<string, unknown>>;

function taskId(params: Params): string {
  return requiredString(params, 'TaskId', 128);
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
      const { now, ...window } = await newTaskWindow(deps, params, 'recorded');
      const templateId = optionalInt(params, 'TemplateId', 0, 2 ** 31 - 1) ?? 0;
      // Tencent: no or a wrong TemplateId records HLS kept for ever; 0 says so here.
      const known = templateId > 0 && (await r.getRecordTemplate(templateId)) !== undefined;
      const task: RecordTask = {
        taskId: randomBytes(16).toString('hex'),
        ...window,
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
      return await describeTasks(params, (q) => r.listRecordTasks(q));
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
