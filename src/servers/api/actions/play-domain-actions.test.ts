import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiKit } from '../api-test-kit.ts';
import { mainDomainOf } from '../../../control/txt-check.ts';
import { unansweredResolver } from '../../../control/dns-resolver.ts';

test('ModifyLivePlayDomain stores PlayType, answered by DescribeLiveDomain(s) and their PlayType filter', async (t) => {
  const kit = await apiKit();
  t.after(() => kit.close());
  await kit.call('AddLiveDomain', { DomainName: 'play.example.com', DomainType: 1 });
  await kit.call('AddLiveDomain', { DomainName: 'play2.example.com', DomainType: 1 });
  assert.equal(
    (await kit.call('ModifyLivePlayDomain', { DomainName: 'play.example.com', PlayType: 2 })).Error,
    undefined,
  );
  assert.equal((await kit.call('DescribeLiveDomain', { DomainName: 'play.example.com' })).DomainInfo.PlayType, 2);
  const global = await kit.call('DescribeLiveDomains', { PlayType: 2 });
  assert.deepEqual(
    global.DomainList.map((d: { Name: string }) => d.Name),
    ['play.example.com'],
  );
  assert.equal(global.AllCount, 1);
  assert.deepEqual((await kit.call('DescribeLiveDomains', {})).PlayTypeCount, [1, 1, 0]);
  assert.equal(
    (await kit.call('ModifyLivePlayDomain', { DomainName: 'play.example.com', PlayType: 4 })).Error?.Code,
    'InvalidParameterValue',
  );
  assert.equal(
    (await kit.call('ModifyLivePlayDomain', { DomainName: 'play.example.com' })).Error?.Code,
    'MissingParameter',
  );
  assert.equal(
    (await kit.call('ModifyLivePlayDomain', { DomainName: 'none.example.com', PlayType: 1 })).Error?.Code,
    'ResourceNotFound.DomainNotExist',
  );
  await kit.call('AddLiveDomain', { DomainName: 'push.example.com', DomainType: 0 });
  assert.equal(
    (await kit.call('ModifyLivePlayDomain', { DomainName: 'push.example.com', PlayType: 1 })).Error?.Code,
    'InvalidParameterValue',
  );
});

test('AuthenticateDomainOwner: content to put at cssauth.<main domain>, Status -1 until the TXT record holds it, then 0', async (t) => {
  const txt = new Map<string, string[][]>();
  const asked: string[] = [];
  const resolveTxt = (name: string): Promise<string[][]> => {
    asked.push(name);
    const records = txt.get(name);
    return records
      ? Promise.resolve(records)
      : Promise.reject(Object.assign(new Error('no data'), { code: 'ENODATA' }));
  };
  const kit = await apiKit({ resolver: { resolveTxt, resolveCname: () => Promise.reject(new Error('unused')) } });
  t.after(() => kit.close());
  const first = await kit.call('AuthenticateDomainOwner', {
    DomainName: 'play.live.example.com',
    VerifyType: 'dnsCheck',
  });
  assert.equal(first.MainDomain, 'example.com');
  assert.equal(first.Status, -1);
  assert.match(first.Content, /^[0-9a-f]{32}$/);
  assert.deepEqual(asked, ['cssauth.example.com']);
  // The same content for every domain under the main domain, until verified.
  const second = await kit.call('AuthenticateDomainOwner', { DomainName: 'push.example.com', VerifyType: 'dnsCheck' });
  assert.equal(second.Content, first.Content);
  txt.set('cssauth.example.com', [['other'], [first.Content.slice(0, 10), first.Content.slice(10)]]);
  assert.equal(
    (await kit.call('AuthenticateDomainOwner', { DomainName: 'play.live.example.com', VerifyType: 'dbCheck' })).Status,
    -1,
    'dbCheck asks no DNS',
  );
  assert.equal(
    (await kit.call('AuthenticateDomainOwner', { DomainName: 'play.live.example.com', VerifyType: 'dnsCheck' })).Status,
    0,
  );
  assert.equal(
    (await kit.call('AuthenticateDomainOwner', { DomainName: 'x.example.com', VerifyType: 'dbCheck' })).Status,
    0,
  );
  assert.equal(
    (await kit.call('AuthenticateDomainOwner', { DomainName: 'x.example.com', VerifyType: 'fileCheck' })).Error?.Code,
    'UnsupportedOperation',
  );
  assert.equal(
    (await kit.call('AuthenticateDomainOwner', { DomainName: 'x.example.com', VerifyType: 'dns' })).Error?.Code,
    'InvalidParameterValue',
  );
  assert.equal(
    (await kit.call('AuthenticateDomainOwner', { DomainName: 'bad name', VerifyType: 'dnsCheck' })).Error?.Code,
    'InvalidParameter.DomainFormatError',
  );
});

test('AuthenticateDomainOwner answers FailedOperation (TXT_LOOKUP_FAILED) when DNS does not answer', async (t) => {
  const kit = await apiKit({
    resolver: unansweredResolver('ETIMEOUT'),
  });
  t.after(() => kit.close());
  const res = await kit.call('AuthenticateDomainOwner', { DomainName: 'play.example.org', VerifyType: 'dnsCheck' });
  assert.equal(res.Error?.Code, 'FailedOperation');
  assert.match(res.Error?.Message, /TXT_LOOKUP_FAILED/);
});

test('mainDomainOf keeps three labels under known second-level suffixes', () => {
  assert.equal(mainDomainOf('a.b.example.com'), 'example.com');
  assert.equal(mainDomainOf('live.example.com.cn'), 'example.com.cn');
  assert.equal(mainDomainOf('Example.COM.'), 'example.com');
});
