/**
 * Parameters of the statistics actions (docs/api.md "Statistics"): Tencent's two time formats (UTC
 * `2019-01-08T10:00:00Z`, or `2019-01-08 18:00:00` meaning Beijing time, answered in the format asked),
 * the play/push domain filters, and the units (Bandwidth in Mbit/s, Flux in MB of 2^20 bytes).
 */
import { ApiError } from '../api-action.ts';
import { optionalInt } from '../api-params.ts';
import type { ApiDeps } from '../api-deps.ts';
import { beijingOffsetMs, beijingTime, utcTime } from './tencent-time.ts';
import { parseIsoTime } from './stream-params.ts';

type Params = Readonly<Record<string, unknown>>;

/** A time parameter and the formatter of answers in the same format. */
export interface StatsTime {
  readonly ms: number;
  readonly format: (ms: number) => string;
}

const beijingPattern = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** A required time in either of Tencent's formats. */
export function statsTime(params: Params, name: string): StatsTime {
  const value = params[name];
  if (value === undefined || value === null || value === '')
    throw new ApiError('MissingParameter', `The parameter ${name} is missing.`);
  if (typeof value !== 'string') throw new ApiError('InvalidParameterValue', `The parameter ${name} must be a string.`);
  const m = beijingPattern.exec(value);
  if (m) {
    const utc = parseIsoTime(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
    if (utc !== undefined) return { ms: utc - beijingOffsetMs, format: beijingTime };
  } else {
    const ms = parseIsoTime(value);
    if (ms !== undefined) return { ms, format: utcTime };
  }
  throw new ApiError(
    'InvalidParameterValue',
    `The parameter ${name} must be a time such as 2019-01-08T10:00:00Z (UTC) or 2019-01-08 18:00:00 (Beijing time).`,
  );
}

/** StartTime and EndTime, EndTime after StartTime and at most `maxSpanMs` later. */
export function statsWindow(params: Params, maxSpanMs: number): { start: StatsTime; end: StatsTime } {
  const start = statsTime(params, 'StartTime');
  const end = statsTime(params, 'EndTime');
  if (end.ms < start.ms)
    throw new ApiError('InvalidParameterValue', 'The parameter EndTime must not be earlier than StartTime.');
  if (end.ms - start.ms > maxSpanMs) {
    throw new ApiError(
      'InvalidParameterValue',
      `The parameters StartTime and EndTime may be at most ${Math.round(maxSpanMs / 3_600_000)} hours apart.`,
    );
  }
  return { start, end };
}

/** An optional string array (PlayDomains, PushDomains). */
export function stringList(params: Params, name: string): string[] | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new ApiError('InvalidParameterValue', `The parameter ${name} must be an array of strings.`);
  }
  return value.length ? value.map((v: string) => v.toLowerCase()) : undefined;
}

/**
 * The push domains whose samples a domain filter means. Samples carry the stream's push domain; openlive
 * serves every stream on every play domain, so a play domain in the list means every stream (undefined).
 */
export async function sampleDomains(
  deps: ApiDeps,
  names: readonly string[] | undefined,
): Promise<string[] | undefined> {
  if (!names?.length) return undefined;
  for (const name of names) {
    if ((await deps.store.getDomain(name))?.type === 'play') return undefined;
  }
  return [...names];
}

/** An optional integer in [min, max]. */
export function intParam(params: Params, name: string, min: number, max: number, fallback: number): number {
  // A GET (TC3 or v1) or a v1 form carries every value as a string: digits are the integer (api-params.ts).
  return optionalInt(params, name, min, max) ?? fallback;
}

/** Mbit/s of `bytes` over `ms`. */
export function mbps(bytes: number, ms: number): number {
  return round((bytes * 8) / (Math.max(ms, 1000) / 1000) / 1e6);
}

/** MB (2^20 bytes) of `bytes`. */
export function megabytes(bytes: number): number {
  return round(bytes / 1048576);
}

/** Four decimals: Tencent answers floats such as 0.0032. */
function round(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}
