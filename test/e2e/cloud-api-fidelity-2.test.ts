/**
 * More fidelity with SDK 4.1.313's models through the real SDK (issue 15); each fails on the behaviour before it:
 * DescribeLiveStreamEventList IsAsc ordered by end time, PlayType / IsMiniProgramLive kept by AddLiveDomain and
 * ModifyLivePlayDomain, RecordExceptionLevels kept by the callback templates.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startService, type TestService } from '../support/service.ts';
import { liveClient, type LiveClient } from '../support/api-client.ts';

let svc: TestService;
let client: LiveClient & { close(): void };

before(async () => {
  svc = await startService();
  client = liveClient(svc.apiEndpoint, svc.service.createdCredential!, { reqTimeout: 15 });
});

after(async () => {
  client.close();
  await svc.close();
});

const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

test('DescribeLiveStreamEventList IsAsc orders by end time, not start time', async () => {
  const store = svc.service.store;
  const now = svc.service.now();
  const domain = svc.service.defaults.push!.name;
  const end = { breakCode: '1/0', reason: '1/0 stopped', bytesIn: 0 };
  // "long" starts first and ends last; "short" starts later and ends first.
  const long = await store.addPublishRecord({
    domain,
    app: 'live',
    stream: 'long',
    clientIp: '127.0.0.1',
    startedAt: now - 600_000,
  });
  const short = await store.addPublishRecord({
    domain,
    app: 'live',
    stream: 'short',
    clientIp: '127.0.0.1',
    startedAt: now - 300_000,
  });
  await store.endPublishRecord(short, { ...end, endedAt: now - 200_000 });
  await store.endPublishRecord(long, { ...end, endedAt: now - 100_000 });
  const window = { StartTime: iso(now - 3_600_000), EndTime: iso(now), IsFilter: 1 };
  const asc = await client.DescribeLiveStreamEventList({ ...window, IsAsc: 1 });
  assert.deepEqual(
    asc.EventList?.map((e) => e.StreamName),
    ['short', 'long'],
  );
  const desc = await client.DescribeLiveStreamEventList({ ...window, IsAsc: 0 });
  assert.deepEqual(
    desc.EventList?.map((e) => e.StreamName),
    ['long', 'short'],
  );
  const merged = await client.DescribeLiveStreamEventList({
    StartTime: iso(now - 3_600_000),
    EndTime: iso(now),
    IsAsc: 1,
  });
  assert.deepEqual(
    merged.EventList?.map((e) => e.StreamName),
    ['short', 'long'],
  );
});

test('PlayType and IsMiniProgramLive are kept and answered; ModifyLivePlayDomain changes PlayType', async () => {
  await client.AddLiveDomain({ DomainName: 'mini.example.com', DomainType: 1, PlayType: 3, IsMiniProgramLive: 1 });
  const info = (await client.DescribeLiveDomain({ DomainName: 'mini.example.com' })).DomainInfo!;
  assert.equal(info.PlayType, 3);
  assert.equal(info.IsMiniProgramLive, 1);
  await client.ModifyLivePlayDomain({ DomainName: 'mini.example.com', PlayType: 2 });
  assert.equal((await client.DescribeLiveDomain({ DomainName: 'mini.example.com' })).DomainInfo?.PlayType, 2);
  const list = await client.DescribeLiveDomains({ PlayType: 2 });
  assert.deepEqual(
    list.DomainList?.map((d) => d.Name),
    ['mini.example.com'],
  );
});

test('RecordExceptionLevels of a callback template are kept and answered', async () => {
  const { TemplateId } = await client.CreateLiveCallbackTemplate({
    TemplateName: 'levels',
    RecordExceptionLevels: ['error', 'warning'],
  });
  assert.deepEqual(
    (await client.DescribeLiveCallbackTemplate({ TemplateId: TemplateId! })).Template?.RecordExceptionLevels,
    ['error', 'warning'],
  );
  await client.ModifyLiveCallbackTemplate({ TemplateId: TemplateId!, RecordExceptionLevels: ['info'] });
  const all = (await client.DescribeLiveCallbackTemplates()).Templates ?? [];
  assert.deepEqual(all.find((t) => t.TemplateId === TemplateId)?.RecordExceptionLevels, ['info']);
});
