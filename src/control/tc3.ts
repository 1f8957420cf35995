/**
 * TC3-HMAC-SHA256, Tencent Cloud API signature v3 (tencent-css.md §3.1): the signing steps, the
 * parsing of the Authorization header, and the verification a server does, with Tencent's codes.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The only algorithm TC3 names in the Authorization header. */
export const tc3Algorithm = 'TC3-HMAC-SHA256';
/** Tencent refuses timestamps more than five minutes from its clock (AuthFailure.SignatureExpire). */
export const tc3MaxSkewSeconds = 300;

/** The Tencent codes a verification can fail with. */
export type Tc3FailureCode =
  | 'AuthFailure.InvalidAuthorization'
  | 'AuthFailure.SignatureExpire'
  | 'AuthFailure.SecretIdNotFound'
  | 'AuthFailure.SignatureFailure'
  | 'MissingParameter'
  | 'InvalidParameterValue';

/** The fields of `TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=a;b, Signature=<hex>`. */
export interface Tc3Authorization {
  readonly secretId: string;
  readonly date: string;
  readonly service: string;
  /** Lowercase header names, in the order the client listed them. */
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

const authPattern =
  /^TC3-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{4}-\d{2}-\d{2})\/([^/,\s]+)\/tc3_request\s*,\s*SignedHeaders=([a-z0-9;-]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/i;

/** Parses an Authorization header; undefined when it is not a well-formed TC3 one. */
export function parseTc3Authorization(header: string): Tc3Authorization | undefined {
  const m = authPattern.exec(header.trim());
  if (!m) return undefined;
  const [, secretId = '', date = '', service = '', headers = '', signature = ''] = m;
  const signedHeaders = headers.toLowerCase().split(';');
  if (signedHeaders.some((h) => h === '')) return undefined;
  return { secretId, date, service, signedHeaders, signature: signature.toLowerCase() };
}

/** Lowercase hex SHA-256. */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** `YYYY-MM-DD` in UTC of a Unix time in seconds: the date of the credential scope. */
export function tc3Date(timestampSeconds: number): string {
  return new Date(timestampSeconds * 1000).toISOString().slice(0, 10);
}

/** What the canonical request is built from; `headers` are the signed headers' canonical values by lowercase name. */
export interface CanonicalInput {
  readonly method: string;
  readonly path: string;
  /** The raw query string without `?` (empty for POST). */
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly signedHeaders: readonly string[];
  readonly payload: string | Buffer;
}

/** CanonicalRequest = Method \n URI \n Query \n CanonicalHeaders \n SignedHeaders \n HashedPayload. */
export function canonicalRequest(input: CanonicalInput): string {
  const names = [...input.signedHeaders].sort();
  const headers = names.map((name) => `${name}:${input.headers[name] ?? ''}\n`).join('');
  return [input.method.toUpperCase(), input.path, input.query, headers, names.join(';'), sha256Hex(input.payload)].join(
    '\n',
  );
}

/** StringToSign = Algorithm \n Timestamp \n Date/Service/tc3_request \n hex(SHA256(CanonicalRequest)). */
export function stringToSign(timestampSeconds: number, date: string, service: string, canonical: string): string {
  return [tc3Algorithm, String(timestampSeconds), `${date}/${service}/tc3_request`, sha256Hex(canonical)].join('\n');
}

/** Signature = hex(HMAC(kSigning, StringToSign)) with kDate = HMAC("TC3"+SecretKey, Date), kService, kSigning. */
export function tc3Signature(secretKey: string, date: string, service: string, toSign: string): string {
  const kDate = hmac(`TC3${secretKey}`, date);
  const kService = hmac(kDate, service);
  const kSigning = hmac(kService, 'tc3_request');
  return createHmac('sha256', kSigning).update(toSign, 'utf8').digest('hex');
}

/** What a client signs: a JSON POST to `/` with content-type and host signed, as Tencent's SDKs send it. */
export interface Tc3SignInput {
  readonly secretId: string;
  readonly secretKey: string;
  readonly service: string;
  /** The host name as signed (Tencent's Node SDK signs it without the port). */
  readonly host: string;
  readonly timestampSeconds: number;
  readonly payload: string | Buffer;
  readonly contentType?: string;
  /**
   * More headers to sign (lowercase names, values as sent), e.g. `x-tc-action` and a unique `x-tc-traceid`,
   * so two calls with one body in one second differ and neither is refused as a replay (tc3-replay-cache.ts).
   */
  readonly extraSignedHeaders?: Readonly<Record<string, string>>;
}

/** Signs a request and returns the Authorization header value. */
export function signTc3(input: Tc3SignInput): string {
  const date = tc3Date(input.timestampSeconds);
  const extra = input.extraSignedHeaders ?? {};
  const signedHeaders = ['content-type', 'host', ...Object.keys(extra)].sort();
  const canonical = canonicalRequest({
    method: 'POST',
    path: '/',
    query: '',
    headers: { ...extra, 'content-type': input.contentType ?? 'application/json', host: input.host },
    signedHeaders,
    payload: input.payload,
  });
  const signature = tc3Signature(
    input.secretKey,
    date,
    input.service,
    stringToSign(input.timestampSeconds, date, input.service, canonical),
  );
  return `${tc3Algorithm} Credential=${input.secretId}/${date}/${input.service}/tc3_request, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
}

/** Constant-time comparison of two lowercase hex signatures. */
export function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A received request, as the router hands it over. */
export interface Tc3Request {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** Header values by lowercase name (Node's IncomingHttpHeaders). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** The clock and the key lookup of a verification. */
export interface Tc3VerifyOptions {
  readonly nowSeconds: number;
  /** The SecretKey of a SecretId, or undefined when no such credential exists. */
  readonly secretKeyOf: (secretId: string) => Promise<string | undefined> | string | undefined;
  readonly maxSkewSeconds?: number;
}

/** A verified caller, or why the request was refused. */
export type Tc3Result =
  | {
      readonly ok: true;
      readonly secretId: string;
      readonly service: string;
      readonly timestampSeconds: number;
      /** The verified signature (lowercase hex): the key of the replay cache. */
      readonly signature: string;
    }
  | { readonly ok: false; readonly code: Tc3FailureCode; readonly message: string };

function header(req: Tc3Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * The canonical header values a signer may have used. The reference lowercases and trims values;
 * Tencent's Node SDK signs Content-Type as sent and `host` without the port while the Host header
 * carries it, and other clients sign the port: each reading is tried, at most four HMACs.
 */
function headerReadings(req: Tc3Request, signed: readonly string[]): Record<string, string>[] {
  const raw: Record<string, string> = {};
  for (const name of signed) raw[name] = (header(req, name) ?? '').trim();
  const lower = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.toLowerCase()]));
  const readings = [lower, raw].flatMap((h) => {
    const host = h.host ?? '';
    const bare = host.replace(/:\d+$/, '');
    return bare === host ? [h] : [{ ...h, host: bare }, h];
  });
  const seen = new Set<string>();
  return readings.filter((h) => {
    const key = JSON.stringify(h);
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

const fail = (code: Tc3FailureCode, message: string): Tc3Result => ({ ok: false, code, message });

/** Verifies a TC3-HMAC-SHA256 request: header form, clock skew, SecretId, credential date, then the signature. */
export async function verifyTc3(req: Tc3Request, options: Tc3VerifyOptions): Promise<Tc3Result> {
  const authorization = header(req, 'authorization');
  if (authorization === undefined || authorization.trim() === '') {
    return fail(
      'AuthFailure.InvalidAuthorization',
      'The request has no Authorization header; sign it with TC3-HMAC-SHA256.',
    );
  }
  const auth = parseTc3Authorization(authorization);
  if (!auth) {
    return fail(
      'AuthFailure.InvalidAuthorization',
      'Authorization is not "TC3-HMAC-SHA256 Credential=<SecretId>/<YYYY-MM-DD>/<service>/tc3_request, SignedHeaders=content-type;host, Signature=<64 hex>".',
    );
  }
  for (const required of ['content-type', 'host']) {
    if (!auth.signedHeaders.includes(required)) {
      return fail(
        'AuthFailure.InvalidAuthorization',
        `SignedHeaders must include ${required} (got ${auth.signedHeaders.join(';')}).`,
      );
    }
  }
  const rawTimestamp = header(req, 'x-tc-timestamp');
  if (rawTimestamp === undefined || rawTimestamp === '')
    return fail('MissingParameter', 'The request is missing the X-TC-Timestamp header.');
  if (!/^\d{1,12}$/.test(rawTimestamp))
    return fail('InvalidParameterValue', `X-TC-Timestamp must be Unix seconds, not "${rawTimestamp.slice(0, 40)}".`);
  const timestamp = Number(rawTimestamp);
  const skew = timestamp - options.nowSeconds;
  const maxSkew = options.maxSkewSeconds ?? tc3MaxSkewSeconds;
  if (Math.abs(skew) > maxSkew) {
    return fail(
      'AuthFailure.SignatureExpire',
      `X-TC-Timestamp ${timestamp} is ${Math.abs(skew)} s ${skew < 0 ? 'behind' : 'ahead of'} the server clock (at most ${maxSkew} s); check the client's clock.`,
    );
  }
  const secretKey = await options.secretKeyOf(auth.secretId);
  if (secretKey === undefined)
    return fail('AuthFailure.SecretIdNotFound', `SecretId ${auth.secretId} does not exist or was revoked.`);
  const date = tc3Date(timestamp);
  if (auth.date !== date) {
    return fail(
      'AuthFailure.SignatureFailure',
      `The credential date ${auth.date} is not the UTC date of X-TC-Timestamp (${date}).`,
    );
  }
  for (const headers of headerReadings(req, auth.signedHeaders)) {
    const canonical = canonicalRequest({ ...req, headers, signedHeaders: auth.signedHeaders, payload: req.body });
    const expected = tc3Signature(
      secretKey,
      date,
      auth.service,
      stringToSign(timestamp, date, auth.service, canonical),
    );
    if (sameSignature(expected, auth.signature))
      return {
        ok: true,
        secretId: auth.secretId,
        service: auth.service,
        timestampSeconds: timestamp,
        signature: auth.signature,
      };
  }
  return fail(
    'AuthFailure.SignatureFailure',
    'The signature does not match the request; check the SecretKey, the signed headers and the body.',
  );
}
