import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalRequest,
  parseTc3Authorization,
  sha256Hex,
  signTc3,
  stringToSign,
  tc3Date,
  tc3Signature,
  verifyTc3,
  type Tc3Request,
} from './tc3.ts';

// The official example of "Signature v3" (tencent-css.md §3.1).
const vector = {
  secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
  secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
  service: 'cvm',
  host: 'cvm.tencentcloudapi.com',
  timestamp: 1551113065,
  contentType: 'application/json; charset=utf-8',
  body: '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}',
  signature: '72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168',
};

test('the official vector: payload hash, canonical request hash and signature', () => {
  assert.equal(sha256Hex(vector.body), '35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064');
  const canonical = canonicalRequest({
    method: 'POST',
    path: '/',
    query: '',
    headers: { 'content-type': vector.contentType, host: vector.host },
    signedHeaders: ['content-type', 'host'],
    payload: vector.body,
  });
  assert.equal(sha256Hex(canonical), '5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031');
  const date = tc3Date(vector.timestamp);
  assert.equal(date, '2019-02-25');
  assert.equal(
    tc3Signature(
      vector.secretKey,
      date,
      vector.service,
      stringToSign(vector.timestamp, date, vector.service, canonical),
    ),
    vector.signature,
  );
  const header = signTc3({ ...vector, timestampSeconds: vector.timestamp, payload: vector.body });
  assert.equal(
    header,
    `TC3-HMAC-SHA256 Credential=${vector.secretId}/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=${vector.signature}`,
  );
});

/** The official request as a server receives it (the Host header may carry a port the signer left out). */
function request(over: Partial<Tc3Request> & { headers?: Record<string, string> } = {}): Tc3Request {
  return {
    method: 'POST',
    path: '/',
    query: '',
    body: Buffer.from(vector.body),
    ...over,
    headers: {
      authorization: signTc3({ ...vector, timestampSeconds: vector.timestamp, payload: vector.body }),
      'content-type': vector.contentType,
      host: vector.host,
      'x-tc-timestamp': String(vector.timestamp),
      ...over.headers,
    },
  };
}

const keys = (id: string): string | undefined => (id === vector.secretId ? vector.secretKey : undefined);
const verify = (req: Tc3Request, nowSeconds = vector.timestamp + 10) =>
  verifyTc3(req, { nowSeconds, secretKeyOf: keys });

test('the official request verifies, also with the port on Host and upper-case header spelling', async () => {
  assert.deepEqual(await verify(request()), {
    ok: true,
    secretId: vector.secretId,
    service: 'cvm',
    timestampSeconds: vector.timestamp,
    signature: vector.signature,
  });
  assert.equal((await verify(request({ headers: { host: `${vector.host}:8081` } }))).ok, true);
  assert.equal((await verify(request({ headers: { 'content-type': 'Application/JSON; charset=utf-8' } }))).ok, true);
});

test('a tampered body, path, query or signed header fails with AuthFailure.SignatureFailure', async () => {
  const tampered = [
    request({ body: Buffer.from(vector.body.replace('"Limit": 1', '"Limit": 2')) }),
    request({ path: '/other' }),
    request({ query: 'x=1' }),
    request({ headers: { host: 'evil.example.com' } }),
    request({ headers: { 'content-type': 'text/plain' } }),
  ];
  for (const req of tampered) {
    const result = await verify(req);
    assert.equal(result.ok ? 'ok' : result.code, 'AuthFailure.SignatureFailure');
  }
});

test('a credential date other than the UTC date of the timestamp fails with AuthFailure.SignatureFailure naming both', async () => {
  const auth = signTc3({ ...vector, timestampSeconds: vector.timestamp, payload: vector.body }).replace(
    '2019-02-25',
    '2019-02-24',
  );
  const result = await verify(request({ headers: { authorization: auth } }));
  assert.equal(result.ok, false);
  assert.ok(
    !result.ok && result.code === 'AuthFailure.SignatureFailure' && /2019-02-24.*2019-02-25/.test(result.message),
  );
});

test('a timestamp more than 5 minutes from the server clock fails with AuthFailure.SignatureExpire, either way', async () => {
  assert.equal((await verify(request(), vector.timestamp + 300)).ok, true, '300 s is still accepted');
  for (const now of [vector.timestamp + 301, vector.timestamp - 301]) {
    const result = await verify(request(), now);
    assert.ok(!result.ok && result.code === 'AuthFailure.SignatureExpire', JSON.stringify(result));
  }
});

test('a missing or malformed Authorization fails with AuthFailure.InvalidAuthorization', async () => {
  const good = signTc3({ ...vector, timestampSeconds: vector.timestamp, payload: vector.body });
  const bad = [
    '',
    'HmacSHA256 abc',
    good.replace('TC3-HMAC-SHA256', 'TC3-HMAC-SHA1'),
    good.replace('/tc3_request', '/v4_request'),
    good.replace(/Signature=\w+/, 'Signature=xyz'),
    good.replace('SignedHeaders=content-type;host', 'SignedHeaders=host'),
    good.replace('SignedHeaders=content-type;host', 'SignedHeaders=content-type;;host'),
  ];
  for (const authorization of bad) {
    const result = await verify(request({ headers: { authorization } }));
    assert.ok(
      !result.ok && result.code === 'AuthFailure.InvalidAuthorization',
      `${authorization}: ${JSON.stringify(result)}`,
    );
  }
  const noHeader = request();
  const { authorization: _, ...headers } = noHeader.headers;
  const result = await verify({ ...noHeader, headers });
  assert.ok(!result.ok && result.code === 'AuthFailure.InvalidAuthorization');
});

test('an unknown SecretId fails with AuthFailure.SecretIdNotFound, a wrong SecretKey with AuthFailure.SignatureFailure', async () => {
  const other = signTc3({
    ...vector,
    secretId: 'AKIDunknown',
    timestampSeconds: vector.timestamp,
    payload: vector.body,
  });
  const unknown = await verify(request({ headers: { authorization: other } }));
  assert.ok(!unknown.ok && unknown.code === 'AuthFailure.SecretIdNotFound' && unknown.message.includes('AKIDunknown'));
  const wrongKey = signTc3({
    ...vector,
    secretKey: 'not-the-key',
    timestampSeconds: vector.timestamp,
    payload: vector.body,
  });
  const bad = await verify(request({ headers: { authorization: wrongKey } }));
  assert.ok(!bad.ok && bad.code === 'AuthFailure.SignatureFailure');
});

test('a missing or non-numeric X-TC-Timestamp is named', async () => {
  const missing = await verify(request({ headers: { 'x-tc-timestamp': '' } }));
  assert.ok(!missing.ok && missing.code === 'MissingParameter' && missing.message.includes('X-TC-Timestamp'));
  const text = await verify(request({ headers: { 'x-tc-timestamp': '2019-02-25' } }));
  assert.ok(!text.ok && text.code === 'InvalidParameterValue' && text.message.includes('X-TC-Timestamp'));
});

test('extra signed headers are part of the signature', async () => {
  const headers = {
    'content-type': 'application/json',
    host: 'live.example.com',
    'x-tc-action': 'describelivedomains',
  };
  const signed = ['content-type', 'host', 'x-tc-action'];
  const canonical = canonicalRequest({
    method: 'POST',
    path: '/',
    query: '',
    headers,
    signedHeaders: signed,
    payload: '{}',
  });
  const date = tc3Date(vector.timestamp);
  const signature = tc3Signature(
    vector.secretKey,
    date,
    'live',
    stringToSign(vector.timestamp, date, 'live', canonical),
  );
  const authorization = `TC3-HMAC-SHA256 Credential=${vector.secretId}/${date}/live/tc3_request, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
  const req = (action: string): Tc3Request => ({
    method: 'POST',
    path: '/',
    query: '',
    body: Buffer.from('{}'),
    headers: { ...headers, 'x-tc-action': action, authorization, 'x-tc-timestamp': String(vector.timestamp) },
  });
  assert.equal((await verify(req('DescribeLiveDomains'))).ok, true);
  assert.equal((await verify(req('DeleteLiveDomain'))).ok, false);
});

test('parseTc3Authorization reads the fields and lowercases header names', () => {
  assert.deepEqual(
    parseTc3Authorization(
      `TC3-HMAC-SHA256 Credential=AKID1/2019-02-25/127/tc3_request, SignedHeaders=Content-Type;Host, Signature=${'A'.repeat(64)}`,
    ),
    {
      secretId: 'AKID1',
      date: '2019-02-25',
      service: '127',
      signedHeaders: ['content-type', 'host'],
      signature: 'a'.repeat(64),
    },
  );
});

test('extra signed headers (x-tc-action, a unique x-tc-traceid) verify, and bind the signature to their values', async () => {
  const extra = { 'x-tc-action': 'DescribeInstances', 'x-tc-traceid': '7c1b2c8e-0f5e-4bbf-9a53-3d2b3c1f0a11' };
  const authorization = signTc3({
    ...vector,
    timestampSeconds: vector.timestamp,
    payload: vector.body,
    extraSignedHeaders: extra,
  });
  assert.match(authorization, /SignedHeaders=content-type;host;x-tc-action;x-tc-traceid,/);
  const signed = request({ headers: { authorization, ...extra } });
  const ok = await verify(signed);
  assert.equal(ok.ok, true);
  assert.notEqual(ok.ok && ok.signature, vector.signature, 'another trace id, another signature');
  const otherAction = await verify(
    request({ headers: { authorization, ...extra, 'x-tc-action': 'TerminateInstances' } }),
  );
  assert.equal(otherAction.ok === false && otherAction.code, 'AuthFailure.SignatureFailure');
});
