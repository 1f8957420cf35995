/**
 * Event callbacks end to end: templates and rules made with Tencent's own SDK, ffmpeg (or a scripted
 * encoder) publishing through a real openlive, and a real HTTP receiver on loopback checking what a
 * Tencent receiver checks: the fields, `sign = MD5(key + t)`, one sequence for a push and its
 * interruption, their order, retries after a 500, push errors (321), and delivery after a restart.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startService } from '../support/service.ts';
import { publish } from '../support/ffmpeg.ts';
import { liveClient, type ApiCredential, type LiveClient } from '../support/api-client.ts';
import { ScriptedRtmp } from '../support/scripted-rtmp.ts';
import { waitFor } from '../support/wait.ts';
import { mediaMessage, MediaType } from '../../src/protocol/media.ts';

type Body = Record<string, any>;

/** A callback receiver: records every request and answers what `answer` says (200 by default). */
class Receiver {
  readonly received: Array<{ path: string; raw: string; body: Body; at: number }> = [];
  answer: (path: string, body: Body) => number = () => 200;
  private server: Server | undefined;
  port = 0;

  async listen(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8').on('data', (d: string) => (raw += d));
      req.on('end', () => {
        const body = JSON.parse(raw) as Body;
        this.received.push({ path: req.url ?? '', raw, body, at: Date.now() });
        const status = this.answer(req.url ?? '', body);
        res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '{"code":0}' : '{"code":1}');
      });
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  bodies(path?: string): Body[] {
    return this.received.filter((r) => path === undefined || r.path === path).map((r) => r.body);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const utc = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Creates a template with the receiver's URLs and binds it to the default push domain's `live`, through the SDK. */
async function bindTemplate(client: LiveClient, domain: string, rx: Receiver, key: string): Promise<number> {
  const { TemplateId } = await client.CreateLiveCallbackTemplate({
    TemplateName: 'e2e',
    StreamBeginNotifyUrl: rx.url('/begin'),
    StreamEndNotifyUrl: rx.url('/end'),
    PushExceptionNotifyUrl: rx.url('/error'),
    CallbackKey: key,
  });
  assert.equal(typeof TemplateId, 'number');
  await client.CreateLiveCallbackRule({ DomainName: domain, AppName: 'live', TemplateId: TemplateId! });
  return TemplateId!;
}

async function serviceWithClient(config: Parameters<typeof startService>[0], credential?: ApiCredential) {
  const svc = await startService(config);
  const key = credential ?? svc.service.createdCredential;
  assert.ok(key);
  const client = liveClient(svc.apiEndpoint, key, { reqTimeout: 15 });
  return { svc, client, key, domain: svc.service.defaults.push!.name };
}

test('ffmpeg publishes: the push and its interruption arrive with every field and sign, in order, one sequence; a 500 is retried', async () => {
  const rx = await new Receiver().listen();
  cleanups.push(() => rx.close());
  let begins = 0;
  rx.answer = (path) => (path === '/begin' && ++begins === 1 ? 500 : 200);
  const { svc, client, domain } = await serviceWithClient({
    callbacks: { appId: 1250000001, retryIntervalMs: 500, timeoutMs: 5000 },
  });
  cleanups.push(
    () => svc.close(),
    () => client.close(),
  );
  await bindTemplate(client, domain, rx, 'e2e-key');

  const pushUrl = svc.urls('cb').push.rtmp;
  const before = Math.floor(Date.now() / 1000);
  const ff = publish(pushUrl, { seconds: 3 });
  await ff.exited;
  await waitFor('the interruption callback', () => rx.bodies('/end').length === 1, 20_000);
  const after = Math.ceil(Date.now() / 1000);

  const begin = rx.received.filter((r) => r.path === '/begin');
  assert.equal(begin.length, 2, 'the 500 was retried once');
  assert.equal(begin[0]!.raw, begin[1]!.raw, 'a retry sends the same request');
  assert.ok(begin[1]!.at - begin[0]!.at >= 400, `retried ${begin[1]!.at - begin[0]!.at} ms after the 500`);
  const push = begin[1]!.body;
  const end = rx.bodies('/end')[0]!;
  assert.ok(
    rx.received.findIndex((r) => r.path === '/end') > rx.received.lastIndexOf(begin[1]!),
    'the interruption comes after its push',
  );

  const query = new URL(pushUrl).search.slice(1);
  assert.deepEqual(
    { ...push, event_time: undefined, sequence: undefined, t: undefined, sign: undefined },
    {
      app: domain,
      appid: 1250000001,
      appname: 'live',
      channel_id: 'cb',
      stream_id: 'cb',
      errcode: 0,
      errmsg: 'ok',
      event_time: undefined,
      event_type: 1,
      width: 320,
      height: 240,
      node: '127.0.0.1',
      user_ip: '127.0.0.1',
      stream_param: query,
      sequence: undefined,
      t: undefined,
      sign: undefined,
    },
  );
  assert.match(query, /txSecret=[0-9a-f]{32}&txTime=[0-9A-F]{8}/);
  assert.ok(push.event_time >= before && push.event_time <= after);
  assert.equal(push.t, push.event_time + 600);
  assert.equal(push.sign, md5(`e2e-key${push.t}`));
  assert.match(push.sequence, /^\d{1,19}$/);

  assert.equal(end.event_type, 0);
  assert.equal(end.sequence, push.sequence, 'the push and its interruption share the sequence');
  assert.equal(end.errcode, 1);
  assert.match(end.errmsg, /^1\/0: /);
  const duration = Number(end.push_duration);
  assert.ok(
    typeof end.push_duration === 'string' && duration >= 1500 && duration <= 20_000,
    `push_duration ${end.push_duration}`,
  );
  assert.deepEqual(
    [end.width, end.height, end.stream_param, end.app, end.appname, end.stream_id],
    [320, 240, query, domain, 'live', 'cb'],
  );
  assert.ok(end.event_time >= push.event_time);
  assert.equal(end.t, end.event_time + 600);
  assert.equal(end.sign, md5(`e2e-key${end.t}`));
  // Push errors, if the loaded machine caused any, belong to the same push and sit between the two.
  for (const r of rx.received.filter((x) => x.path === '/error')) {
    assert.equal(r.body.sequence, push.sequence);
    assert.ok(r.at >= begin[1]!.at);
  }

  const records = await client.DescribeCallbackRecordsList({
    StartTime: utc(Date.now() - 3600_000),
    EndTime: utc(Date.now() + 60_000),
    StreamName: 'cb',
    PageNum: 1,
    PageSize: 100,
  });
  const mine = (records.DataInfoList ?? []).filter((r) => r.EventType !== 321).reverse();
  assert.deepEqual(
    mine.map((r) => [r.EventType, r.ResultCode]),
    [
      [1, 500],
      [1, 0],
      [0, 0],
    ],
  );
  assert.equal(mine[1]!.Request, begin[1]!.raw);
  assert.equal(mine[1]!.Response, '{"code":0}');
  assert.equal(mine[2]!.StreamId, 'cb');
});

test('a scripted encoder with broken timestamps and a frame before its header gets push-error (321) callbacks', async () => {
  const rx = await new Receiver().listen();
  cleanups.push(() => rx.close());
  const { svc, client, domain } = await serviceWithClient({
    callbacks: { reportIntervalMs: 300, retryIntervalMs: 500 },
  });
  cleanups.push(
    () => svc.close(),
    () => client.close(),
  );
  await bindTemplate(client, domain, rx, 'k');

  const c = await ScriptedRtmp.open(svc.urls('errs').push.rtmp);
  cleanups.push(() => void c.socket.destroy());
  const streamId = await c.createStream();
  c.publish(streamId, c.url.stream);
  assert.equal(
    (await c.status(streamId, 'NetStream.Publish.Start', { orError: true })).code,
    'NetStream.Publish.Start',
  );
  const video = (ts: number, bytes: number[]) =>
    c.sendMedia(streamId, mediaMessage(MediaType.Video, ts, Buffer.from(bytes)));
  video(0, [0x27, 0x01, 0, 0, 0, 0x41]); // a frame before any AVC header: type 10
  video(0, [0x17, 0x00, 0, 0, 0, 1, 0x42, 0, 0x1e, 0xff, 0xe1, 0, 0]);
  video(40, [0x17, 0x01, 0, 0, 0, 0x65]);
  video(20, [0x27, 0x01, 0, 0, 0, 0x41]); // back: type 1
  video(3000, [0x27, 0x01, 0, 0, 0, 0x41]); // jumped 2980 ms: type 3
  await new Promise((resolve) => setTimeout(resolve, 400));
  video(3040, [0x27, 0x01, 0, 0, 0, 0x41]); // the interval is over: the report goes out while live
  await waitFor('a push-error callback', () => rx.bodies('/error').length >= 1, 10_000);
  c.deleteStream(streamId);
  await waitFor('the interruption', () => rx.bodies('/end').length === 1, 10_000);

  const push = rx.bodies('/begin')[0]!;
  const reports = rx.bodies('/error');
  // A slow machine may split the errors over two intervals: what counts is each type once, in all reports.
  const counts = new Map<number, number>();
  for (const r of reports)
    for (const e of r.abnormal_event as Array<{ type: number; count: number }>)
      counts.set(e.type, (counts.get(e.type) ?? 0) + e.count);
  assert.deepEqual(
    [...counts].sort((a, b) => a[0] - b[0]),
    [
      [1, 1],
      [3, 1],
      [10, 1],
    ],
  );
  const report = reports[0]!;
  assert.deepEqual(
    [
      report.event_type,
      report.sequence,
      report.domain,
      report.path,
      report.stream_id,
      report.interface,
      report.report_interval,
    ],
    [321, push.sequence, domain, 'live', 'errs', 'general_callback', 300],
  );
  assert.equal(report.t, Math.floor(report.data_time / 1000) + 600);
  assert.equal(report.sign, md5(`k${report.t}`));
  assert.equal(rx.bodies('/end')[0]!.sequence, push.sequence);
  assert.deepEqual(
    rx.received.map((r) => r.path).filter((p, i, all) => all.indexOf(p) === i),
    ['/begin', '/error', '/end'],
  );
});

test('an encoder that sets chunk size 16384 gets a push-error (321) callback of type 5', async () => {
  const rx = await new Receiver().listen();
  cleanups.push(() => rx.close());
  const { svc, client, domain } = await serviceWithClient({ callbacks: { retryIntervalMs: 500 } });
  cleanups.push(
    () => svc.close(),
    () => client.close(),
  );
  await bindTemplate(client, domain, rx, 'k');

  const c = await ScriptedRtmp.open(svc.urls('big-chunks').push.rtmp);
  cleanups.push(() => void c.socket.destroy());
  c.session.setChunkSize(16384); // sent with the next command, before the publish as OBS and ffmpeg do
  const streamId = await c.createStream();
  c.publish(streamId, c.url.stream);
  assert.equal(
    (await c.status(streamId, 'NetStream.Publish.Start', { orError: true })).code,
    'NetStream.Publish.Start',
  );
  c.sendMedia(
    streamId,
    mediaMessage(MediaType.Video, 0, Buffer.from([0x17, 0x00, 0, 0, 0, 1, 0x42, 0, 0x1e, 0xff, 0xe1, 0, 0])),
  );
  c.sendMedia(
    streamId,
    mediaMessage(MediaType.Video, 0, Buffer.concat([Buffer.from([0x17, 0x01, 0, 0, 0]), Buffer.alloc(12_000, 0x65)])),
  );
  c.deleteStream(streamId);
  await waitFor('the interruption', () => rx.bodies('/end').length === 1, 10_000);

  const push = rx.bodies('/begin')[0]!;
  const reports = rx.bodies('/error');
  assert.equal(reports.length, 1);
  assert.deepEqual(
    [reports[0]!.event_type, reports[0]!.sequence, reports[0]!.stream_id],
    [321, push.sequence, 'big-chunks'],
  );
  const events = reports[0]!.abnormal_event as Array<{
    type: number;
    count: number;
    event_key: string;
    detail: Array<{ desc: string }>;
  }>;
  assert.deepEqual(
    events.map((e) => [e.type, e.count, e.event_key]),
    [[5, 1, 'chunk_size_too_big']],
  );
  assert.match(events[0]!.detail[0]!.desc, /chunk size=16384/);
});

test('a restart loses no callback: queued while the receiver is down, delivered by the next openlive on the same data', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'openlive-callbacks-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const rx = await new Receiver().listen();
  const port = rx.port;
  await rx.close(); // down: connections are refused
  const config = { dataDir, callbacks: { retryIntervalMs: 1000, timeoutMs: 3000 } };
  const first = await serviceWithClient(config);
  cleanups.push(
    () => first.svc.close(),
    () => first.client.close(),
  );
  await bindTemplate(first.client, first.domain, rx, 'restart-key');
  const ff = publish(first.svc.urls('durable').push.rtmp, { seconds: 2 });
  await ff.exited;
  // The interruption waits behind its push (one sequence, in order), so it is queued but not yet tried.
  await waitFor(
    'the push to have failed and the interruption to be queued',
    async () => {
      const failed = await first.svc.service.store.callbacks.listCallbackAttempts({
        stream: 'durable',
        delivered: false,
      });
      const queued = await first.svc.service.store.callbacks.listCallbackDeliveries(10);
      return failed.total >= 1 && queued.map((q) => q.eventType).join() === '1,0';
    },
    20_000,
  );
  await first.svc.close();

  const up = await new Receiver().listen(port);
  cleanups.push(() => up.close());
  const second = await serviceWithClient(config, first.key);
  cleanups.push(
    () => second.svc.close(),
    () => second.client.close(),
  );
  await waitFor('the queued callbacks to arrive', () => up.bodies('/end').length === 1, 20_000);
  const [push, end] = [up.bodies('/begin'), up.bodies('/end')];
  assert.equal(push.length, 1);
  assert.equal(up.received[0]!.path, '/begin', 'still in order after the restart');
  assert.equal(end[0]!.sequence, push[0]!.sequence);
  assert.equal(push[0]!.sign, md5(`restart-key${push[0]!.t}`));
  assert.equal(end[0]!.stream_id, 'durable');
  const records = await second.client.DescribeCallbackRecordsList({
    StartTime: utc(Date.now() - 3600_000),
    EndTime: utc(Date.now() + 60_000),
    StreamName: 'durable',
    PageNum: 1,
    PageSize: 100,
    ResultCode: 0,
  });
  assert.deepEqual((records.DataInfoList ?? []).map((r) => r.EventType).sort(), [0, 1]);
  const failures = await second.client.DescribeCallbackRecordsList({
    StartTime: utc(Date.now() - 3600_000),
    EndTime: utc(Date.now() + 60_000),
    StreamName: 'durable',
    PageNum: 1,
    PageSize: 100,
    ResultCode: 1,
  });
  assert.ok(
    (failures.DataInfoList ?? []).every(
      (r) => r.EventType === 1 && r.ResultCode === -1 && /ECONNREFUSED/.test(r.Response ?? ''),
    ),
  );
  assert.ok((failures.TotalNum ?? 0) >= 1);
});
