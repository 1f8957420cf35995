/** The JSON body of every HTTP error: a stable code and a sentence, mapped from LiveError in one place. */
import { toLiveError } from '../../errors.ts';

/** An HTTP error body. */
export interface ErrorBody {
  readonly code: string;
  readonly message: string;
}

/** Turns any thrown value into the JSON error body. */
export function errorBody(err: unknown): ErrorBody {
  const live = toLiveError(err);
  return { code: live.code, message: live.message };
}
