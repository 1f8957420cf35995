/**
 * Parameter readers and field formats shared by the stream and record actions: stream names, push
 * domains, Tencent's UTC and Beijing time strings, query windows and entry caps (tencent-css.md §3.3).
 */
import { nameProblem } from '../../../control/names.ts';
import type { Domain } from '../../../store/store.ts';
import { ApiError } from '../api-action.ts';
import type { ApiDeps } from '../api-deps.ts';
import { optionalInt, optionalString, requiredString } from '../api-params.ts';
export { beijingIsoTime, utcTime } from './tencent-time.ts';

type Params = Readonly<Record<string, unknown>>;

const second = 1000;
const day = 24 * 3600 * second;

function invalid(message: string): ApiError {
  return new ApiError('InvalidParameterValue', message);
}

/** An AppName or StreamName: the characters a publisher may use (control/names.ts). */
export function requiredName(params: Params, name: string): string {
  return checkName(requiredString(params, name), name);
}

/** An optional AppName or StreamName filter, checked like a required one. */
export function optionalName(params: Params, name: string): string | undefined {
  const value = optionalString(params, name);
  return value === undefined ? undefined : checkName(value, name);
}

function checkName(value: string, name: string): string {
  const problem = nameProblem(value);
  if (problem) throw invalid(`The parameter ${name} ${problem}.`);
  return value;
}

/** An optional domain filter, lowercase as domains are stored. */
export function optionalDomain(params: Params, name: string): string | undefined {
  return optionalString(params, name, 253)?.toLowerCase().replace(/\.$/, '');
}

/** A required domain filter, lowercase as domains are stored. */
export function requiredDomain(params: Params, name: string): string {
  return requiredString(params, name, 253).toLowerCase().replace(/\.$/, '');
}

/**
 * A required push domain that must exist: a typo would otherwise make Drop succeed on nothing and
 * State answer "inactive". Unknown: DOMAIN_NOT_FOUND (ResourceNotFound.DomainNotExist); a play domain:
 * InvalidParameterValue.
 */
export async function pushDomain(deps: ApiDeps, params: Params, name = 'DomainName'): Promise<Domain> {
  const domain = await deps.domains.get(requiredString(params, name, 253));
  if (domain.type !== 'push')
    throw invalid(`The parameter ${name} names play domain ${domain.name}; streams are managed on push domains.`);
  return domain;
}

/** A 0/1 switch (IsFilter, IsStrict, IsAsc); absent is 0. */
export function flag(params: Params, name: string): boolean {
  return optionalInt(params, name, 0, 1) === 1;
}

// ISO 8601 as Tencent documents it: 2018-06-29T19:00:00Z, or with an offset such as +08:00.
const isoTime = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** An optional ISO 8601 time in Unix ms (`2018-06-29T19:00:00Z`; an offset like `+08:00` is honoured). */
export function optionalTime(params: Params, name: string): number | undefined {
  const value = optionalString(params, name, 64);
  if (value === undefined) return undefined;
  const ms = parseIsoTime(value);
  if (ms === undefined) throw invalid(`The parameter ${name} must be a UTC time such as 2018-06-29T19:00:00Z.`);
  return ms;
}

/** Unix ms of an ISO time, or undefined; Date.parse alone would roll 2018-02-30 over to March 2. */
export function parseIsoTime(value: string): number | undefined {
  const m = isoTime.exec(value);
  if (!m) return undefined;
  const [year, month, date, hour, minute, sec] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || date < 1 || date > daysInMonth || hour > 23 || minute > 59 || sec > 59)
    return undefined;
  return Date.parse(value);
}

/** A required ISO 8601 time in Unix ms. */
export function requiredTime(params: Params, name: string): number {
  const ms = optionalTime(params, name);
  if (ms === undefined) throw new ApiError('MissingParameter', `The parameter ${name} is missing.`);
  return ms;
}

/** The limits of a StartTime/EndTime window. */
export interface WindowLimits {
  readonly maxSpanDays: number;
  /** How far back StartTime may reach; undefined for no limit. */
  readonly historyDays?: number;
}

/** How far EndTime may be ahead of the server clock: the TC3 timestamp tolerance, for clients whose clock runs fast. */
export const clockSkewMs = 5 * 60 * second;

/** StartTime and EndTime as [start, end) in Unix ms, checked against the action's limits. */
export function timeWindow(params: Params, now: number, limits: WindowLimits): { start: number; end: number } {
  const start = requiredTime(params, 'StartTime');
  const end = requiredTime(params, 'EndTime');
  if (end <= start) throw invalid('The parameter EndTime must be later than StartTime.');
  if (end > now + clockSkewMs) throw invalid('The parameter EndTime cannot be later than the current time.');
  if (end - start > limits.maxSpanDays * day) {
    throw invalid(`The parameter EndTime must be at most ${limits.maxSpanDays} days after StartTime.`);
  }
  if (limits.historyDays !== undefined && start < now - limits.historyDays * day) {
    throw invalid(`The parameter StartTime cannot be more than ${limits.historyDays} days ago.`);
  }
  return { start, end };
}

/** Tencent answers at most `max` entries per query (10,000 for the record lists): later pages are refused. */
export function checkEntryCap(pageNum: number, pageSize: number, max = 10_000): void {
  if (pageNum * pageSize > max)
    throw invalid(`The parameter PageNum reaches past entry ${max}; PageNum × PageSize must be at most ${max}.`);
}

/** Tencent's Resolution: `640*352`, or empty when the size is unknown. */
export function resolution(width: number | null | undefined, height: number | null | undefined): string {
  return width && height ? `${width}*${height}` : '';
}

/** Whole seconds between two times, as Tencent's Duration fields. */
export function durationSeconds(from: number, to: number): number {
  return Math.max(0, Math.round((to - from) / second));
}
