/**
 * The contract of every Cloud API action (Tencent CSS 2018-08-01 shape): parameters in, a Response
 * object out (without RequestId, which the router adds), or an ApiError with a Tencent error code.
 */

/** Who is calling, established by the router after TC3 verification. */
export interface ApiContext {
  readonly requestId: string;
  readonly secretId: string;
  readonly clientIp: string;
  /** Unix milliseconds of the request, from the injected clock. */
  readonly now: number;
}

/** One action: the request body's parameters to the Response fields. */
export type ApiActionHandler = (
  params: Readonly<Record<string, unknown>>,
  ctx: ApiContext,
) => Promise<Record<string, unknown>>;

/** A set of actions by name (`DescribeLiveDomains`, ...). */
export type ApiActions = Readonly<Record<string, ApiActionHandler>>;

/**
 * An error the API reports in Tencent's form `{"Error": {"Code", "Message"}}`: `code` is a Tencent
 * error code (`InvalidParameterValue`, `ResourceNotFound.DomainNotExist`, `AuthFailure.SignatureFailure`).
 */
export class ApiError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = 'ApiError';
  }
}
