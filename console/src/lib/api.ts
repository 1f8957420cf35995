/**
 * The Cloud API client of the console: `POST /` on its own origin with Tencent's headers, signed with
 * TC3-HMAC-SHA256 in the browser (lib/tc3.ts). Errors arrive as ApiError with Tencent's code.
 */
import type { Credential } from './session.ts';
import { tc3Authorization } from './tc3.ts';

/** The API version openlive serves. */
export const apiVersion = '2018-08-01';

/** An error answer: Tencent's `Error.Code` and `Error.Message`, and the RequestId to quote. */
export class ApiError extends Error {
  readonly code: string;
  readonly requestId: string;
  constructor(code: string, message: string, requestId = '') {
    super(message);
    this.code = code;
    this.requestId = requestId;
    this.name = 'ApiError';
  }
}

/** A Response object of any action. */
export type ApiResponse = Record<string, any>;

/** Calls actions with one credential; the clock offset learned from the server keeps signatures fresh. */
export class ApiClient {
  readonly credential: Credential;
  #clockOffsetMs = 0;
  /** Told about every failure whose code means the credential no longer works. */
  onAuthFailure: ((err: ApiError) => void) | undefined;

  constructor(credential: Credential) {
    this.credential = credential;
  }

  /** Calls `action` with `params`; resolves with the Response (without RequestId) or rejects with ApiError. */
  async call(action: string, params: Record<string, unknown> = {}): Promise<ApiResponse> {
    try {
      return await this.#send(action, params);
    } catch (err) {
      // A browser clock more than 5 minutes off (AuthFailure.SignatureExpire): adopt the server's and retry once.
      if (err instanceof ApiError && err.code === 'AuthFailure.SignatureExpire') return this.#send(action, params);
      // The per-SecretId rate limit (20/s by default): pages that refresh together may brush it; wait a moment.
      if (err instanceof ApiError && err.code === 'RequestLimitExceeded') {
        await new Promise((resolve) => setTimeout(resolve, 1100));
        return this.#send(action, params);
      }
      throw err;
    }
  }

  async #send(action: string, params: Record<string, unknown>): Promise<ApiResponse> {
    const payload = JSON.stringify(params);
    const timestampSeconds = Math.floor((Date.now() + this.#clockOffsetMs) / 1000);
    const contentType = 'application/json';
    // Signed too: the action cannot be swapped, and a unique trace id keeps equal calls apart (no replay refusal).
    const extraSignedHeaders = { 'x-tc-action': action, 'x-tc-traceid': traceId() };
    const authorization = await tc3Authorization({
      extraSignedHeaders,
      ...this.credential,
      service: 'live',
      host: location.host,
      contentType,
      timestampSeconds,
      payload,
    });
    let res: Response;
    try {
      res = await fetch('/', {
        method: 'POST',
        headers: {
          ...extraSignedHeaders,
          'content-type': contentType,
          authorization,
          'x-tc-version': apiVersion,
          'x-tc-timestamp': String(timestampSeconds),
        },
        body: payload,
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new ApiError('NetworkError', 'The openlive server did not answer; is it running?');
    }
    const date = res.headers.get('date');
    if (date) this.#clockOffsetMs = estimateOffset(Date.parse(date), this.#clockOffsetMs);
    let body: { Response?: ApiResponse };
    try {
      body = (await res.json()) as { Response?: ApiResponse };
    } catch {
      throw new ApiError('InternalError', `The server answered HTTP ${res.status} without a Cloud API body.`);
    }
    const response = body.Response ?? {};
    const error = response.Error as { Code?: string; Message?: string } | undefined;
    if (error) {
      const err = new ApiError(
        error.Code ?? 'InternalError',
        error.Message ?? 'Unknown error',
        String(response.RequestId ?? ''),
      );
      if (err.code.startsWith('AuthFailure.SecretIdNotFound') || err.code === 'AuthFailure.SignatureFailure')
        this.onAuthFailure?.(err);
      throw err;
    }
    return response;
  }
}

/** 128 random bits as hex; getRandomValues works on plain-HTTP origins, where crypto.randomUUID does not exist. */
function traceId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The offset to the server's clock, from its Date header (whole seconds): kept unless more than 2 s off. */
function estimateOffset(serverMs: number, current: number): number {
  if (!Number.isFinite(serverMs)) return current;
  const offset = serverMs - Date.now();
  return Math.abs(offset - current) > 2000 ? offset : current;
}
