/**
 * The one mapping from openlive's stable codes (src/errors.ts) to Tencent Cloud API error codes
 * (tencent-css.md §3.1 common codes, §2 and §3.4 per-action codes). Codes not listed fall back on
 * their kind, so every LiveError reaches the client with a code Tencent's SDKs know.
 */
import { LiveError, type ErrorCode, type ErrorKind } from '../../errors.ts';
import { ApiError } from './api-action.ts';

/** Tencent codes of specific openlive codes; action groups add their lines here. */
export const tencentCodeOf: Partial<Record<ErrorCode, string>> = {
  DOMAIN_NOT_FOUND: 'ResourceNotFound.DomainNotExist',
  DOMAIN_EXISTS: 'InvalidParameter.DomainAlreadyExist',
  DOMAIN_NAME_INVALID: 'InvalidParameter.DomainFormatError',
  DOMAIN_TYPE_MISMATCH: 'InvalidParameterValue',
  AUTH_KEY_INVALID: 'InvalidParameterValue',
  STREAM_NOT_LIVE: 'ResourceNotFound.StreamNotAlive',
  STORE_FAILED: 'InternalError',
  CREDENTIAL_UNREADABLE: 'InternalError',
  // Domain actions of issue 15 (referer-actions.ts, play-domain-actions.ts)
  REFERER_RULES_INVALID: 'InvalidParameterValue',
  TXT_LOOKUP_FAILED: 'FailedOperation',
};

/** The Tencent code of each kind, for codes the table does not name. */
export const tencentCodeOfKind: Record<ErrorKind, string> = {
  input: 'InvalidParameterValue',
  protocol: 'InvalidParameter',
  'not-found': 'ResourceNotFound',
  conflict: 'ResourceInUse',
  state: 'FailedOperation',
  auth: 'UnauthorizedOperation',
  limit: 'LimitExceeded',
  timeout: 'InternalError',
  unsupported: 'UnsupportedOperation',
  internal: 'InternalError',
};

/** An ApiError for anything an action throws; internal failures keep their message out of the answer. */
export function apiErrorOf(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof LiveError) {
    const code = tencentCodeOf[err.code] ?? tencentCodeOfKind[err.kind];
    if (code === 'InternalError')
      return new ApiError(code, `An internal error occurred (${err.code}); the server log has the details.`, {
        cause: err,
      });
    return new ApiError(code, `${err.message} (${err.code})`, { cause: err });
  }
  return new ApiError('InternalError', 'An internal error occurred; the server log has the details.', { cause: err });
}
