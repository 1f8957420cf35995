/**
 * The Cloud API driven by Tencent's own Node SDK over plain HTTP: the first start's key, domains,
 * push keys that then decide a real ffmpeg publish, listing with CNAME answers from a test DNS
 * server, and errors that surface as the SDK's TencentCloudSDKHttpException with Tencent's code.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startService, type TestService } from '../support/service.ts';
import { liveClient, sdkError, type LiveClient } from '../support/api-client.ts';
import { StubDns } from '../support/stub-dns.ts';
import { publish } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';
import { formatTxTime, txSecretOf } from '../../src/control/signing.ts';

let svc: TestService;
const dns = new StubDns();
let client: LiveClient & { close(): void };

before(async () => {
  svc = await startService({}, { resolver: dns });
  const key = svc.service.createdCredential;
  assert.ok(key, 'the first start creates an API key');
  client = liveClient(svc.apiEndpoint, key);
});

after(async () => {
  client.close();
  await svc.close();
});

test('AddLiveDomain, then DescribeLiveDomain and DescribeLiveDomains through the SDK', async () => {
  const added = await client.AddLiveDomain({ DomainName: 'push.example.com', DomainType: 0 });
  assert.match(added.RequestId ?? '', /^[0-9a-f-]{36}$/);
  await client.AddLiveDomain({ DomainName: 'play.example.com', DomainType: 1 });
  dns.set('play.example.com', { cname: 'play.example.com.live.openlive.local' });

  const { DomainInfo: info } = await client.DescribeLiveDomain({ DomainName: 'play.example.com' });
  assert.equal(info?.Name, 'play.example.com');
  assert.equal(info?.Type, 1);
  assert.equal(info?.BCName, 1);
  assert.equal(info?.TargetDomain, 'play.example.com.live.openlive.local');
  assert.match(info?.CreateTime ?? '', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

  const list = await client.DescribeLiveDomains({ PageNum: 1, PageSize: 10 });
  assert.deepEqual(
    list.DomainList?.map((d) => d.Name),
    ['play.example.com', 'play.localhost', 'push.example.com', 'push.localhost'],
  );
  assert.equal(list.AllCount, 4);
  const pushOnly = await client.DescribeLiveDomains({ DomainType: 0 });
  assert.deepEqual(
    pushOnly.DomainList?.map((d) => [d.Name, d.Status, d.BCName]),
    [
      ['push.example.com', 1, 0],
      ['push.localhost', 1, 0],
    ],
  );
});

test('push keys set with ModifyLivePushAuthKey are read back and decide a real publish', async () => {
  const domain = svc.service.defaults.push!.name;
  const oldKey = (await client.DescribeLivePushAuthKey({ DomainName: domain })).PushAuthKeyInfo?.MasterAuthKey ?? '';
  await client.ModifyLivePushAuthKey({
    DomainName: domain,
    Enable: 1,
    MasterAuthKey: 'apiMasterKey1',
    BackupAuthKey: 'apiBackupKey2',
    AuthDelta: 120,
  });
  const { PushAuthKeyInfo: info } = await client.DescribeLivePushAuthKey({ DomainName: domain });
  assert.deepEqual(info, {
    DomainName: domain,
    Enable: 1,
    MasterAuthKey: 'apiMasterKey1',
    BackupAuthKey: 'apiBackupKey2',
    AuthDelta: 120,
    Algorithm: 'md5',
  });

  const txTime = formatTxTime(Math.floor(Date.now() / 1000) + 3600);
  const url = (key: string, stream: string) =>
    `${svc.rtmpUrl}/live/${stream}?txSecret=${txSecretOf(key, stream, txTime)}&txTime=${txTime}`;
  const stale = publish(url(oldKey, 'stale'), { seconds: 10 });
  assert.notEqual(await stale.exited, 0);
  assert.match(stale.stderr(), /Server error: 18\/503: /, 'the key from before the change is refused');

  const fresh = publish(url('apiBackupKey2', 'fresh'));
  try {
    await waitFor(
      'the stream signed with the new backup key to go live',
      () => svc.service.hub.get('live/fresh')?.live === true,
      20_000,
    );
  } finally {
    await fresh.stop();
  }
});

test('play keys through the SDK', async () => {
  await client.ModifyLivePlayAuthKey({ DomainName: 'play.example.com', Enable: 1, AuthKey: 'playKey', AuthDelta: 60 });
  const { PlayAuthKeyInfo: info } = await client.DescribeLivePlayAuthKey({ DomainName: 'play.example.com' });
  assert.deepEqual(info, {
    DomainName: 'play.example.com',
    Enable: 1,
    AuthKey: 'playKey',
    AuthDelta: 60,
    AuthBackKey: '',
    Algorithm: 'md5',
  });
});

test('errors reach the SDK as TencentCloudSDKHttpException with the Tencent code and the RequestId', async () => {
  const missing = await sdkError(client.DescribeLiveDomain({ DomainName: 'nope.example.com' }));
  assert.equal(missing.code, 'ResourceNotFound.DomainNotExist');
  assert.match(missing.message, /nope\.example\.com/);
  assert.match(missing.requestId, /^[0-9a-f-]{36}$/);

  const invalid = await sdkError(client.ModifyLivePushAuthKey({ DomainName: 'push.example.com', AuthDelta: -5 }));
  assert.equal(invalid.code, 'InvalidParameterValue');
  assert.match(invalid.message, /AuthDelta/);

  const noAction = await sdkError(client.request('DescribeSomethingElse', {}));
  assert.equal(noAction.code, 'InvalidAction');

  const wrong = liveClient(svc.apiEndpoint, {
    secretId: svc.service.createdCredential!.secretId,
    secretKey: 'not-the-secret-key',
  });
  try {
    assert.equal((await sdkError(wrong.DescribeLiveDomains({}))).code, 'AuthFailure.SignatureFailure');
  } finally {
    wrong.close();
  }
});

test('a key made later works, and a revoked one is refused with AuthFailure.SecretIdNotFound', async () => {
  const extra = await svc.service.credentials.create('e2e');
  const other = liveClient(svc.apiEndpoint, extra);
  try {
    assert.ok((await other.DescribeLiveDomains({})).AllCount);
    await svc.service.credentials.revoke(extra.secretId);
    assert.equal((await sdkError(other.DescribeLiveDomains({}))).code, 'AuthFailure.SecretIdNotFound');
  } finally {
    other.close();
  }
});
