/**
 * Issue 15's actions through the real `tencentcloud-sdk-nodejs`, signed each way a back end can sign: TC3 over
 * POST (JSON), TC3 over GET (`reqMethod: "GET"`, the query) and the legacy HmacSHA256 signature
 * (`signMethod`, a form POST and a GET). One real server process (`node src/main.ts`) with ffmpeg publishing
 * and RTMP, HTTP-FLV, WS-FLV, SRT (ffmpeg, `m=request`) and HLS players; every answer is checked field by field against the SDK's own
 * response model (live_models.d.ts), and its values against what the test did.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Agent } from 'node:http';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { publish, run, type FfmpegProcess } from '../support/ffmpeg.ts';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { retryReplays, sdkError, type LiveClient } from '../support/api-client.ts';
import { ScriptedRtmp } from '../support/scripted-rtmp.ts';
import { modelMismatches } from '../support/sdk-model.ts';
import { waitFor } from '../support/wait.ts';

const require = createRequire(import.meta.url);
const sdk = require('tencentcloud-sdk-nodejs') as { live: { v20180801: { Client: typeof LiveClient } } };

type Scheme = { name: string; reqMethod: 'POST' | 'GET'; signMethod?: 'HmacSHA256' };
const schemes: Scheme[] = [
  { name: 'POST/TC3', reqMethod: 'POST' },
  { name: 'GET/TC3', reqMethod: 'GET' },
  { name: 'POST/HmacSHA256', reqMethod: 'POST', signMethod: 'HmacSHA256' },
  { name: 'GET/HmacSHA256', reqMethod: 'GET', signMethod: 'HmacSHA256' },
];

/**
 * Fields openlive leaves out on purpose (docs/api.md): Tencent documents each as "may return null".
 * Anything else the SDK declares must be in the answer.
 */
const mayBeNull = new Set<string>([]);

let server: ServerProcess;
let ff: FfmpegProcess;
let srtPlayer: FfmpegProcess | undefined;
let rtmp: ScriptedRtmp;
let ws: WebSocket;
const agents: Agent[] = [];
let stopPlayers = false;
let flvDone: Promise<void> = Promise.resolve();
let hlsDone: Promise<void> = Promise.resolve();
const startedAt = Date.now();

const utc = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const beijingDay = (ms: number): string => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);

function client(s: Scheme): LiveClient {
  const agent = new Agent({ keepAlive: true });
  agents.push(agent);
  return retryReplays(
    new sdk.live.v20180801.Client({
      credential: { secretId: server.secretId!, secretKey: server.secretKey! },
      region: 'ap-guangzhou',
      profile: {
        ...(s.signMethod && { signMethod: s.signMethod }),
        httpProfile: {
          endpoint: `127.0.0.1:${server.apiPort}`,
          protocol: 'http://',
          reqMethod: s.reqMethod,
          reqTimeout: 30,
          agent,
        },
      },
    }),
  );
}

/** Asserts `answer` carries every field of the SDK's `${action}Response` model, with the declared types. */
function assertModel(action: string, answer: unknown): void {
  assert.deepEqual(modelMismatches(answer, `${action}Response`, mayBeNull), [], `${action} against the SDK model`);
}

before(async () => {
  // Four schemes' worth of calls in a few seconds: above the default 20 per second per SecretId and 50 per address.
  const udp = createSocket('udp4').bind(0, '127.0.0.1');
  await once(udp, 'listening');
  const srtPort = udp.address().port;
  await new Promise<void>((r) => udp.close(() => r()));
  server = await startServerProcess([
    ...['--stats.sampleIntervalMs', '300', '--api.rateLimitPerSecond', '0', '--api.rateLimitPerIpPerSecond', '0'],
    ...['--srt.enabled', 'true', '--srt.host', '127.0.0.1', '--srt.port', String(srtPort)],
  ]);
  ff = publish(server.pushUrl);
  const play = (ext: string) => `http://127.0.0.1:${server.httpPort}/live/demo${ext}`;
  await waitFor('the FLV stream', async () => (await fetch(play('.flv'), { method: 'HEAD' })).ok, 30_000);
  rtmp = await ScriptedRtmp.open(`rtmp://127.0.0.1:${server.rtmpPort}/live/demo`);
  rtmp.play(await rtmp.createStream(), 'demo');
  flvDone = (async () => {
    const res = await fetch(play('.flv'));
    for await (const _ of res.body as unknown as AsyncIterable<Uint8Array>) if (stopPlayers) break;
  })().catch(() => {});
  ws = new WebSocket(play('.flv').replace(/^http/, 'ws'));
  srtPlayer = run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-i'],
    `srt://127.0.0.1:${srtPort}?streamid=#!::r=live/demo,m=request&latency=200000`,
    ...['-f', 'null', '-'],
  ]);
  ws.binaryType = 'arraybuffer';
  hlsDone = (async () => {
    const url = `${play('.m3u8')}?olsid=schemes`;
    const seen = new Set<string>();
    while (!stopPlayers) {
      const text = await (await fetch(url)).text();
      for (const line of text.split('\n')) {
        if (!line || line.startsWith('#') || seen.has(line)) continue;
        seen.add(line);
        await (await fetch(new URL(line, url))).arrayBuffer();
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  })().catch(() => {});
  const c = client(schemes[0]!);
  await waitFor(
    'RTMP, three FLV (HTTP, WS and SRT: the shared FLV tags) and one HLS viewer',
    async () => {
      const all = await c.DescribeAllStreamPlayInfoList({ QueryTime: utc(Date.now()) });
      const online = Object.fromEntries(
        (all.DataInfoList ?? []).filter((d) => d.StreamName === 'demo').map((d) => [d.Protocol, d.Online]),
      );
      return online.Rtmp === 1 && online.Flv === 3 && online.Hls === 1;
    },
    60_000,
  );
  // The publisher's rates are measured over its first seconds.
  await waitFor(
    'the push rates',
    async () => ((await c.DescribeLiveStreamPushInfoList({})).DataInfoList?.[0]?.VideoFps ?? 0) > 0,
    60_000,
  );
});

after(async () => {
  stopPlayers = true;
  ws?.close();
  await srtPlayer?.stop();
  await rtmp?.end();
  await ff?.stop();
  await Promise.all([flvDone, hlsDone]);
  for (const a of agents) a.destroy();
  await server?.stop();
});

for (const [i, s] of schemes.entries()) {
  test(`${s.name}: the ten statistics actions answer the SDK's models with the players' figures`, async () => {
    const c = client(s);
    const window = { StartTime: utc(startedAt - 120_000), EndTime: utc(Date.now()) };

    const push = await c.DescribeStreamPushInfoList({ ...window, StreamName: 'demo' });
    assertModel('DescribeStreamPushInfoList', push);
    const q = push.DataInfoList?.find((d) => (d.VideoFps ?? 0) > 0);
    assert.ok(q && (q.VideoRate ?? 0) > 0, JSON.stringify(push.DataInfoList));
    assert.equal(q.AppName, 'live');
    assert.equal(q.Resolution, '320*240');

    const plays = await c.DescribeStreamPlayInfoList({ ...window, StreamName: 'demo' });
    assertModel('DescribeStreamPlayInfoList', plays);
    assert.ok(
      (plays.DataInfoList ?? []).some((d) => d.Online === 5),
      `five viewers: ${JSON.stringify(plays.DataInfoList)}`,
    );
    assert.ok((plays.DataInfoList ?? []).reduce((n, d) => n + (d.Flux ?? 0), 0) > 0);

    const all = await c.DescribeAllStreamPlayInfoList({ QueryTime: utc(Date.now()) });
    assertModel('DescribeAllStreamPlayInfoList', all);
    assert.ok((all.DataInfoList ?? []).some((d) => d.StreamName === 'demo' && d.Protocol === 'Rtmp'));

    const day = await c.DescribeStreamDayPlayInfoList({ DayTime: beijingDay(Date.now()) });
    assertModel('DescribeStreamDayPlayInfoList', day);
    assert.ok((day.DataInfoList ?? []).some((d) => d.StreamName === 'demo' && (d.TotalFlux ?? 0) > 0));

    const domain = await c.DescribeLiveDomainPlayInfoList({});
    assertModel('DescribeLiveDomainPlayInfoList', domain);
    assert.ok((domain.TotalOnline ?? 0) >= 5, `TotalOnline ${domain.TotalOnline}`);

    const bill = await c.DescribeBillBandwidthAndFluxList({ ...window, Granularity: 5 });
    assertModel('DescribeBillBandwidthAndFluxList', bill);
    assert.ok((bill.SumFlux ?? 0) > 0 && (bill.PeakBandwidth ?? 0) > 0);
    const pushBill = await c.DescribePushBandwidthAndFluxList({ ...window });
    assertModel('DescribePushBandwidthAndFluxList', pushBill);
    assert.ok((pushBill.SumFlux ?? 0) > 0);

    const ips = await c.DescribeTopClientIpSumInfoList({ ...window });
    assertModel('DescribeTopClientIpSumInfoList', ips);
    const local = ips.DataInfoList?.find((d) => d.ClientIp === '127.0.0.1');
    assert.ok(
      (local?.TotalRequest ?? 0) >= 5,
      `RTMP, HTTP-FLV, WS-FLV, SRT and HLS plays from 127.0.0.1: ${JSON.stringify(local)}`,
    );
    assert.ok((local?.TotalFlux ?? 0) > 0);

    const top = await c.DescribeVisitTopSumInfoList({ ...window, TopIndex: 'StreamId' });
    assertModel('DescribeVisitTopSumInfoList', top);
    assert.equal(top.DataInfoList?.[0]?.Name, 'demo');

    const rec = await c.DescribeConcurrentRecordStreamNum({ ...window, LiveType: 'NormalLive' });
    assertModel('DescribeConcurrentRecordStreamNum', rec);
    assert.ok((rec.DataInfoList ?? []).length > 0);
    assert.ok(i >= 0);
  });

  test(`${s.name}: referer, play domain and domain owner actions`, async () => {
    const c = client(s);
    const DomainName = 'play.localhost';
    const Rules = `a${i}.example.com;*.b${i}.example.com`;
    const modified = await c.ModifyLiveDomainReferer({ DomainName, Enable: 0, Type: 1, AllowEmpty: 1, Rules });
    assertModel('ModifyLiveDomainReferer', modified);
    const referer = await c.DescribeLiveDomainReferer({ DomainName });
    assertModel('DescribeLiveDomainReferer', referer);
    assert.deepEqual(referer.RefererAuthConfig, { DomainName, Enable: 0, Type: 1, AllowEmpty: 1, Rules });

    const playType = (i % 3) + 1;
    assertModel('ModifyLivePlayDomain', await c.ModifyLivePlayDomain({ DomainName, PlayType: playType }));
    const { DomainInfo } = await c.DescribeLiveDomain({ DomainName });
    assert.equal(DomainInfo?.PlayType, playType);

    const owner = await c.AuthenticateDomainOwner({ DomainName: `live${i}.openlive.invalid`, VerifyType: 'dnsCheck' });
    assertModel('AuthenticateDomainOwner', owner);
    assert.equal(owner.MainDomain, 'openlive.invalid');
    assert.equal(owner.Status, -1, 'no TXT record: not verified');
    assert.match(owner.Content ?? '', /^[0-9a-f]{32}$/);
    const unsupported = await sdkError(
      c.AuthenticateDomainOwner({ DomainName: 'openlive.invalid', VerifyType: 'nope' }),
    );
    assert.equal(unsupported.code, 'InvalidParameterValue');
  });

  test(`${s.name}: online list, push info, forbid and the event list`, async () => {
    const c = client(s);
    const online = await c.DescribeLiveStreamOnlineList({ PageNum: 1, PageSize: 300_000 });
    assertModel('DescribeLiveStreamOnlineList', online);
    assert.equal(online.PageSize, 300_000, 'Tencent takes up to 300000 in one page');
    assert.deepEqual(
      online.OnlineInfo?.map((o) => [o.AppName, o.StreamName]),
      [['live', 'demo']],
    );

    const pushInfo = await c.DescribeLiveStreamPushInfoList({ PageNum: 1, PageSize: 100_000 });
    assertModel('DescribeLiveStreamPushInfoList', pushInfo);
    const p = pushInfo.DataInfoList?.[0];
    assert.equal(p?.StreamName, 'demo');
    assert.equal(p?.ClientIp, '127.0.0.1');
    assert.ok((p?.VideoFps ?? 0) > 0);

    const StreamName = `banned${i}`;
    const forbid = await c.ForbidLiveStream({
      DomainName: 'push.localhost',
      AppName: 'live',
      StreamName,
      Reason: `scheme ${s.name}`,
    });
    assertModel('ForbidLiveStream', forbid);
    // Not in this SDK's typed client any more; its generic request signs it the same way.
    const forbidden = (await c.request('DescribeLiveForbidStreamList', { PageNum: 1, PageSize: 100 })) as {
      ForbidStreamList?: { StreamName?: string; Reason?: string }[];
    };
    assert.ok(forbidden.ForbidStreamList?.some((f) => f.StreamName === StreamName && f.Reason === `scheme ${s.name}`));
    assertModel(
      'ResumeLiveStream',
      await c.ResumeLiveStream({ DomainName: 'push.localhost', AppName: 'live', StreamName }),
    );

    const events = await c.DescribeLiveStreamEventList({
      StartTime: utc(startedAt - 120_000),
      EndTime: utc(Date.now()),
      IsAsc: 1,
    });
    assertModel('DescribeLiveStreamEventList', events);
    assert.ok((events.EventList ?? []).length >= 1, 'the push of live/demo');
  });

  test(`${s.name}: callback templates and rules`, async () => {
    const c = client(s);
    // A template with no URL is accepted, as Tencent does.
    const created = await c.CreateLiveCallbackTemplate({ TemplateName: `cb${i}`, Description: `scheme ${s.name}` });
    assertModel('CreateLiveCallbackTemplate', created);
    const TemplateId = created.TemplateId!;
    assert.ok(TemplateId > 0);
    assertModel(
      'ModifyLiveCallbackTemplate',
      await c.ModifyLiveCallbackTemplate({ TemplateId, StreamBeginNotifyUrl: 'http://127.0.0.1:9/begin' }),
    );
    const one = await c.DescribeLiveCallbackTemplate({ TemplateId });
    assertModel('DescribeLiveCallbackTemplate', one);
    assert.equal(one.Template?.StreamBeginNotifyUrl, 'http://127.0.0.1:9/begin');
    const list = await c.DescribeLiveCallbackTemplates();
    assertModel('DescribeLiveCallbackTemplates', list);
    assert.ok(list.Templates?.some((t) => t.TemplateId === TemplateId));

    const rule = { DomainName: 'push.localhost', AppName: `app${i}`, TemplateId };
    assertModel('CreateLiveCallbackRule', await c.CreateLiveCallbackRule(rule));
    assert.equal((await sdkError(c.CreateLiveCallbackRule(rule))).code, 'InternalError.RuleAlreadyExist');
    const rules = await c.DescribeLiveCallbackRules();
    assertModel('DescribeLiveCallbackRules', rules);
    assert.ok(rules.Rules?.some((r) => r.AppName === `app${i}` && r.TemplateId === TemplateId));
    assertModel(
      'DeleteLiveCallbackRule',
      await c.DeleteLiveCallbackRule({ DomainName: rule.DomainName, AppName: rule.AppName }),
    );
    assertModel('DeleteLiveCallbackTemplate', await c.DeleteLiveCallbackTemplate({ TemplateId }));
  });
}
