/**
 * What a signed Cloud API request asks for, however it was signed: TC3-HMAC-SHA256 over a JSON POST or a
 * GET with the query (the SDKs' `reqMethod: "GET"`), or signature v1 (`signMethod: "HmacSHA1"/"HmacSHA256"`)
 * with every parameter in the query or a form body. Verification comes first; parameters are decoded after.
 */
import type { FastifyRequest } from 'fastify';
import { flatParams, ParamsDecodeError, unflattenParams } from '../../control/tc3-params.ts';
import { ApiError, type ApiContext } from './api-action.ts';
import type { ApiGuard } from './api-guard.ts';

/** A verified call: who, which action at which version, with which parameters. */
export interface SignedCall {
  readonly ctx: ApiContext;
  readonly action: string | undefined;
  readonly version: string | undefined;
  readonly params: Record<string, unknown>;
}

/** The common parameters of v1 that are not the action's (Tencent's "公共参数"). */
const legacyCommon = new Set([
  'Action',
  'Version',
  'Region',
  'Timestamp',
  'Nonce',
  'SecretId',
  'Signature',
  'SignatureMethod',
  'Token',
  'Language',
  'RequestClient',
]);

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const isForm = (req: FastifyRequest) =>
  /^application\/x-www-form-urlencoded\b/i.test(header(req, 'content-type') ?? '');

function decode<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ParamsDecodeError)
      throw new ApiError('InvalidParameter', `The request parameters cannot be read: ${err.message}.`);
    throw err;
  }
}

/** Verifies the request with the scheme it used and returns its action and parameters; throws an ApiError. */
export async function signedCall(guard: ApiGuard, req: FastifyRequest, requestId: string): Promise<SignedCall> {
  const [path = '/', query = ''] = req.url.split(/\?(.*)/s);
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const get = req.method === 'GET';
  const authorization = header(req, 'authorization');
  // Without an Authorization header a query or form carrying Signature is v1; anything else is TC3 (and
  // fails there with AuthFailure.InvalidAuthorization when unsigned, a bare GET of `/` included).
  const flat = authorization
    ? undefined
    : get
      ? decode(() => flatParams(query))
      : isForm(req)
        ? decode(() => flatParams(body.toString('utf8')))
        : undefined;
  if (flat && flat.Signature !== undefined) {
    const ctx = await guard.authenticateLegacy(
      { method: req.method, host: header(req, 'host') ?? '', path, params: flat },
      req.ip,
      requestId,
    );
    const own = Object.fromEntries(Object.entries(flat).filter(([k]) => !legacyCommon.has(k)));
    return { ctx, action: flat.Action, version: flat.Version, params: decode(() => unflattenParams(own)) };
  }
  const ctx = await guard.authenticate(
    { method: req.method, path, query, headers: req.headers, body },
    req.ip,
    requestId,
  );
  const params = get
    ? decode(() => unflattenParams(flatParams(query)))
    : isForm(req)
      ? decode(() => unflattenParams(flatParams(body.toString('utf8'))))
      : parseParams(body);
  return { ctx, action: header(req, 'x-tc-action'), version: header(req, 'x-tc-version'), params };
}

/** The JSON object of a body; an empty body is `{}`; anything else is InvalidParameter. */
export function parseParams(body: unknown): Record<string, unknown> {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : '';
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError('InvalidParameter', 'The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError('InvalidParameter', 'The request body must be a JSON object of parameters.');
  }
  return value as Record<string, unknown>;
}

/**
 * The caller's language: X-TC-Language (TC3) or the v1 Language parameter, in the query or, for a v1 form
 * POST (the SDKs' `signMethod` with POST put it there), in the form body; en-US unless zh-CN. Read only
 * when an error is answered.
 */
export function language(req: FastifyRequest): 'en-US' | 'zh-CN' {
  const given = header(req, 'x-tc-language');
  if (given !== undefined) return given === 'zh-CN' ? 'zh-CN' : 'en-US';
  const query = req.url.includes('?')
    ? new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1)).get('Language')
    : null;
  const form = query === null && isForm(req) && Buffer.isBuffer(req.body) ? formLanguage(req.body) : null;
  return (query ?? form) === 'zh-CN' ? 'zh-CN' : 'en-US';
}

/** The Language field of a form body (a malformed body has none). */
function formLanguage(body: Buffer): string | null {
  try {
    return new URLSearchParams(body.toString('utf8')).get('Language');
  } catch {
    return null;
  }
}

/** Chinese messages of the codes a caller most often meets (Tencent's own wording); others keep the English text. */
const zhCN: Readonly<Record<string, string>> = {
  'AuthFailure.InvalidAuthorization': '请求头部的 Authorization 不符合腾讯云标准。',
  'AuthFailure.SignatureExpire':
    '签名过期。Timestamp 和服务器时间相差不得超过五分钟，请检查本地时间是否和标准时间同步。',
  'AuthFailure.SecretIdNotFound': '密钥不存在。请在控制台检查密钥是否已被删除或者禁用。',
  'AuthFailure.SignatureFailure': '签名错误。签名计算错误，请对照调用方式中的签名方法文档检查签名计算过程。',
  'AuthFailure.SignatureReplay': '签名已被使用，请重新签名后再请求。',
  InvalidAction: '接口不存在。',
  NoSuchVersion: '接口版本不存在。',
  MissingParameter: '缺少参数错误。',
  RequestLimitExceeded: '请求的次数超过了频率限制。',
  RequestSizeLimitExceeded: '请求包超过限制大小。',
  InvalidParameter: '参数错误（包括参数格式、类型等错误）。',
  InvalidParameterValue: '参数取值错误。',
  UnknownParameter: '未知参数错误，用户多传未定义的参数会导致错误。',
  InternalError: '内部错误。',
  UnauthorizedOperation: '未授权操作。',
  UnsupportedOperation: '操作不支持。',
  ResourceNotFound: '资源不存在。',
  ResourceInUse: '资源被占用。',
  LimitExceeded: '超过配额限制。',
  FailedOperation: '操作失败。',
  // The live service's own codes a back end meets most (Tencent's wording in the live API's error list).
  'ResourceNotFound.DomainNotExist': '域名不存在或不匹配。',
  'InvalidParameter.DomainAlreadyExist': '域名已经存在。',
  'InvalidParameter.DomainFormatError': '域名格式错误，请输入合法格式的域名。',
  'ResourceNotFound.StreamNotAlive': '流不活跃。',
  'InvalidParameter.ConfNotFound': '模板不存在。',
  'FailedOperation.ConfInUsed': '模板使用中。',
  'InternalError.ConfOutLimit': '模板数量超过限制。',
  'InternalError.RuleAlreadyExist': '规则已存在。',
};

/** The message in the caller's language; the English detail follows a Chinese one so nothing is lost. */
export function localized(code: string, message: string, lang: 'en-US' | 'zh-CN'): string {
  const zh = lang === 'zh-CN' && Object.hasOwn(zhCN, code) ? zhCN[code] : undefined;
  return zh === undefined ? message : `${zh} (${message})`;
}
