/** Readers of action parameters that fail with Tencent's MissingParameter / InvalidParameterValue naming the field. */
import { ApiError } from './api-action.ts';

type Params = Readonly<Record<string, unknown>>;

/** A required non-empty string parameter. */
export function requiredString(params: Params, name: string, maxBytes = 1024): string {
  const value = params[name];
  if (value === undefined || value === null || value === '')
    throw new ApiError('MissingParameter', `The parameter ${name} is missing.`);
  return checkString(value, name, maxBytes);
}

/** An optional string parameter (undefined when absent or empty). */
export function optionalString(params: Params, name: string, maxBytes = 1024): string | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  return checkString(value, name, maxBytes);
}

function checkString(value: unknown, name: string, maxBytes: number): string {
  if (typeof value !== 'string') throw new ApiError('InvalidParameterValue', `The parameter ${name} must be a string.`);
  if (Buffer.byteLength(value) > maxBytes) {
    throw new ApiError('InvalidParameterValue', `The parameter ${name} is longer than ${maxBytes} bytes.`);
  }
  return value;
}

/** An optional integer parameter within [min, max]; Tencent's SDKs send numbers, some callers send digit strings. */
export function optionalInt(params: Params, name: string, min: number, max: number): number | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ApiError('InvalidParameterValue', `The parameter ${name} must be an integer from ${min} to ${max}.`);
  }
  return n;
}

/** A required integer parameter within [min, max]. */
export function requiredInt(params: Params, name: string, min: number, max: number): number {
  const n = optionalInt(params, name, min, max);
  if (n === undefined) throw new ApiError('MissingParameter', `The parameter ${name} is missing.`);
  return n;
}

/** Tencent paging: PageNum from 1, PageSize within the action's bounds; returns limit/offset for the store. */
export function paging(
  params: Params,
  defaultSize: number,
  minSize: number,
  maxSize: number,
): { pageNum: number; pageSize: number; limit: number; offset: number } {
  const pageNum = optionalInt(params, 'PageNum', 1, 100_000) ?? 1;
  const pageSize = optionalInt(params, 'PageSize', minSize, maxSize) ?? defaultSize;
  return { pageNum, pageSize, limit: pageSize, offset: (pageNum - 1) * pageSize };
}

/** The page fields Tencent list responses carry. */
export function pageFields(
  total: number,
  pageNum: number,
  pageSize: number,
): { TotalNum: number; TotalPage: number; PageNum: number; PageSize: number } {
  return { TotalNum: total, TotalPage: Math.ceil(total / pageSize), PageNum: pageNum, PageSize: pageSize };
}
