/**
 * What the record and screenshot task actions share (CreateRecordTask / CreateScreenshotTask and their
 * Describe actions, 2018-08-01 models, times in Unix seconds): the task window's checks and the task list.
 */
import type { RecordTask, RecordTaskQuery } from '../../../store/record-store.ts';
import { ApiError } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalInt, optionalString, requiredInt } from '../api-params.ts';
import { optionalDomain, optionalName, pushDomain, requiredName } from './stream-params.ts';

type Params = Readonly<Record<string, unknown>>;

const hour = 3600;
/** Largest Unix time in seconds a task may name. */
export const maxUnix = 2 ** 32;

/** An InvalidParameterValue error with its message. */
export function invalid(message: string): ApiError {
  return new ApiError('InvalidParameterValue', message);
}

/** The stream and window of a new task, checked as Tencent checks them; `what` ends "Only StreamType 0 … is". */
export async function newTaskWindow(
  deps: ApiDeps,
  params: Params,
  what: string,
): Promise<Pick<RecordTask, 'domain' | 'app' | 'stream' | 'startTime' | 'endTime'> & { now: number }> {
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
    throw new ApiError('UnsupportedOperation', `Only StreamType 0 (a live push) is ${what}.`);
  return {
    domain: domain.name,
    app,
    stream,
    startTime: startS * 1000,
    endTime: endS * 1000,
    now,
  };
}

/** Tencent RecordTask / ScreenshotTask (Unix seconds). */
export function taskInfo(t: RecordTask): Record<string, unknown> {
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

/** DescribeRecordTask / DescribeScreenshotTask: tasks starting in a window of at most a week, 100 per ScrollToken. */
export async function describeTasks(
  params: Params,
  list: (q: RecordTaskQuery) => Promise<RecordTask[]>,
): Promise<Record<string, unknown>> {
  const start = requiredInt(params, 'StartTime', 0, maxUnix) * 1000;
  const end = requiredInt(params, 'EndTime', 0, maxUnix) * 1000;
  if (end <= start) throw invalid('The parameter EndTime must be later than StartTime.');
  if (end - start > 7 * 24 * hour * 1000) throw invalid('StartTime and EndTime may be at most one week apart.');
  const offset = Number(optionalString(params, 'ScrollToken', 32) ?? '0');
  if (!Number.isInteger(offset) || offset < 0) throw invalid('The parameter ScrollToken is not one this server gave.');
  const all = await list({
    since: start,
    before: end,
    ...defined('domain', optionalDomain(params, 'DomainName')),
    ...defined('app', optionalName(params, 'AppName')),
    ...defined('stream', optionalName(params, 'StreamName')),
  });
  const page = all.slice(offset, offset + 100);
  return { ScrollToken: offset + 100 < all.length ? String(offset + 100) : '', TaskList: page.map(taskInfo) };
}

/** `{ key: value }` when the value is given, `{}` otherwise: optional query fields spread into a store query. */
export function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
