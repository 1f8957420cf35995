/**
 * Stream management through Tencent's own Node.js SDK against a running openlive: ffmpeg publishes,
 * the stream is listed online with its push info, dropped, forbidden (the publisher goes, the forbid
 * list shows it, a new publish is refused with 18/305), resumed and published again; the event list
 * tells the whole story; errors arrive as the SDK's exception with Tencent's code.
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
const startedAt = new Date(Date.now() - 60_000);
const running: FfmpegProcess[] = [];

before(async () => {
  svc = await startService();
  const key = svc.service.createdCredential;
  assert.ok(key, 'the first start creates an API key pair');
  client = liveClient(svc.apiEndpoint, key, { reqTimeout: 15 });
  domain = svc.service.defaults.push!.name;
});

after(async () => {
  await Promise.all(running.map((ff) => ff.stop()));
  await svc.close();
  client.close();
});

/** UTC to the second, as Tencent's time parameters are written. */
const utc = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
const cam = { DomainName: '', AppName: 'live', StreamName: 'cam' };
const camOn = (): typeof cam => ({ ...cam, DomainName: domain });

/** Starts ffmpeg on the banner's signed URL for live/cam and waits until the API lists it online. */
async function publishCam(): Promise<FfmpegProcess> {
  const ff = publish(svc.urls('cam').push.rtmp);
  running.push(ff);
  await waitFor('live/cam online', async () => {
    const online = await client.DescribeLiveStreamOnlineList({ DomainName: domain, StreamName: 'cam' });
    return online.TotalNum === 1;
  });
  return ff;
}

test('a publish from ffmpeg is online, active, and its push info shows what ffmpeg sends', async () => {
  await publishCam();
  const online = await client.DescribeLiveStreamOnlineList({ PageNum: 1, PageSize: 10 });
  assert.equal(online.TotalNum, 1);
  const [entry] = online.OnlineInfo ?? [];
  assert.deepEqual(
    { ...entry, PublishTimeList: undefined },
    { StreamName: 'cam', AppName: 'live', DomainName: domain, PublishTimeList: undefined, PushToDelay: 0 },
  );
  assert.match(entry?.PublishTimeList?.[0]?.PublishTime ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  assert.match(online.RequestId ?? '', /\S/);
  assert.deepEqual((await client.DescribeLiveStreamState(camOn())).StreamState, 'active');

  // The rates are measured over 5 s windows: wait for the first one.
  let info: Record<string, any> = {};
  await waitFor('a measured push rate', async () => {
    info =
      (await client.DescribeLiveStreamPushInfoList({ PushDomain: domain, AppName: 'live' })).DataInfoList?.[0] ?? {};
    return info.VideoFps > 0;
  });
  assert.ok(info.VideoFps >= 10 && info.VideoFps <= 40, `VideoFps ${info.VideoFps} for ffmpeg's 25 fps`);
  assert.ok(info.VideoSpeed > 10_000, `VideoSpeed ${info.VideoSpeed} bps`);
  assert.ok(info.AudioSpeed > 20_000 && info.AudioSpeed < 200_000, `AudioSpeed ${info.AudioSpeed} bps for 64k AAC`);
  assert.deepEqual(
    [
      info.StreamName,
      info.PushDomain,
      info.Vcodec,
      info.Acodec,
      info.Resolution,
      info.AsampleRate,
      info.ClientIp,
      info.ServerIp,
      info.MetaFps,
    ],
    ['cam', domain, 'H264', 'AAC', '320*240', 44100, '127.0.0.1', '127.0.0.1', 25],
  );
  assert.match(info.BeginPushTime, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
});

test('DropLiveStream disconnects ffmpeg; dropping the inactive stream again still succeeds', async () => {
  const ff = running.at(-1)!;
  const dropped = await client.DropLiveStream(camOn());
  assert.match(dropped.RequestId ?? '', /\S/);
  assert.notEqual(await ff.exited, 0, 'ffmpeg loses its connection');
  await waitFor(
    'live/cam inactive',
    async () => (await client.DescribeLiveStreamState(camOn())).StreamState === 'inactive',
  );
  await client.DropLiveStream(camOn());
  assert.equal((await client.DescribeLiveStreamOnlineList({})).TotalNum, 0);
});

test('ForbidLiveStream drops the live publisher, lists the forbid, and refuses the next publish with 18/305', async () => {
  const ff = await publishCam();
  await client.ForbidLiveStream({ ...camOn(), Reason: 'e2e: off-topic' });
  assert.notEqual(await ff.exited, 0, 'the forbidden publisher is dropped at once');
  assert.equal((await client.DescribeLiveStreamState(camOn())).StreamState, 'forbid');
  // DescribeLiveForbidStreamList has no typed method in SDK 4.1.313; the generic request reaches it.
  const list = await client.request('DescribeLiveForbidStreamList', { PageNum: 1, PageSize: 10 });
  assert.equal(list.TotalNum, 1);
  const entry = list.ForbidStreamList[0];
  assert.deepEqual([entry.StreamName, entry.AppName, entry.DomainName], ['cam', 'live', domain]);
  const days = (Date.parse(entry.ExpireTime) - Date.parse(entry.CreateTime)) / 86_400_000;
  assert.equal(days, 7, `the default forbid lasts 7 days (${entry.CreateTime} to ${entry.ExpireTime})`);
  assert.match(entry.ExpireTime, /\+08:00$/, 'Beijing time, with its offset');

  const refused = publish(svc.urls('cam').push.rtmp, { seconds: 10 });
  running.push(refused);
  assert.notEqual(await refused.exited, 0);
  assert.match(refused.stderr(), /Server error: 18\/305: /);
});

test('ResumeLiveStream lifts the forbid and ffmpeg publishes again', async () => {
  await client.ResumeLiveStream(camOn());
  assert.equal((await client.DescribeLiveStreamState(camOn())).StreamState, 'inactive');
  assert.equal((await client.request('DescribeLiveForbidStreamList', {})).TotalNum, 0);
  const ff = await publishCam();
  await ff.stop();
  await waitFor(
    'live/cam ended',
    async () => (await client.DescribeLiveStreamState(camOn())).StreamState === 'inactive',
  );
});

test('the event list tells the story: drop, forbid, the refused publish, the last publish; IsFilter=1 hides the refusal', async () => {
  // EndTime is exclusive and to the second: a little ahead, so the last session (started this second) is inside.
  const window = { StartTime: utc(startedAt), EndTime: utc(new Date(Date.now() + 2000)) };
  const events = await client.DescribeLiveStreamEventList({
    ...window,
    DomainName: domain,
    StreamName: 'cam',
    IsAsc: 1,
    PageSize: 100,
  });
  const list = events.EventList ?? [];
  assert.deepEqual(
    list.map((e) => e.StopReason?.split(':')[0]),
    ['21/100', '21/101', '18/305', '1/0'],
  );
  const first: Record<string, any> = list[0] ?? {};
  assert.equal(first.StopReason, '21/100: the operator dropped this stream; reconnecting is allowed');
  assert.deepEqual(
    [first.AppName, first.DomainName, first.ClientIp, first.Resolution],
    ['live', domain, '127.0.0.1', '320*240'],
  );
  assert.ok(first.Duration >= 5, `the first session lasted ${first.Duration} s`);
  assert.ok(Date.parse(first.StreamEndTime) >= Date.parse(first.StreamStartTime));
  assert.match(list[1]?.StopReason ?? '', /^21\/101: the operator forbade this stream until .*: e2e: off-topic$/);

  const ok = await client.DescribeLiveStreamEventList({ ...window, StreamName: 'cam', IsFilter: 1, IsAsc: 1 });
  assert.deepEqual(
    (ok.EventList ?? []).map((e) => e.StopReason?.split(':')[0]),
    ['21/100', '21/101', '1/0'],
  );
  const published = await client.DescribeLiveStreamPublishedList({ ...window, DomainName: domain, StreamName: 'ca' });
  assert.equal(published.TotalNum, 3, 'the published list holds sessions only, found by a fuzzy name');

  const rejected = await client.request('OpenLiveDescribeRejectedPushList', {
    ...window,
    StreamName: 'cam',
    IsStrict: 1,
  });
  assert.equal(rejected.TotalNum, 1);
  assert.deepEqual(
    [rejected.RejectedList[0].BreakCode, rejected.RejectedList[0].ErrorCode],
    ['18/305', 'STREAM_FORBIDDEN'],
  );
  assert.match(rejected.RejectedList[0].Query, /txSecret=\*\*\*/);
  const summary = await client.request('OpenLiveDescribeRejectedPushSummary', window);
  assert.deepEqual(
    summary.ReasonList.map((r: { BreakCode: string; Count: number }) => [r.BreakCode, r.Count]),
    [['18/305', 1]],
  );
});

test("errors surface as the SDK's exception with Tencent's code", async () => {
  // What an untyped caller (or one from another language) may send: the SDK forwards it as is.
  const missing = await sdkError(client.request('DescribeLiveStreamState', { DomainName: domain, AppName: 'live' }));
  assert.equal(missing.code, 'MissingParameter');
  assert.match(missing.message, /StreamName/);
  assert.match(missing.requestId, /\S/);
  assert.equal(
    (await sdkError(client.DropLiveStream({ ...cam, DomainName: 'nowhere.example.com' }))).code,
    'ResourceNotFound.DomainNotExist',
  );
  assert.equal((await sdkError(client.DescribeLiveStreamPushInfoList({}))).code, 'FailedOperation.HasNotLivingStream');
  const late = await sdkError(
    client.ForbidLiveStream({ ...camOn(), ResumeTime: utc(new Date(Date.now() + 91 * 86_400_000)) }),
  );
  assert.deepEqual([late.code, /ResumeTime/.test(late.message)], ['InvalidParameterValue', true]);
  const span = await sdkError(
    client.DescribeLiveStreamEventList({ StartTime: '2026-01-01T00:00:00Z', EndTime: '2026-03-01T00:00:00Z' }),
  );
  assert.equal(span.code, 'InvalidParameterValue');
});
