import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveError } from '../../errors.ts';
import { ApiError } from './api-action.ts';
import { apiKit, kitStart } from './api-test-kit.ts';
import { mergeActions } from './actions/index.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const probe = () => ({
  async Echo(params: Readonly<Record<string, unknown>>, ctx: { secretId: string; clientIp: string; now: number }) {
    return { Params: params, SecretId: ctx.secretId, Now: ctx.now };
  },
  async Missing() {
    throw new LiveError('DOMAIN_NOT_FOUND', 'domain x.example.com is not added');
  },
  async Broken() {
    throw new LiveError('STORE_FAILED', 'disk /var/secret is full');
  },
  async Crash() {
    throw new TypeError('undefined is not a function');
  },
  async Tencent() {
    throw new ApiError('ResourceNotFound.StreamNotAlive', 'not live');
  },
});

test('a signed call gets its Response with a RequestId, the caller in its context and the trace id echoed', async (t) => {
  const kit = await apiKit({ actions: probe });
  t.after(() => kit.close());
  const res = await kit.call('Echo', { A: 1, B: ['x'] });
  assert.deepEqual(
    { ...res, RequestId: '' },
    { Params: { A: 1, B: ['x'] }, SecretId: kit.key.secretId, Now: kitStart, RequestId: '' },
  );
  assert.match(res.RequestId, uuid);
  assert.notEqual((await kit.call('Echo')).RequestId, res.RequestId);
  const raw = await kit.app.inject({ method: 'POST', url: '/', headers: { 'x-tc-traceid': 'trace-1' }, payload: '{}' });
  assert.equal(raw.statusCode, 200);
  assert.equal(raw.headers['x-tc-traceid'], 'trace-1');
  assert.equal(raw.json().Response.Error.Code, 'AuthFailure.InvalidAuthorization');
});

test('an empty body is no parameters; a body that is not a JSON object is InvalidParameter', async (t) => {
  const kit = await apiKit({ actions: probe });
  t.after(() => kit.close());
  assert.deepEqual((await kit.call('Echo', {}, { rawBody: '' })).Params, {});
  for (const rawBody of ['{"A":', '[1,2]', '"text"', 'null']) {
    const res = await kit.call('Echo', {}, { rawBody });
    assert.equal(res.Error?.Code, 'InvalidParameter', rawBody);
  }
});

test('headers: missing action or version, other versions and unknown actions get Tencent codes', async (t) => {
  const kit = await apiKit({ actions: probe });
  t.after(() => kit.close());
  const cases: [string, Parameters<typeof kit.call>[2], string][] = [
    ['Echo', { version: null }, 'MissingParameter'],
    ['Echo', { version: '2017-01-01' }, 'NoSuchVersion'],
    ['', {}, 'MissingParameter'],
    ['DescribeNothing', {}, 'InvalidAction'],
    ['toString', {}, 'InvalidAction'],
    ['__proto__', {}, 'InvalidAction'],
  ];
  for (const [action, options, code] of cases) {
    const res = await kit.call(action, {}, options);
    assert.equal(res.Error?.Code, code, `${action} ${JSON.stringify(options)}: ${JSON.stringify(res)}`);
    assert.match(res.RequestId, uuid);
  }
});

test('authentication failures: bad key, unknown or revoked SecretId, skewed clock', async (t) => {
  const kit = await apiKit({ actions: probe });
  t.after(() => kit.close());
  assert.equal((await kit.call('Echo', {}, { secretKey: 'wrong' })).Error?.Code, 'AuthFailure.SignatureFailure');
  assert.equal((await kit.call('Echo', {}, { secretId: 'AKIDnobody' })).Error?.Code, 'AuthFailure.SecretIdNotFound');
  const now = Math.floor(kitStart / 1000);
  assert.equal(
    (await kit.call('Echo', {}, { timestampSeconds: now - 301 })).Error?.Code,
    'AuthFailure.SignatureExpire',
  );
  assert.equal((await kit.call('Echo', {}, { timestampSeconds: now + 299 })).Error, undefined);
  // Signed for one body, sent with another.
  const res = await kit.app.inject({
    method: 'POST',
    url: '/',
    headers: { ...(await signedHeaders(kit, '{"A":1}')) },
    payload: '{"A":2}',
  });
  assert.equal(res.json().Response.Error.Code, 'AuthFailure.SignatureFailure');
  await kit.credentials.revoke(kit.key.secretId);
  assert.equal((await kit.call('Echo')).Error?.Code, 'AuthFailure.SecretIdNotFound');
});

async function signedHeaders(kit: Awaited<ReturnType<typeof apiKit>>, body: string): Promise<Record<string, string>> {
  const { signTc3 } = await import('../../control/tc3.ts');
  const ts = Math.floor(kit.clock / 1000);
  return {
    'content-type': 'application/json',
    host: 'localhost',
    'x-tc-action': 'Echo',
    'x-tc-version': '2018-08-01',
    'x-tc-timestamp': String(ts),
    authorization: signTc3({
      secretId: kit.key.secretId,
      secretKey: kit.key.secretKey,
      service: 'live',
      host: 'localhost',
      timestampSeconds: ts,
      payload: body,
    }),
  };
}

test('errors from actions: LiveErrors through the one table, internal details kept out of the answer', async (t) => {
  const kit = await apiKit({ actions: probe });
  t.after(() => kit.close());
  const missing = await kit.call('Missing');
  assert.equal(missing.Error.Code, 'ResourceNotFound.DomainNotExist');
  assert.match(missing.Error.Message, /x\.example\.com.*DOMAIN_NOT_FOUND/);
  const broken = await kit.call('Broken');
  assert.equal(broken.Error.Code, 'InternalError');
  assert.ok(!broken.Error.Message.includes('/var/secret'), broken.Error.Message);
  assert.equal((await kit.call('Crash')).Error.Code, 'InternalError');
  assert.deepEqual((await kit.call('Tencent')).Error, { Code: 'ResourceNotFound.StreamNotAlive', Message: 'not live' });
});

test('the rate limit per SecretId answers RequestLimitExceeded and refills over a second', async (t) => {
  const kit = await apiKit({ actions: probe, config: { api: { rateLimitPerSecond: 3 } } });
  t.after(() => kit.close());
  const other = await kit.credentials.create('other');
  const codes = [];
  for (let i = 0; i < 4; i++) codes.push((await kit.call('Echo')).Error?.Code ?? 'ok');
  assert.deepEqual(codes, ['ok', 'ok', 'ok', 'RequestLimitExceeded']);
  assert.equal(
    (await kit.call('Echo', {}, { secretId: other.secretId, secretKey: other.secretKey })).Error,
    undefined,
    'per SecretId',
  );
  kit.clock += 400;
  assert.equal((await kit.call('Echo')).Error, undefined, '0.4 s refills one token');
  assert.equal((await kit.call('Echo')).Error?.Code, 'RequestLimitExceeded');
});

test('a body over api.maxBodyBytes (64 KiB) or 1 MiB is RequestSizeLimitExceeded in the envelope, with HTTP 200, counted', async (t) => {
  const kit = await apiKit({ actions: probe });
  t.after(() => kit.close());
  assert.equal(kit.deps.config.api.maxBodyBytes, 64 * 1024);
  for (const size of [64 * 1024 + 1, 1024 * 1024 + 1]) {
    const res = await kit.call('Echo', {}, { rawBody: JSON.stringify({ A: 'x'.repeat(size) }) });
    assert.equal(res.Error.Code, 'RequestSizeLimitExceeded');
    assert.match(res.Error.Message, /API_BODY_TOO_LARGE/);
  }
  assert.equal(kit.counters.errors.get('API_BODY_TOO_LARGE'), 2);
  assert.equal((await kit.call('Echo', { A: 'x'.repeat(60 * 1024) })).Error, undefined, 'under the limit');
});

test('a use is recorded on the credential', async (t) => {
  const kit = await apiKit({ actions: probe });
  t.after(() => kit.close());
  kit.clock += 5000;
  await kit.call('Echo');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal((await kit.store.getCredential(kit.key.secretId))?.lastUsedAt, kitStart + 5000);
});

test('GET / is an unsigned API call (an AuthFailure envelope, not a redirect); the console keeps /console/', async (t) => {
  const kit = await apiKit({ actions: probe });
  t.after(() => kit.close());
  const browser = await kit.app.inject({ method: 'GET', url: '/' });
  assert.equal(browser.statusCode, 200);
  assert.equal(browser.json().Response.Error.Code, 'AuthFailure.InvalidAuthorization');
  const sdk = await kit.app.inject({
    method: 'GET',
    url: '/?Action=Echo',
    headers: { 'x-tc-action': 'Echo', 'x-tc-language': 'zh-CN' },
  });
  assert.equal(sdk.statusCode, 200);
  assert.equal(sdk.json().Response.Error.Code, 'AuthFailure.InvalidAuthorization');
  assert.match(sdk.json().Response.Error.Message, /Authorization 不符合/);
  const consolePage = await kit.app.inject({ method: 'GET', url: '/console/' });
  assert.equal(consolePage.statusCode, 404);
  assert.equal(consolePage.json().code, 'CONSOLE_NOT_BUILT');
});

test('mergeActions refuses an action defined twice', () => {
  const echo = async () => ({});
  assert.deepEqual(Object.keys(mergeActions([{ A: echo }, { B: echo }])), ['A', 'B']);
  assert.throws(() => mergeActions([{ A: echo }, { A: echo }]), /A is defined by two groups/);
});

test('a malformed request that fastify itself refuses is InvalidParameter, not InternalError', async (t) => {
  const kit = await apiKit({ actions: probe });
  t.after(() => kit.close());
  // A Content-Length larger than the body sent.
  const res = await kit.app.inject({
    method: 'POST',
    url: '/',
    headers: { 'content-type': 'application/json', 'content-length': '10' },
    payload: '{}',
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().Response.Error.Code, 'InvalidParameter');
  assert.match(res.json().Response.Error.Message, /FST_ERR_CTP_INVALID_CONTENT_LENGTH/);
});
