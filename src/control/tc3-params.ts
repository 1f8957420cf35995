/**
 * The parameters of a query string or form body (GET/TC3 and signature v1): flat `k=v` pairs, then
 * Tencent's flattening undone (`Items.0.Name=a` → `{Items: [{Name: 'a'}]}`, as the SDKs' mergeData writes it).
 * Values stay strings; the actions' readers accept digit strings for integers.
 */

/** At most this many pairs and this depth of `a.b.c`: a request is small (docs/security.md, api.maxBodyBytes). */
export const maxFlatParams = 1000;
export const maxParamDepth = 8;

/** Why a query or form could not be decoded (the router answers InvalidParameter). */
export class ParamsDecodeError extends Error {}

/** The decoded pairs of `a=1&b=x%20y`; a repeated name or too many pairs throws ParamsDecodeError. */
export function flatParams(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  for (const [key, value] of new URLSearchParams(text)) {
    if (++count > maxFlatParams) throw new ParamsDecodeError(`more than ${maxFlatParams} parameters`);
    if (Object.hasOwn(out, key)) throw new ParamsDecodeError(`the parameter ${key.slice(0, 60)} is repeated`);
    out[key] = value;
  }
  return out;
}

const forbidden = new Set(['__proto__', 'constructor', 'prototype']);

/** Nested parameters from flat ones; objects whose keys are exactly 0..n-1 become arrays. */
export function unflattenParams(flat: Readonly<Record<string, string>>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('.');
    if (parts.length > maxParamDepth || parts.some((p) => p === '' || forbidden.has(p)))
      throw new ParamsDecodeError(`the parameter name ${key.slice(0, 60)} is not allowed`);
    let node = root;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (next === undefined) node = node[part] = {} as Record<string, unknown>;
      else if (typeof next === 'object' && next !== null) node = next as Record<string, unknown>;
      else throw new ParamsDecodeError(`the parameter ${key.slice(0, 60)} conflicts with ${part}`);
    }
    const last = parts.at(-1) ?? key;
    if (Object.hasOwn(node, last))
      throw new ParamsDecodeError(`the parameter ${key.slice(0, 60)} conflicts with another`);
    node[last] = value;
  }
  return arrays(root) as Record<string, unknown>;
}

function arrays(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  for (const k of keys) obj[k] = arrays(obj[k]);
  const isList = keys.length > 0 && keys.every((k, i) => k === String(i)) && keys.length === new Set(keys).size;
  return isList ? keys.map((k) => obj[k]) : obj;
}
