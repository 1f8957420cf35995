/**
 * Tencent Cloud API signature v1 (HmacSHA1 / HmacSHA256, the SDKs' `signMethod`): every parameter,
 * including Action, Version, SecretId, Timestamp, Nonce and SignatureMethod, travels in the query (GET) or
 * a form body (POST), and `Signature` is base64(HMAC(SecretKey, METHOD + host + path + "?" + sorted k=v)).
 * The string is built from the decoded values, unencoded, as tencentcloud-sdk-nodejs' formatSignString does.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { tc3MaxSkewSeconds, type Tc3Result } from './tc3.ts';

/** The methods v1 names in SignatureMethod; absent means HmacSHA1 (Tencent's default). */
export const legacyMethods = { HmacSHA1: 'sha1', HmacSHA256: 'sha256' } as const;

/** A v1 request as the router sees it: the flat parameters, decoded, by name. */
export interface LegacyRequest {
  readonly method: string;
  /** The Host header as received (with the port, if any). */
  readonly host: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
}

/** The clock and key lookup, as for TC3. */
export interface LegacyVerifyOptions {
  readonly nowSeconds: number;
  readonly secretKeyOf: (secretId: string) => Promise<string | undefined> | string | undefined;
  readonly maxSkewSeconds?: number;
}

/** The string a v1 client signs. */
export function legacyStringToSign(
  method: string,
  host: string,
  path: string,
  params: Readonly<Record<string, string>>,
): string {
  const pairs = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${k}=${params[k]}`);
  return `${method.toUpperCase()}${host}${path}?${pairs.join('&')}`;
}

/** base64 HMAC of a v1 string to sign. */
export function legacySignature(secretKey: string, toSign: string, method: keyof typeof legacyMethods): string {
  return createHmac(legacyMethods[method], secretKey).update(toSign, 'utf8').digest('base64');
}

const fail = (code: Extract<Tc3Result, { ok: false }>['code'], message: string): Tc3Result => ({
  ok: false,
  code,
  message,
});

/** Verifies a v1 request: the common parameters, clock skew, SecretId, then the signature (host with and without the port). */
export async function verifyLegacy(req: LegacyRequest, options: LegacyVerifyOptions): Promise<Tc3Result> {
  const p = req.params;
  const signature = p.Signature ?? '';
  if (signature === '')
    return fail(
      'AuthFailure.InvalidAuthorization',
      'The request carries neither an Authorization header (TC3) nor a Signature parameter (v1).',
    );
  const method = (p.SignatureMethod ?? 'HmacSHA1') as keyof typeof legacyMethods;
  if (!Object.hasOwn(legacyMethods, method))
    return fail(
      'AuthFailure.InvalidAuthorization',
      `SignatureMethod must be HmacSHA1 or HmacSHA256, not "${String(method).slice(0, 40)}".`,
    );
  for (const name of ['SecretId', 'Timestamp', 'Nonce']) {
    if ((p[name] ?? '') === '') return fail('MissingParameter', `The request is missing the ${name} parameter.`);
  }
  const rawTimestamp = p.Timestamp ?? '';
  if (!/^\d{1,12}$/.test(rawTimestamp))
    return fail('InvalidParameterValue', `Timestamp must be Unix seconds, not "${rawTimestamp.slice(0, 40)}".`);
  const timestamp = Number(rawTimestamp);
  const skew = timestamp - options.nowSeconds;
  const maxSkew = options.maxSkewSeconds ?? tc3MaxSkewSeconds;
  if (Math.abs(skew) > maxSkew) {
    return fail(
      'AuthFailure.SignatureExpire',
      `Timestamp ${timestamp} is ${Math.abs(skew)} s ${skew < 0 ? 'behind' : 'ahead of'} the server clock (at most ${maxSkew} s); check the client's clock.`,
    );
  }
  const secretId = p.SecretId ?? '';
  const secretKey = await options.secretKeyOf(secretId);
  if (secretKey === undefined)
    return fail('AuthFailure.SecretIdNotFound', `SecretId ${secretId} does not exist or was revoked.`);
  const bare = req.host.replace(/:\d+$/, '');
  const hosts = bare === req.host ? [req.host] : [req.host, bare];
  const got = Buffer.from(signature, 'utf8');
  for (const host of hosts) {
    const expected = Buffer.from(
      legacySignature(secretKey, legacyStringToSign(req.method, host, req.path, p), method),
      'utf8',
    );
    if (expected.length === got.length && timingSafeEqual(expected, got)) {
      return { ok: true, secretId, service: 'live', timestampSeconds: timestamp, signature: `v1:${signature}` };
    }
  }
  return fail(
    'AuthFailure.SignatureFailure',
    'The signature does not match the request; check the SecretKey, the SignatureMethod and the endpoint the string to sign names.',
  );
}
