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
import { optionalInt, optionalString, pageFields, paging, requiredInt, requiredString } from '../api-params.ts';
import { flag, optionalDomain, optionalName, optionalTime, pushDomain, requiredName } from './stream-params.ts';
import { utcTime } from './tencent-time.ts';

type Params = Readonly<Record<string, unknown>>;

const hour = 3600;
const maxUnix = 2 ** 32;

function invalid(message: string): ApiError {
  return new ApiError('InvalidParameterValue', message);
}

/** Tencent ScreenshotTask (Unix seconds). */
function taskInfo(t: SnapshotTask): Record<string, unknown> {
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
        throw new ApiError('UnsupportedOperation', 'Only StreamType 0 (a live push) is captured.');
      const templateId = requiredInt(params, 'TemplateId', 1, 2 ** 31 - 1);
      const task: SnapshotTask = {
        taskId: randomBytes(16).toString('hex'),
        domain: domain.name,
        app,
        stream,
        startTime: startS * 1000,
        endTime: endS * 1000,
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
      const start = requiredInt(params, 'StartTime', 0, maxUnix) * 1000;
      const end = requiredInt(params, 'EndTime', 0, maxUnix) * 1000;
      if (end <= start) throw invalid('The parameter EndTime must be later than StartTime.');
      if (end - start > 7 * 24 * hour * 1000) throw invalid('StartTime and EndTime may be at most one week apart.');
      const offset = Number(optionalString(params, 'ScrollToken', 32) ?? '0');
      if (!Number.isInteger(offset) || offset < 0)
        throw invalid('The parameter ScrollToken is not one this server gave.');
      const all = await s.listSnapshotTasks({
        since: start,
        before: end,
        ...defined('domain', optionalDomain(params, 'DomainName')),
        ...defined('app', optionalName(params, 'AppName')),
        ...defined('stream', optionalName(params, 'StreamName')),
      });
      const page = all.slice(offset, offset + 100);
      return { ScrollToken: offset + 100 < all.length ? String(offset + 100) : '', TaskList: page.map(taskInfo) };
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

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
