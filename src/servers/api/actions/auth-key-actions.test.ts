import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiKit } from '../api-test-kit.ts';

async function kitWithDomains(t: { after(fn: () => Promise<void>): void }) {
  const kit = await apiKit();
  t.after(() => kit.close());
  await kit.call('AddLiveDomain', { DomainName: 'push.example.com', DomainType: 0 });
  await kit.call('AddLiveDomain', { DomainName: 'play.example.com', DomainType: 1 });
  return kit;
}

test('push keys: a new push domain has auth on with a generated key; Modify changes only what it names', async (t) => {
  const kit = await kitWithDomains(t);
  const before = (await kit.call('DescribeLivePushAuthKey', { DomainName: 'push.example.com' })).PushAuthKeyInfo;
  assert.match(before.MasterAuthKey, /^[0-9a-f]{32}$/);
  assert.deepEqual(
    { ...before, MasterAuthKey: '' },
    {
      DomainName: 'push.example.com',
      Enable: 1,
      MasterAuthKey: '',
      BackupAuthKey: '',
      AuthDelta: 300,
      Algorithm: 'md5',
    },
  );
  assert.deepEqual(
    Object.keys(await kit.call('ModifyLivePushAuthKey', { DomainName: 'push.example.com', BackupAuthKey: 'b4ckup' })),
    ['RequestId'],
  );
  await kit.call('ModifyLivePushAuthKey', {
    DomainName: 'push.example.com',
    MasterAuthKey: 'e12c46f2612d5106e2034781ab261ca3',
    AuthDelta: 600,
  });
  const after = (await kit.call('DescribeLivePushAuthKey', { DomainName: 'push.example.com' })).PushAuthKeyInfo;
  assert.deepEqual(after, {
    DomainName: 'push.example.com',
    Enable: 1,
    MasterAuthKey: 'e12c46f2612d5106e2034781ab261ca3',
    BackupAuthKey: 'b4ckup',
    AuthDelta: 600,
    Algorithm: 'md5',
  });
  const stored = (await kit.deps.domains.get('push.example.com')).auth;
  assert.deepEqual(
    [stored.key, stored.backupKey, stored.authDelta],
    ['e12c46f2612d5106e2034781ab261ca3', 'b4ckup', 600],
    'what signing uses',
  );
  await kit.call('ModifyLivePushAuthKey', { DomainName: 'push.example.com', Enable: 0, BackupAuthKey: '' });
  const off = (await kit.call('DescribeLivePushAuthKey', { DomainName: 'push.example.com' })).PushAuthKeyInfo;
  assert.deepEqual([off.Enable, off.BackupAuthKey, off.MasterAuthKey], [0, '', 'e12c46f2612d5106e2034781ab261ca3']);
});

test('play keys: off by default; Modify sets AuthKey, AuthBackKey, AuthDelta and Enable', async (t) => {
  const kit = await kitWithDomains(t);
  const before = (await kit.call('DescribeLivePlayAuthKey', { DomainName: 'play.example.com' })).PlayAuthKeyInfo;
  assert.equal(before.Enable, 0);
  await kit.call('ModifyLivePlayAuthKey', {
    DomainName: 'play.example.com',
    Enable: 1,
    AuthKey: 'playkey1',
    AuthBackKey: 'playkey2',
    AuthDelta: 3600,
  });
  assert.deepEqual((await kit.call('DescribeLivePlayAuthKey', { DomainName: 'play.example.com' })).PlayAuthKeyInfo, {
    DomainName: 'play.example.com',
    Enable: 1,
    AuthKey: 'playkey1',
    AuthDelta: 3600,
    AuthBackKey: 'playkey2',
    Algorithm: 'md5',
  });
});

test('push actions refuse play domains and the reverse, naming DomainName', async (t) => {
  const kit = await kitWithDomains(t);
  for (const [action, domain] of [
    ['DescribeLivePushAuthKey', 'play.example.com'],
    ['ModifyLivePushAuthKey', 'play.example.com'],
    ['DescribeLivePlayAuthKey', 'push.example.com'],
    ['ModifyLivePlayAuthKey', 'push.example.com'],
  ] as const) {
    const res = await kit.call(action, { DomainName: domain });
    assert.equal(res.Error?.Code, 'InvalidParameterValue', action);
    assert.match(res.Error.Message, /DomainName/);
    assert.equal(
      (await kit.call(action, { DomainName: 'nope.example.com' })).Error?.Code,
      'ResourceNotFound.DomainNotExist',
    );
    assert.equal((await kit.call(action, {})).Error?.Code, 'MissingParameter');
  }
});

test('Modify validation names the parameter and changes nothing', async (t) => {
  const kit = await kitWithDomains(t);
  const before = await kit.deps.domains.get('push.example.com');
  const cases: [string, Record<string, unknown>, string][] = [
    ['ModifyLivePushAuthKey', { MasterAuthKey: 'has space' }, 'MasterAuthKey'],
    ['ModifyLivePushAuthKey', { MasterAuthKey: 'x'.repeat(65) }, 'MasterAuthKey'],
    ['ModifyLivePushAuthKey', { BackupAuthKey: 12 }, 'BackupAuthKey'],
    ['ModifyLivePushAuthKey', { Enable: 2 }, 'Enable'],
    ['ModifyLivePushAuthKey', { AuthDelta: -1 }, 'AuthDelta'],
    ['ModifyLivePushAuthKey', { AuthDelta: 1.5 }, 'AuthDelta'],
    ['ModifyLivePlayAuthKey', { AuthKey: 'ключ' }, 'AuthKey'],
    ['ModifyLivePlayAuthKey', { AuthBackKey: 'a-b' }, 'AuthBackKey'],
  ];
  for (const [action, params, name] of cases) {
    const domain = action === 'ModifyLivePushAuthKey' ? 'push.example.com' : 'play.example.com';
    const res = await kit.call(action, { DomainName: domain, ...params });
    assert.equal(res.Error?.Code, 'InvalidParameterValue', `${action} ${JSON.stringify(params)}`);
    assert.match(res.Error.Message, new RegExp(`parameter ${name}`));
  }
  assert.deepEqual(await kit.deps.domains.get('push.example.com'), before);
});

test('enabling play auth without a key is refused', async (t) => {
  const kit = await kitWithDomains(t);
  await kit.deps.domains.setAuth('play.example.com', { key: '' });
  const res = await kit.call('ModifyLivePlayAuthKey', { DomainName: 'play.example.com', Enable: 1 });
  assert.equal(res.Error?.Code, 'InvalidParameterValue');
  assert.match(res.Error.Message, /needs a key.*AUTH_KEY_INVALID/);
});
