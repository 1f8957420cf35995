/**
 * The response models of `tencentcloud-sdk-nodejs`'s live 2018-08-01 client, read from its `live_models.d.ts`,
 * so a test can check an answer field by field against what the SDK declares (every field present, of the
 * declared type, nested models and arrays of models checked the same way).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const modelsFile = join(
  dirname(require.resolve('tencentcloud-sdk-nodejs/tencentcloud/services/live/v20180801/live_client.js')),
  'live_models.d.ts',
);

let models: Map<string, Map<string, string>> | undefined;

/** Every interface of the models file: field name to declared type. */
function allModels(): Map<string, Map<string, string>> {
  if (models) return models;
  models = new Map();
  let current: Map<string, string> | undefined;
  for (const line of readFileSync(modelsFile, 'utf8').split('\n')) {
    const start = /^export interface (\w+) \{/.exec(line);
    if (start) models.set(start[1]!, (current = new Map()));
    else if (line.startsWith('}')) current = undefined;
    else if (current) {
      const field = /^ {4}(\w+)\??: (.+);$/.exec(line);
      if (field) current.set(field[1]!, field[2]!);
    }
  }
  return models;
}

/** The fields the SDK declares for model `name` (throws for an unknown model). */
export function modelFields(name: string): ReadonlyMap<string, string> {
  const m = allModels().get(name);
  if (!m) throw new Error(`no model ${name} in the SDK`);
  return m;
}

/**
 * What in `value` differs from model `name`: missing fields, wrong types, recursively (`path.Field: why`).
 * `optional` names fields (`Model.Field`) the server may leave out, e.g. ones Tencent documents as possibly null.
 */
export function modelMismatches(value: unknown, name: string, optional: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  check(value, name, name, optional, out);
  return out;
}

function check(value: unknown, model: string, path: string, optional: ReadonlySet<string>, out: string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    out.push(`${path}: not an object`);
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const [field, type] of modelFields(model)) {
    const v = obj[field];
    if (v === undefined || v === null) {
      if (!optional.has(`${model}.${field}`) && !optional.has(field)) out.push(`${path}.${field}: missing`);
      continue;
    }
    checkType(v, type, `${path}.${field}`, optional, out);
  }
}

function checkType(v: unknown, type: string, path: string, optional: ReadonlySet<string>, out: string[]): void {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (!Array.isArray(v)) out.push(`${path}: not an array`);
    else v.forEach((item, i) => checkType(item, array[1]!, `${path}[${i}]`, optional, out));
    return;
  }
  if (type === 'string' || type === 'number' || type === 'boolean') {
    if (typeof v !== type) out.push(`${path}: ${typeof v}, the SDK declares ${type}`);
    return;
  }
  if (type === 'number | bigint') {
    if (typeof v !== 'number') out.push(`${path}: ${typeof v}, the SDK declares a number`);
    return;
  }
  if (allModels().has(type)) check(v, type, path, optional, out);
}
