/**
 * Field-by-field fidelity with SDK 4.1.313's models, through the real SDK; each test fails on the behaviour
 * before issue 15: the PageSize ranges, ForbidLiveStream keyed on StreamName across AppNames, a callback
 * template without URLs, a second callback rule answered InternalError.RuleAlreadyExist, AudioFps of AAC.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startService, type TestService } from '../support/service.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { liveClient, sdkError, type LiveClient } from '../support/api-client.ts';
import { waitFor } from '../support/wait.ts';

let svc: TestService;
let client: LiveClient & { close(): void };
let domain: string;
const running: FfmpegProcess[] = [];

before(async () => {
  svc = await startService();
  client = liveClient(svc.apiEndpoint, svc.service.createdCredential!, { reqTimeout: 15 });
  domain = svc.service.defaults.push!.name;
});

after(async () => {
  for (const ff of running) await ff.stop();
  client.close();
  await svc.close();
});

test('PageSize: DescribeLiveStreamOnlineList takes up to 300000, DescribeLiveStreamPushInfoList up to 100000', async () => {
  const online = await client.DescribeLiveStreamOnlineList({ PageNum: 1, PageSize: 300_000 });
  assert.equal(online.PageSize, 300_000);
  assert.equal(
    (await sdkError(client.DescribeLiveStreamOnlineList({ PageSize: 300_001 }))).code,
    'InvalidParameterValue',
  );
  // No stream is live: past the paging check, the action answers its own code.
  assert.equal(
    (await sdkError(client.DescribeLiveStreamPushInfoList({ PageSize: 100_000 }))).code,
    'FailedOperation.HasNotLivingStream',
  );
  assert.equal(
    (await sdkError(client.DescribeLiveStreamPushInfoList({ PageSize: 100_001 }))).code,
    'InvalidParameterValue',
  );
});

test('a callback template without any URL is accepted; a second rule for one domain/AppName is InternalError.RuleAlreadyExist', async () => {
  const { TemplateId: bare } = await client.CreateLiveCallbackTemplate({ TemplateName: 'bare' });
  assert.equal(typeof bare, 'number');
  const { TemplateId: other } = await client.CreateLiveCallbackTemplate({
    TemplateName: 'other',
    StreamBeginNotifyUrl: 'http://127.0.0.1:9/b',
  });
  await client.CreateLiveCallbackRule({ DomainName: domain, AppName: 'rules', TemplateId: bare! });
  const again = await sdkError(
    client.CreateLiveCallbackRule({ DomainName: domain, AppName: 'rules', TemplateId: other! }),
  );
  assert.equal(again.code, 'InternalError.RuleAlreadyExist');
  const rules = (await client.DescribeLiveCallbackRules()).Rules ?? [];
  assert.deepEqual(
    rules.filter((r) => r.AppName === 'rules').map((r) => r.TemplateId),
    [bare],
    'the first rule is kept, not replaced',
  );
});

test('ForbidLiveStream holds on the StreamName under every AppName; AudioFps of AAC 44.1 kHz is 43', async () => {
  const ff = publish(svc.urls('named', { app: 'other' }).push.rtmp);
  running.push(ff);
  await waitFor(
    'other/named live',
    async () =>
      (await client.DescribeLiveStreamState({ DomainName: domain, AppName: 'other', StreamName: 'named' }))
        .StreamState === 'active',
  );
  await waitFor('push info has audio', async () => {
    const info = await client.DescribeLiveStreamPushInfoList({}).catch(() => undefined);
    return (info?.DataInfoList?.[0]?.AsampleRate ?? 0) > 0;
  });
  const info = (await client.DescribeLiveStreamPushInfoList({})).DataInfoList?.[0];
  assert.equal(info?.AudioFps, 43, 'AAC frames per second: 44100 / 1024');

  // Forbidden under AppName live: the publisher under AppName other is dropped, and may not come back.
  await client.ForbidLiveStream({ DomainName: domain, AppName: 'live', StreamName: 'named' });
  assert.notEqual(await ff.exited, 0, 'the live publisher under another AppName is dropped');
  assert.equal(
    (await client.DescribeLiveStreamState({ DomainName: domain, AppName: 'other', StreamName: 'named' })).StreamState,
    'forbid',
  );
  const refused = publish(svc.urls('named', { app: 'third' }).push.rtmp, { seconds: 10 });
  running.push(refused);
  assert.notEqual(await refused.exited, 0);
  assert.match(refused.stderr(), /18\/305/);

  // ResumeLiveStream is keyed the same way: resuming under any AppName lifts it.
  await client.ResumeLiveStream({ DomainName: domain, AppName: 'third', StreamName: 'named' });
  assert.equal(
    (await client.DescribeLiveStreamState({ DomainName: domain, AppName: 'live', StreamName: 'named' })).StreamState,
    'inactive',
  );
});
