/** One mapping of SQLite failures to the store's error for every SQLite table adapter. */
import { LiveError } from '../errors.ts';

/** A LiveError passes through; any other failure becomes STORE_FAILED with the database's message. */
export function mapError(err: unknown): Promise<never> {
  if (err instanceof LiveError) return Promise.reject(err);
  const message = err instanceof Error ? err.message : String(err);
  return Promise.reject(new LiveError('STORE_FAILED', `database error: ${message}`, { cause: err }));
}
