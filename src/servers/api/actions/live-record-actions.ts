/**
 * Tencent's older recording API, CreateLiveRecord and StopLiveRecord (live 2018-08-01): one format per task,
 * scheduled (`StartTime`/`EndTime` in China Standard Time) or real-time (`Highlight` 1: from now). Each becomes a
 * record task (record-task-actions.ts) whose format and `StreamParam` (`record_interval`, `storage_time`) ride in
 * the task's extension, so the same recorder, rows and callbacks serve both APIs.
 */
import { randomBytes } from 'node:crypto';
import { liveRecordExtension, type LiveRecordSpec } from '../../../store/record-store.ts';
import { ApiError, type ApiActions } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalInt, optionalString, requiredInt } from '../api-params.ts';
import { optionalName, pushDomain, requiredName } from './stream-params.ts';
import { beijingOffsetMs } from './tencent-time.ts';

type Params = Readonly<Record<string, unknown>>;

const formats = ['flv', 'hls', 'mp4', 'aac', 'mp3'] as const;
/** A real-time recording without an EndTime ends after this long (Tencent: at most 30 minutes ahead). */
const realTimeMs = 30 * 60_000;

function invalid(message: string): ApiError {
  return new ApiError('InvalidParameterValue', message);
}

/** `2017-01-01 10:10:01` (China Standard Time, UTC+8), also URL-encoded as Tencent's doc shows (`2017-01-01+10%3a10%3a01`). */
function chinaTime(params: Params, name: string): number | undefined {
  let value = optionalString(params, name, 64);
  if (value === undefined) return undefined;
  try {
    value = decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw invalid(`The parameter ${name} is not URL-encoded correctly.`);
  }
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (!m) throw invalid(`The parameter ${name} must be China Standard Time such as 2017-01-01 10:10:01.`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - beijingOffsetMs;
  if (new Date(ms + beijingOffsetMs).getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    throw invalid(`The parameter ${name} is not a valid time.`);
  return ms;
}

/** StreamParam `record_interval=3600&storage_time=2592000`. */
function streamParam(params: Params): { recordInterval: number; storageTime: number } {
  const q = new URLSearchParams(decodeURIComponentSafe(optionalString(params, 'StreamParam', 1024) ?? ''));
  const int = (key: string, min: number, max: number, fallback: number): number => {
    const v = q.get(key);
    if (v === null) return fallback;
    const n = /^\d+$/.test(v) ? Number(v) : NaN;
    if (!(n >= min && n <= max)) throw invalid(`StreamParam ${key} must be from ${min} to ${max}.`);
    return n;
  };
  return {
    recordInterval: int('record_interval', 1, 7200, 1800),
    storageTime: int('storage_time', 0, 1500 * 86400, 0),
  };
}

function decodeURIComponentSafe(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** CreateLiveRecord and StopLiveRecord. */
export function liveRecordActions(deps: ApiDeps): ApiActions {
  const r = deps.store.recordings;
  return {
    async CreateLiveRecord(params) {
      const stream = requiredName(params, 'StreamName');
      const app = optionalName(params, 'AppName') ?? 'live';
      const domain = await pushDomain(deps, params);
      const now = deps.now();
      const realTime = optionalInt(params, 'Highlight', 0, 1) === 1;
      if (optionalInt(params, 'MixStream', 0, 1) === 1)
        throw new ApiError('UnsupportedOperation', 'Recording a mixed stream (MixStream 1) is not supported.');
      const start = realTime ? now : chinaTime(params, 'StartTime');
      const end = chinaTime(params, 'EndTime') ?? (realTime ? now + realTimeMs : undefined);
      if (start === undefined || end === undefined)
        throw new ApiError('MissingParameter', 'A scheduled recording (Highlight 0) needs StartTime and EndTime.');
      if (end <= start || end <= now)
        throw invalid('The parameter EndTime must be later than StartTime and the current time.');
      if (end - start > 24 * 3600_000) throw invalid('EndTime - StartTime must be at most 24 hours.');
      const fileFormat = (optionalString(params, 'FileFormat', 8) ?? 'flv').toLowerCase();
      if (!(formats as readonly string[]).includes(fileFormat))
        throw invalid('The parameter FileFormat must be flv, hls, mp4, aac or mp3.');
      const audioOnly = (optionalString(params, 'RecordType', 8) ?? 'video').toLowerCase() === 'audio';
      const spec: LiveRecordSpec = {
        format: audioOnly && fileFormat !== 'mp3' ? 'aac' : fileFormat,
        ...streamParam(params),
      };
      // Tencent's TaskId here is a number: a random 48-bit one stays exact in JSON and JavaScript.
      const taskId = String(randomBytes(6).readUIntBE(0, 6));
      await r.addRecordTask({
        taskId,
        domain: domain.name,
        app,
        stream,
        startTime: start,
        endTime: end,
        templateId: 0,
        extension: liveRecordExtension(spec),
        stopped: 0,
        createdAt: now,
      });
      await deps.recording?.checkTasks();
      return { TaskId: Number(taskId) };
    },

    async StopLiveRecord(params) {
      const stream = requiredName(params, 'StreamName');
      const taskId = String(requiredInt(params, 'TaskId', 0, 2 ** 48));
      const task = await r.getRecordTask(taskId);
      if (!task || task.stream !== stream)
        throw new ApiError('ResourceNotFound.TaskId', `Record task ${taskId} of ${stream} does not exist.`);
      await r.stopRecordTask(taskId, deps.now());
      deps.recording?.stopTask(taskId);
      return {};
    },
  };
}
