/** Value schemas the config sections share: ports, durations, byte counts and booleans from env and flags. */
import { z } from 'zod';

/** A TCP or UDP port; 0 picks a free one. */
export const port = z.coerce.number().int().min(0).max(65535);
/** A duration in milliseconds; 0 usually means "none" or "never" (said per key). */
export const ms = z.coerce.number().int().min(0);
/** A count of bytes, at least one. */
export const bytes = z.coerce.number().int().min(1);
// Booleans arrive as strings from env and flags; z.coerce.boolean would turn "false" into true.
/** A boolean that also takes "true"/"false"/"1"/"0" from env and flags. */
export const flag = z.preprocess(
  (v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v),
  z.boolean(),
);

/** A list of non-empty strings, comma-separated when it comes from env and flags. */
export const commaList = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : v,
  z.array(z.string().min(1)),
);

/** An array of `item`, a JSON array when it comes from env and flags (a string that is not JSON fails as it is). */
export function jsonArray<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }, z.array(item));
}
