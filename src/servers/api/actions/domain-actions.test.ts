import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StubDns } from '../../../../test/support/stub-dns.ts';
import { apiKit, kitStart } from '../api-test-kit.ts';
import { cnameWaitMs } from './domain-info.ts';
import { beijingTime } from './tencent-time.ts';
import { domainLimit } from './domain-actions.ts';

test('beijingTime is UTC+8 as YYYY-MM-DD hh:mm:ss', () => {
  assert.equal(beijingTime(Date.UTC(2018, 7, 29, 2, 0, 0)), '2018-08-29 10:00:00');
  assert.equal(beijingTime(Date.UTC(2026, 11, 31, 16, 30, 5)), '2027-01-01 00:30:05');
});

test('AddLiveDomain then DescribeLiveDomain: Tencent DomainInfo with Beijing CreateTime and the CNAME target', async (t) => {
  const kit = await apiKit();
  t.after(() => kit.close());
  assert.deepEqual(Object.keys(await kit.call('AddLiveDomain', { DomainName: 'Push.Example.com', DomainType: 0 })), [
    'RequestId',
  ]);
  const res = await kit.call('DescribeLiveDomain', { DomainName: 'push.example.com' });
  assert.deepEqual(res.DomainInfo, {
    Name: 'push.example.com',
    Type: 0,
    Status: 1,
    CreateTime: beijingTime(kitStart),
    BCName: 0,
    TargetDomain: 'push.example.com.live.openlive.local',
    CurrentCName: '',
    PlayType: 1,
    IsDelayLive: 0,
    IsMiniProgramLive: 0,
    RentTag: 0,
    RentExpireTime: '1970-01-01 08:00:00',
  });
  assert.equal(res.DomainInfo.CreateTime, '2026-11-25 18:00:00');
});

test('AddLiveDomain validation names the parameter; duplicates and bad names get the domain codes', async (t) => {
  const kit = await apiKit();
  t.after(() => kit.close());
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ DomainType: 0 }, 'MissingParameter', /DomainName/],
    [{ DomainName: 'a.example.com' }, 'MissingParameter', /DomainType/],
    [{ DomainName: 'a.example.com', DomainType: 2 }, 'InvalidParameterValue', /DomainType/],
    [{ DomainName: 7, DomainType: 0 }, 'InvalidParameterValue', /DomainName/],
    [{ DomainName: 'a.example.com', DomainType: 1, PlayType: 4 }, 'InvalidParameterValue', /PlayType/],
    [
      { DomainName: 'a.example.com', DomainType: 0, VerifyOwnerType: 'txtCheck' },
      'InvalidParameterValue',
      /VerifyOwnerType/,
    ],
    [{ DomainName: 'a.example.com', DomainType: 0, IsDelayLive: 1 }, 'UnsupportedOperation', /IsDelayLive/],
    [{ DomainName: 'bad_name.example.com', DomainType: 0 }, 'InvalidParameter.DomainFormatError', /bad_name/],
    [{ DomainName: '1.2.3.4', DomainType: 0 }, 'InvalidParameter.DomainFormatError', /IP address/],
  ];
  for (const [params, code, message] of cases) {
    const res = await kit.call('AddLiveDomain', params);
    assert.equal(res.Error?.Code, code, JSON.stringify(params));
    assert.match(res.Error.Message, message);
  }
  assert.equal(
    (await kit.call('AddLiveDomain', { DomainName: 'a.example.com', DomainType: '1', VerifyOwnerType: 'dnsCheck' }))
      .Error,
    undefined,
  );
  const again = await kit.call('AddLiveDomain', { DomainName: 'a.example.com', DomainType: 0 });
  assert.equal(again.Error?.Code, 'InvalidParameter.DomainAlreadyExist');
});

test('DeleteLiveDomain needs the matching DomainType; unknown domains are ResourceNotFound.DomainNotExist', async (t) => {
  const kit = await apiKit();
  t.after(() => kit.close());
  await kit.call('AddLiveDomain', { DomainName: 'play.example.com', DomainType: 1 });
  const wrong = await kit.call('DeleteLiveDomain', { DomainName: 'play.example.com', DomainType: 0 });
  assert.equal(wrong.Error?.Code, 'InvalidParameterValue');
  assert.match(wrong.Error.Message, /DomainType.*play domain/);
  assert.equal(
    (await kit.call('DeleteLiveDomain', { DomainName: 'play.example.com' })).Error?.Code,
    'MissingParameter',
  );
  assert.equal(
    (await kit.call('DeleteLiveDomain', { DomainName: 'play.example.com', DomainType: 1 })).Error,
    undefined,
  );
  for (const action of ['DeleteLiveDomain', 'DescribeLiveDomain', 'EnableLiveDomain', 'ForbidLiveDomain']) {
    const res = await kit.call(action, { DomainName: 'play.example.com', DomainType: 1 });
    assert.equal(res.Error?.Code, 'ResourceNotFound.DomainNotExist', action);
    assert.equal((await kit.call(action, {})).Error?.Code, 'MissingParameter', action);
  }
});

test('ForbidLiveDomain and EnableLiveDomain switch the stored domain and its Status', async (t) => {
  const kit = await apiKit();
  t.after(() => kit.close());
  await kit.call('AddLiveDomain', { DomainName: 'push.example.com', DomainType: 0 });
  await kit.call('ForbidLiveDomain', { DomainName: 'push.example.com' });
  assert.equal((await kit.deps.domains.get('push.example.com')).enabled, false);
  assert.equal((await kit.call('DescribeLiveDomain', { DomainName: 'push.example.com' })).DomainInfo.Status, 0);
  await kit.call('EnableLiveDomain', { DomainName: 'push.example.com' });
  assert.equal((await kit.call('DescribeLiveDomain', { DomainName: 'push.example.com' })).DomainInfo.Status, 1);
});

test('DescribeLiveDomains pages (10 to 100) and filters by status, type and prefix', async (t) => {
  const kit = await apiKit();
  t.after(() => kit.close());
  for (let i = 0; i < 12; i++) {
    await kit.call('AddLiveDomain', {
      DomainName: `p${String(i).padStart(2, '0')}.example.com`,
      DomainType: i % 3 === 0 ? 1 : 0,
    });
  }
  await kit.call('ForbidLiveDomain', { DomainName: 'p01.example.com' });
  const first = await kit.call('DescribeLiveDomains', {});
  assert.equal(first.AllCount, 12);
  assert.equal(first.DomainList.length, 10);
  assert.equal(first.CreateLimitCount, domainLimit - 12);
  assert.deepEqual(first.PlayTypeCount, [4, 0, 0]);
  const second = await kit.call('DescribeLiveDomains', { PageNum: 2, PageSize: 10 });
  assert.deepEqual(
    second.DomainList.map((d: { Name: string }) => d.Name),
    ['p10.example.com', 'p11.example.com'],
  );
  const play = await kit.call('DescribeLiveDomains', { DomainType: 1 });
  assert.deepEqual(
    play.DomainList.map((d: { Name: string }) => d.Name),
    ['p00.example.com', 'p03.example.com', 'p06.example.com', 'p09.example.com'],
  );
  assert.equal((await kit.call('DescribeLiveDomains', { DomainStatus: 0 })).DomainList[0].Name, 'p01.example.com');
  assert.equal((await kit.call('DescribeLiveDomains', { DomainPrefix: 'P1' })).AllCount, 2);
  assert.equal((await kit.call('DescribeLiveDomains', { IsDelayLive: 1 })).AllCount, 0);
  assert.equal((await kit.call('DescribeLiveDomains', { PlayType: 2 })).AllCount, 0);
  for (const [params, name] of [
    [{ PageSize: 9 }, 'PageSize'],
    [{ PageSize: 101 }, 'PageSize'],
    [{ PageNum: 0 }, 'PageNum'],
    [{ DomainType: 3 }, 'DomainType'],
  ] as const) {
    const res = await kit.call('DescribeLiveDomains', params);
    assert.equal(res.Error?.Code, 'InvalidParameterValue');
    assert.match(res.Error.Message, new RegExp(name));
  }
});

test('BCName and CurrentCName come from the CNAME query; a failing or silent DNS gives BCName 0, not an error', async (t) => {
  const dns = new StubDns();
  const kit = await apiKit({ resolver: dns });
  t.after(() => kit.close());
  for (const name of [
    'ok.example.com',
    'elsewhere.example.com',
    'none.example.com',
    'broken.example.com',
    'silent.example.com',
  ]) {
    await kit.call('AddLiveDomain', { DomainName: name, DomainType: 1 });
  }
  dns.set('ok.example.com', { cname: 'ok.example.com.live.openlive.local' });
  dns.set('elsewhere.example.com', { cname: 'cdn.other.net' });
  dns.set('broken.example.com', { fail: 'servfail' });
  dns.set('silent.example.com', { fail: 'drop' });
  const started = performance.now();
  const list = await kit.call('DescribeLiveDomains', { PageSize: 10 });
  assert.ok(performance.now() - started < cnameWaitMs + 1000, 'bounded by the CNAME wait');
  const byName = Object.fromEntries(
    list.DomainList.map((d: Record<string, unknown>) => [d.Name, [d.BCName, d.CurrentCName]]),
  );
  assert.deepEqual(byName, {
    'broken.example.com': [0, ''],
    'elsewhere.example.com': [0, 'cdn.other.net'],
    'none.example.com': [0, ''],
    'ok.example.com': [1, 'ok.example.com.live.openlive.local'],
    'silent.example.com': [0, ''],
  });
  assert.equal((await kit.call('DescribeLiveDomain', { DomainName: 'ok.example.com' })).DomainInfo.BCName, 1);
});
