/**
 * Screenshot tasks with the live 2018-08-01 models' fields (docs/api.md "Snapshots"): CreateScreenshotTask,
 * StopScreenshotTask, DeleteScreenshotTask, DescribeScreenshotTask; and openlive's own
 * OpenLiveDescribeSnapshotFiles (pictures by stream and time range, with their URLs) and
 * OpenLiveDeleteSnapshotFile, where Tencent leaves the pictures in the customer's COS bucket.
 */
import { randomBytes } from 'node:crypto';
import type { SnapshotFile, SnapshotTask } from '../../../store/snapshot-store.ts';
import { ApiError, type ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalString, pageFields, paging, requiredInt, requiredString } from '../api-params.ts';
import { flag, optionalDomain, optionalName, optionalTime } from './stream-params.ts';
import { utcTime } from './tencent-time.ts';
import { defined, describeTasks, invalid, newTaskWindow } from './task-params.ts';

type Params = Readonly<Record<string, unknown>>;

/** One picture as OpenLiveDescribeSnapshotFiles lists it. */
function fileInfo(deps: ApiDeps, f: SnapshotFile): Record<string, unknown> {
  return {
    FileId: String(f.id),
    DomainName: f.domain,
    AppName: f.app,
    StreamName: f.stream,
    CreateTime: utcTime(f.takenAt),
    Width: f.width,
    Height: f.height,
    FileSize: f.size,
    TaskId: f.taskId,
    TemplateId: f.templateId,
    ExpireTime: f.expiresAt === null ? '' : utcTime(f.expiresAt),
    PicUrl: deps.snapshots?.fileUrl(f) ?? '',
  };
}

async function knownTask(deps: ApiDeps, params: Params): Promise<string> {
  const id = requiredString(params, 'TaskId', 128);
  if (!(await deps.store.snapshots.getSnapshotTask(id)))
    throw new ApiError('ResourceNotFound.TaskId', `Screenshot task ${id} does not exist.`);
  return id;
}

/** The screenshot task and snapshot file actions. */
export function snapshotTaskActions(deps: ApiDeps): ApiActions {
  const s = deps.store.snapshots;
  return {
    async CreateScreenshotTask(params) {
      const { now, ...window } = await newTaskWindow(deps, params, 'captured');
      const templateId = requiredInt(params, 'TemplateId', 1, 2 ** 31 - 1);
      const task: SnapshotTask = {
        taskId: randomBytes(16).toString('hex'),
        ...window,
        // Tencent: a wrong TemplateId is accepted and takes no pictures; the snapshotter finds no template.
        templateId,
        extension: optionalString(params, 'Extension', 2048) ?? '',
        stopped: 0,
        createdAt: now,
      };
      await s.addSnapshotTask(task);
      await deps.snapshots?.checkTasks();
      return { TaskId: task.taskId };
    },

    async StopScreenshotTask(params) {
      const id = await knownTask(deps, params);
      await s.stopSnapshotTask(id, deps.now());
      deps.snapshots?.stopTask(id);
      return {};
    },

    async DeleteScreenshotTask(params) {
      const id = await knownTask(deps, params);
      deps.snapshots?.stopTask(id);
      await s.deleteSnapshotTask(id);
      return {};
    },

    async DescribeScreenshotTask(params) {
      return await describeTasks(params, (q) => s.listSnapshotTasks(q));
    },

    async OpenLiveDescribeSnapshotFiles(params) {
      const { pageNum, pageSize, limit, offset } = paging(params, 20, 1, 100);
      const page = await s.listSnapshotFiles({
        limit,
        offset,
        // IsDesc=1 lists the newest first (the console's latest picture per stream).
        descending: flag(params, 'IsDesc'),
        ...defined('domain', optionalDomain(params, 'DomainName')),
        ...defined('app', optionalName(params, 'AppName')),
        ...defined('stream', optionalName(params, 'StreamName')),
        ...defined('since', optionalTime(params, 'StartTime')),
        ...defined('before', optionalTime(params, 'EndTime')),
      });
      return {
        SnapshotFileList: page.items.map((f) => fileInfo(deps, f)),
        ...pageFields(page.total, pageNum, pageSize),
      };
    },

    async OpenLiveDeleteSnapshotFile(params) {
      const id = requiredString(params, 'FileId', 20);
      if (!/^\d{1,15}$/.test(id))
        throw invalid('The parameter FileId must be a file id from OpenLiveDescribeSnapshotFiles.');
      const deleted = deps.snapshots
        ? await deps.snapshots.deleteFile(Number(id))
        : await s.deleteSnapshotFile(Number(id));
      if (!deleted) throw new ApiError('ResourceNotFound.FileNotExist', `Snapshot ${id} does not exist.`);
      return {};
    },
  };
}
