/**
 * TC3-HMAC-SHA256 (tencent-css.md §3.1) with WebCrypto, the same steps as the server's
 * src/control/tc3.ts: the console signs every Cloud API call in the browser, so the SecretKey never
 * leaves this tab (docs/console.md).
 */

const encoder = new TextEncoder();

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Lowercase hex SHA-256 of a UTF-8 string. */
export async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

async function hmac(key: ArrayBuffer | Uint8Array, data: string): Promise<ArrayBuffer> {
  const raw = key instanceof Uint8Array ? key : new Uint8Array(key);
  const cryptoKey = await crypto.subtle.importKey(
    'raw',
    raw as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(data));
}

/** `YYYY-MM-DD` in UTC of Unix seconds: the date of the credential scope. */
export function tc3Date(timestampSeconds: number): string {
  return new Date(timestampSeconds * 1000).toISOString().slice(0, 10);
}

/** What one request signs: a JSON POST to `/` with content-type and host as the signed headers. */
export interface Tc3Request {
  readonly secretId: string;
  readonly secretKey: string;
  readonly service: string;
  readonly host: string;
  readonly contentType: string;
  readonly timestampSeconds: number;
  readonly payload: string;
  /**
   * More headers to sign (lowercase names, values as sent). The console signs `x-tc-action` and a unique
   * `x-tc-traceid`, so two calls with one body in one second never share a signature, which the server
   * would refuse as a replay (AuthFailure.SignatureReplay).
   */
  readonly extraSignedHeaders?: Readonly<Record<string, string>>;
}

/** The Authorization header value of a request: `TC3-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`. */
export async function tc3Authorization(req: Tc3Request): Promise<string> {
  const date = tc3Date(req.timestampSeconds);
  const values: Record<string, string> = { ...req.extraSignedHeaders, 'content-type': req.contentType, host: req.host };
  const names = Object.keys(values).sort();
  const signedHeaders = names.join(';');
  const canonicalHeaders = names.map((name) => `${name}:${values[name]}\n`).join('');
  const canonical = ['POST', '/', '', canonicalHeaders, signedHeaders, await sha256Hex(req.payload)].join('\n');
  const scope = `${date}/${req.service}/tc3_request`;
  const toSign = ['TC3-HMAC-SHA256', String(req.timestampSeconds), scope, await sha256Hex(canonical)].join('\n');
  const kDate = await hmac(encoder.encode(`TC3${req.secretKey}`), date);
  const kService = await hmac(kDate, req.service);
  const kSigning = await hmac(kService, 'tc3_request');
  const signature = hex(await hmac(kSigning, toSign));
  return `TC3-HMAC-SHA256 Credential=${req.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}
