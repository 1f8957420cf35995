/**
 * The window and time format of DescribeCallbackRecordsList (tencent-css.md §3.3): StartTime and EndTime
 * in UTC (`2019-01-16T12:00:00Z`) or Beijing time (`2019-01-16 20:00:00`), at most one day apart and
 * within the last 14 days; the answer's times come back in the format the request used.
 */
import { ApiError } from '../api-action.ts';
import { requiredString } from '../api-params.ts';
import { beijingOffsetMs as beijingOffset, beijingTime } from './tencent-time.ts';
import { parseIsoTime, utcTime } from './stream-params.ts';

type Params = Readonly<Record<string, unknown>>;

const day = 24 * 3600 * 1000;
/** Tencent keeps callback records 14 days (the deliverer prunes older attempts). */
export const recordHistoryDays = 14;
const beijingPattern = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** The query of one DescribeCallbackRecordsList call. */
export interface CallbackRecordsQuery {
  readonly stream: string;
  /** [start, end) in Unix ms. */
  readonly start: number;
  readonly end: number;
  /** Formats a time as the request wrote StartTime. */
  readonly format: (ms: number) => string;
}

/** Reads StreamName (exact) and the time window; InvalidParameterValue names what is wrong. */
export function callbackRecords(params: Params, now: number): CallbackRecordsQuery {
  const stream = requiredString(params, 'StreamName', 256);
  const start = readTime(params, 'StartTime');
  const end = readTime(params, 'EndTime');
  const invalid = (message: string): never => {
    throw new ApiError('InvalidParameterValue', message);
  };
  if (end.ms <= start.ms) invalid('The parameter EndTime must be later than StartTime.');
  if (end.ms - start.ms > day) invalid('The parameter EndTime must be at most 1 day after StartTime.');
  if (start.ms < now - recordHistoryDays * day)
    invalid(`The parameter StartTime cannot be more than ${recordHistoryDays} days ago.`);
  return { stream, start: start.ms, end: end.ms, format: start.beijing ? beijingTime : utcTime };
}

function readTime(params: Params, name: string): { ms: number; beijing: boolean } {
  const value = requiredString(params, name, 64);
  const m = beijingPattern.exec(value);
  if (m) {
    const [year, month, date, hour, minute, second] = m.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const ms = Date.UTC(year, month - 1, date, hour, minute, second);
    const back = new Date(ms);
    // Date.UTC rolls 2019-02-30 over to March 2: a date that does not come back the same is invalid.
    if (back.getUTCDate() === date && back.getUTCMonth() === month - 1 && hour < 24 && minute < 60 && second < 60) {
      return { ms: ms - beijingOffset, beijing: true };
    }
  }
  const iso = m ? undefined : parseIsoTime(value);
  if (iso === undefined) {
    throw new ApiError(
      'InvalidParameterValue',
      `The parameter ${name} must be a UTC time such as 2019-01-16T12:00:00Z or a Beijing time such as 2019-01-16 20:00:00.`,
    );
  }
  return { ms: iso, beijing: false };
}
