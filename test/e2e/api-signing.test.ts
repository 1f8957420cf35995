/**
 * Every way Tencent's Node SDK can sign, against a real service: TC3 over POST (JSON) and over GET (the
 * query, `reqMethod: "GET"`), and signature v1 (`signMethod: "HmacSHA256"` / `"HmacSHA1"`, over a form POST
 * and over GET), each over several actions with numbers, nested objects and errors; v1 replay and clock checks.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Agent } from 'node:http';
import { startService, type TestService } from '../support/service.ts';
import { retryReplays, sdkError, type LiveClient } from '../support/api-client.ts';
import { legacySignature, legacyStringToSign } from '../../src/control/legacy-signature.ts';

const require = createRequire(import.meta.url);
const sdk = require('tencentcloud-sdk-nodejs') as { live: { v20180801: { Client: typeof LiveClient } } };

let svc: TestService;
let key: { secretId: string; secretKey: string };
const agents: Agent[] = [];

before(async () => {
  svc = await startService();
  const created = svc.service.createdCredential;
  assert.ok(created);
  key = created;
});

after(async () => {
  for (const a of agents) a.destroy();
  await svc.close();
});

type Scheme = { name: string; reqMethod: 'POST' | 'GET'; signMethod?: 'HmacSHA1' | 'HmacSHA256' };
const schemes: Scheme[] = [
  { name: 'POST/TC3', reqMethod: 'POST' },
  { name: 'GET/TC3', reqMethod: 'GET' },
  { name: 'POST/HmacSHA256', reqMethod: 'POST', signMethod: 'HmacSHA256' },
  { name: 'GET/HmacSHA256', reqMethod: 'GET', signMethod: 'HmacSHA256' },
  { name: 'GET/HmacSHA1', reqMethod: 'GET', signMethod: 'HmacSHA1' },
];

function client(s: Scheme, credential = key, language?: 'zh-CN' | 'en-US'): LiveClient {
  const agent = new Agent({ keepAlive: true });
  agents.push(agent);
  return retryReplays(
    new sdk.live.v20180801.Client({
      credential,
      region: 'ap-guangzhou',
      profile: {
        ...(s.signMethod && { signMethod: s.signMethod }),
        ...(language && { language }),
        httpProfile: { endpoint: svc.apiEndpoint, protocol: 'http://', reqMethod: s.reqMethod, reqTimeout: 10, agent },
      },
    }),
  );
}

for (const [i, s] of schemes.entries()) {
  test(`${s.name}: domains, push keys, paging and errors through the SDK`, async () => {
    const c = client(s);
    const name = `push${i}.example.com`;
    await c.AddLiveDomain({ DomainName: name, DomainType: 0 });
    const { DomainInfo } = await c.DescribeLiveDomain({ DomainName: name });
    assert.equal(DomainInfo?.Name, name);
    assert.equal(DomainInfo?.Type, 0);
    const page = await c.DescribeLiveDomains({ PageNum: 1, PageSize: 10, DomainType: 0 });
    assert.ok(page.DomainList?.some((d) => d.Name === name));
    assert.ok((page.AllCount ?? 0) >= 2);

    await c.ModifyLivePushAuthKey({ DomainName: name, Enable: 1, MasterAuthKey: `key${i}x`, AuthDelta: 600 });
    const auth = await c.DescribeLivePushAuthKey({ DomainName: name });
    assert.equal(auth.PushAuthKeyInfo?.MasterAuthKey, `key${i}x`);
    assert.equal(auth.PushAuthKeyInfo?.AuthDelta, 600);

    const description = `a b&c=d+e%f 直播 ${i}`;
    const { TemplateId } = await c.CreateLiveCallbackTemplate({
      TemplateName: `t${i}`,
      Description: description,
      StreamBeginNotifyUrl: 'http://127.0.0.1:9/cb',
    });
    const { Template } = await c.DescribeLiveCallbackTemplate({ TemplateId: TemplateId ?? 0 });
    assert.equal(
      Template?.Description,
      description,
      'spaces, &, =, +, % and UTF-8 survive the query and the v1 string to sign',
    );

    const online = await c.DescribeLiveStreamOnlineList({ DomainName: name, PageNum: 1, PageSize: 10 });
    assert.deepEqual(online.OnlineInfo, []);

    const missing = await sdkError(c.DescribeLiveDomain({ DomainName: `nope${i}.example.com` }));
    assert.equal(missing.code, 'ResourceNotFound.DomainNotExist');
    const invalid = await sdkError(c.DescribeLiveDomains({ PageSize: 0 }));
    assert.equal(invalid.code, 'InvalidParameterValue');
  });

  test(`${s.name}: a wrong SecretKey is AuthFailure.SignatureFailure, an unknown SecretId AuthFailure.SecretIdNotFound`, async () => {
    const bad = await sdkError(client(s, { secretId: key.secretId, secretKey: 'wrong' }).DescribeLiveDomains({}));
    assert.equal(bad.code, 'AuthFailure.SignatureFailure');
    const unknown = await sdkError(client(s, { secretId: 'AKIDnobody', secretKey: 'x' }).DescribeLiveDomains({}));
    assert.equal(unknown.code, 'AuthFailure.SecretIdNotFound');
  });
}

for (const s of schemes) {
  test(`${s.name}: language zh-CN answers Chinese messages (auth, parameters, not found), en-US the English ones`, async () => {
    const zh = await sdkError(
      client(s, { secretId: key.secretId, secretKey: 'wrong' }, 'zh-CN').DescribeLiveDomains({}),
    );
    assert.equal(zh.code, 'AuthFailure.SignatureFailure');
    assert.match(zh.message, /签名错误/);
    const unknown = await sdkError(
      client(s, { secretId: 'AKIDnobody', secretKey: 'x' }, 'zh-CN').DescribeLiveDomains({}),
    );
    assert.match(unknown.message, /密钥不存在/);
    const c = client(s, key, 'zh-CN');
    const invalid = await sdkError(c.DescribeLiveDomains({ PageSize: 0 }));
    assert.equal(invalid.code, 'InvalidParameterValue');
    assert.match(invalid.message, /^参数取值错误。 \(.*PageSize/, 'the Chinese message, then the English detail');
    const missing = await sdkError(c.DescribeLiveDomain({ DomainName: 'nobody.example.com' }));
    assert.match(missing.message, /域名不存在/);
    const en = await sdkError(
      client(s, { secretId: key.secretId, secretKey: 'wrong' }, 'en-US').DescribeLiveDomains({}),
    );
    assert.doesNotMatch(en.message, /签名/);
    const enInvalid = await sdkError(client(s, key, 'en-US').DescribeLiveDomains({ PageSize: 0 }));
    assert.doesNotMatch(enInvalid.message, /参数/);
  });
}

/** A v1 GET URL signed by hand, as an old back end builds it. */
function v1Url(params: Record<string, string>, secretKey = key.secretKey): string {
  const host = svc.apiEndpoint;
  const signature = legacySignature(secretKey, legacyStringToSign('GET', host, '/', params), 'HmacSHA256');
  return `http://${host}/?${new URLSearchParams({ ...params, Signature: signature })}`;
}

const common = (timestamp: number, nonce: string) => ({
  Action: 'DescribeLiveDomains',
  Version: '2018-08-01',
  SecretId: key.secretId,
  Timestamp: String(timestamp),
  Nonce: nonce,
  SignatureMethod: 'HmacSHA256',
});

test('v1: a signature is accepted once, then AuthFailure.SignatureReplay; a stale Timestamp is AuthFailure.SignatureExpire', async () => {
  const now = Math.floor(svc.service.now() / 1000);
  const url = v1Url({ ...common(now, '4711'), PageSize: '10' });
  const first = (await (await fetch(url)).json()) as { Response: { DomainList?: unknown[]; Error?: { Code: string } } };
  assert.equal(first.Response.Error, undefined);
  assert.ok(Array.isArray(first.Response.DomainList));
  const again = (await (await fetch(url)).json()) as { Response: { Error?: { Code: string } } };
  assert.equal(again.Response.Error?.Code, 'AuthFailure.SignatureReplay');
  const stale = (await (await fetch(v1Url(common(now - 3600, '1')))).json()) as {
    Response: { Error?: { Code: string } };
  };
  assert.equal(stale.Response.Error?.Code, 'AuthFailure.SignatureExpire');
  const noNonce = { ...common(now, '2') } as Record<string, string>;
  delete noNonce.Nonce;
  const missing = (await (await fetch(v1Url(noNonce))).json()) as { Response: { Error?: { Code: string } } };
  assert.equal(missing.Response.Error?.Code, 'MissingParameter');
  const md5 = (await (await fetch(v1Url({ ...common(now, '3'), SignatureMethod: 'HmacMD5' }))).json()) as {
    Response: { Error?: { Code: string } };
  };
  assert.equal(md5.Response.Error?.Code, 'AuthFailure.InvalidAuthorization');
});

test('a GET of / that is no API call gets an AuthFailure envelope (no redirect); /console/ is still served', async () => {
  const res = await fetch(`http://${svc.apiEndpoint}/`, { redirect: 'manual' });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { Response: { Error: { Code: string }; RequestId: string } };
  assert.match(body.Response.Error.Code, /^AuthFailure\./);
  assert.match(body.Response.RequestId, /^[0-9a-f-]{36}$/);
  const consolePage = await fetch(`http://${svc.apiEndpoint}/console/`, { redirect: 'manual' });
  assert.notEqual(consolePage.status, 302);
  await consolePage.arrayBuffer();
});

test('hostile v1 queries are InvalidParameter, not InternalError: prototype keys, repeated names, conflicting nesting', async () => {
  const now = Math.floor(svc.service.now() / 1000);
  const hostile: Record<string, string>[] = [{ '__proto__.x': '1' }, { 'A.B': '1', A: '2' }, { 'a.': '1' }];
  for (const [i, extra] of hostile.entries()) {
    const res = (await (await fetch(v1Url({ ...common(now, `9${i}`), ...extra }))).json()) as {
      Response: { Error?: { Code: string } };
    };
    assert.equal(res.Response.Error?.Code, 'InvalidParameter', JSON.stringify(extra));
  }
  const twice = `http://${svc.apiEndpoint}/?Signature=a&Signature=b`;
  const res = (await (await fetch(twice)).json()) as { Response: { Error?: { Code: string } } };
  assert.equal(res.Response.Error?.Code, 'InvalidParameter');
});
