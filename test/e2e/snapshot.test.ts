/**
 * Snapshots end to end (docs/recording.md "Snapshots") against a real server process: Tencent's Node SDK
 * creates a callback template, a snapshot template and rule, and a screenshot task with a scaling template;
 * ffmpeg publishes 640x360; a loopback receiver gets type-200 callbacks whose pic_full_url downloads a JPEG
 * whose SOF marker says 640x360 (320x180 for the task's template); the OpenLive list finds them by stream and
 * time; names from URLs are refused. A second server with an ffmpeg that hangs kills it at the timeout and
 * never runs more than snapshot.maxConcurrent of them, while its stream plays on.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { probe, publish } from '../support/ffmpeg.ts';
import { liveClient, type LiveClient, serverClient } from '../support/api-client.ts';
import { CallbackReceiver } from '../support/record-receiver.ts';
import { waitFor } from '../support/wait.ts';
import { jpegSize } from '../../src/servers/snapshot/jpeg-size.ts';

let server: ServerProcess;
let client: LiveClient & { close(): void };
let rx: CallbackReceiver;
let domain: string;
const work = mkdtempSync(join(tmpdir(), 'snap-e2e-'));

before(async () => {
  rx = await new CallbackReceiver().listen();
  server = await startServerProcess(['--snapshot.taskCheckIntervalMs', '300']);
  ({ client, domain } = await serverClient(server));
});

after(async () => {
  client?.close();
  await server?.stop();
  await rx?.close();
  rmSync(work, { recursive: true, force: true });
});

test('SDK template, rule and task; ffmpeg publishes; type-200 callbacks download JPEGs of the stream size', async () => {
  const { TemplateId: cb } = await client.CreateLiveCallbackTemplate({
    TemplateName: 'snap',
    SnapshotNotifyUrl: rx.url('/snap'),
    CallbackKey: 'k3y',
  });
  await client.CreateLiveCallbackRule({ DomainName: domain, AppName: 'live', TemplateId: cb! });
  const { TemplateId } = await client.CreateLiveSnapshotTemplate({
    TemplateName: 'e2e-截图',
    SnapshotInterval: 2,
    CosAppId: 1,
    CosBucket: 'b',
    CosRegion: 'ap-guangzhou',
  });
  assert.equal(typeof TemplateId, 'number');
  const { TemplateId: small } = await client.CreateLiveSnapshotTemplate({
    TemplateName: 'small',
    SnapshotInterval: 2,
    Width: 320,
    CosAppId: 1,
    CosBucket: 'b',
    CosRegion: 'r',
  });
  await client.ModifyLiveSnapshotTemplate({
    TemplateId: small!,
    Description: 'scaled',
    CosAppId: 1,
    CosBucket: 'b',
    CosRegion: 'r',
  });
  const tpl = await client.DescribeLiveSnapshotTemplate({ TemplateId: small! });
  assert.deepEqual(
    [tpl.Template?.Width, tpl.Template?.Height, tpl.Template?.SnapshotInterval, tpl.Template?.Description],
    [320, 0, 2, 'scaled'],
  );
  assert.equal((await client.DescribeLiveSnapshotTemplates()).Templates?.length, 2);
  await client.CreateLiveSnapshotRule({ DomainName: domain, AppName: 'live', TemplateId: TemplateId! });
  const rules = await client.DescribeLiveSnapshotRules();
  assert.deepEqual(
    rules.Rules?.map((r) => [r.DomainName, r.AppName, r.StreamName, r.TemplateId]),
    [[domain, 'live', '', TemplateId]],
  );
  const now = Math.floor(Date.now() / 1000);
  const { TaskId } = await client.CreateScreenshotTask({
    DomainName: domain,
    AppName: 'live',
    StreamName: 'demo',
    TemplateId: small!,
    EndTime: now + 600,
  });
  assert.match(TaskId!, /^[0-9a-f]{32}$/);
  const tasks = await client.DescribeScreenshotTask({ StartTime: now - 60, EndTime: now + 60 });
  assert.deepEqual(
    tasks.TaskList?.map((t) => [t.TaskId, t.StreamName, t.Stopped]),
    [[TaskId, 'demo', 0]],
  );

  const ff = publish(server.pushUrl, { seconds: 7, gop: 25, size: '640x360' });
  assert.equal(await ff.exited, 0, ff.stderr());
  await waitFor(
    'snapshot callbacks of both templates',
    () =>
      rx.bodies('/snap').filter((b) => b.task_id === TaskId).length >= 2 &&
      rx.bodies('/snap').filter((b) => b.task_id === '').length >= 2,
    30_000,
  );
  const bodies = rx.bodies('/snap');
  for (const b of bodies) {
    assert.equal(b.event_type, 200);
    assert.equal(b.app, domain);
    assert.equal(b.appname, 'live');
    assert.equal(b.stream_id, 'demo');
    assert.equal(b.channel_id, 'demo');
    assert.match(b.sign, /^[0-9a-f]{32}$/);
    assert.ok(b.file_size > 0);
    assert.ok(b.create_time > 0);
    const res = await fetch(b.pic_full_url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    const jpeg = Buffer.from(await res.arrayBuffer());
    assert.equal(jpeg.length, b.file_size);
    const size = jpegSize(jpeg);
    const expected = b.task_id === TaskId ? { width: 320, height: 180 } : { width: 640, height: 360 };
    assert.deepEqual(size, expected, `picture ${b.file_id} (task ${b.task_id || 'rule'})`);
    assert.deepEqual([b.width, b.height], [expected.width, expected.height]);
    assert.ok(String(b.pic_full_url).endsWith(b.pic_url));
  }
  // ffmpeg itself reads the picture as a JPEG of that size.
  writeFileSync(join(work, 'a.jpg'), Buffer.from(await (await fetch(bodies[0]!.pic_full_url)).arrayBuffer()));
  const probed = execFileSync(
    'ffprobe',
    ['-v', 'error', '-of', 'csv=p=0', '-show_entries', 'stream=codec_name,width,height', join(work, 'a.jpg')],
    { encoding: 'utf8' },
  );
  assert.match(probed.trim(), /^mjpeg,\d+,\d+$/);

  // The OpenLive list: by stream and time, newest first with IsDesc.
  const from = new Date((now - 60) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const list = await client.request('OpenLiveDescribeSnapshotFiles', {
    StreamName: 'demo',
    StartTime: from,
    IsDesc: 1,
    PageSize: 100,
  });
  const files = list.SnapshotFileList as { FileId: string; PicUrl: string; Width: number; CreateTime: string }[];
  assert.equal(list.TotalNum, bodies.length);
  assert.ok(files[0]!.CreateTime >= files.at(-1)!.CreateTime);
  assert.ok(files.some((f) => f.PicUrl === bodies[0]!.pic_full_url));
  const none = await client.request('OpenLiveDescribeSnapshotFiles', { StreamName: 'other' });
  assert.equal(none.TotalNum, 0);

  // Deleting a picture removes it from the list and its URL.
  const gone = files[0]!;
  await client.request('OpenLiveDeleteSnapshotFile', { FileId: gone.FileId });
  assert.equal((await fetch(gone.PicUrl)).status, 404);

  await client.StopScreenshotTask({ TaskId: TaskId! });
  const stopped = await client.DescribeScreenshotTask({ StartTime: now - 60, EndTime: now + 60 });
  assert.ok((stopped.TaskList?.[0]?.Stopped ?? 0) > 0);
  await client.DeleteScreenshotTask({ TaskId: TaskId! });
  await client.DeleteLiveSnapshotRule({ DomainName: domain, AppName: 'live' });
  await client.DeleteLiveSnapshotTemplate({ TemplateId: small! });
});

test('names from snapshot URLs are never paths: traversal, other names and bad ids are 404', async () => {
  const base = `http://127.0.0.1:${server.httpPort}/snapshot/files`;
  const list = await client.request('OpenLiveDescribeSnapshotFiles', { PageSize: 1 });
  const f = (list.SnapshotFileList as { FileId: string }[])[0]!;
  for (const path of [
    `${f.FileId}/..%2F..%2F..%2Fetc%2Fpasswd`,
    `${f.FileId}/x.jpg`,
    '..%2F1/a.jpg',
    'abc/a.jpg',
    '99999999/a.jpg',
    `${f.FileId}/%2E%2E`,
  ]) {
    const res = await fetch(`${base}/${path}`);
    assert.equal(res.status, 404, path);
    const body = await res.text();
    if (res.headers.get('content-type')?.includes('json')) assert.match(body, /NOT_FOUND/, path);
  }
  const res = await client.request('OpenLiveDeleteSnapshotFile', { FileId: '../1' }).catch((e: Error) => e);
  assert.ok(res instanceof Error);
});

test('an ffmpeg that hangs is killed at snapshot.timeoutMs, never more than maxConcurrent run, the stream plays on', async () => {
  const fake = join(work, 'hang-ffmpeg');
  writeFileSync(fake, '#!/bin/sh\nexec sleep 60\n');
  chmodSync(fake, 0o755);
  const hung = await startServerProcess([
    '--snapshot.ffmpegPath',
    fake,
    '--snapshot.timeoutMs',
    '800',
    '--snapshot.maxConcurrent',
    '1',
  ]);
  const api = liveClient(
    `127.0.0.1:${hung.apiPort}`,
    { secretId: hung.secretId!, secretKey: hung.secretKey! },
    { reqTimeout: 15 },
  );
  try {
    const d = (await api.DescribeLiveDomains({})).DomainList!.find((x) => x.Type === 0)!.Name!;
    // Two templates on one stream: two pictures due at once, one decoder slot.
    for (const name of ['a', 'b']) {
      const { TemplateId } = await api.CreateLiveSnapshotTemplate({
        TemplateName: name,
        SnapshotInterval: 2,
        CosAppId: 1,
        CosBucket: 'b',
        CosRegion: 'r',
      });
      await api.CreateLiveSnapshotRule({
        DomainName: d,
        AppName: 'live',
        StreamName: name === 'a' ? 'demo' : '',
        TemplateId: TemplateId!,
      });
      if (name === 'b')
        await api.CreateScreenshotTask({
          DomainName: d,
          AppName: 'live',
          StreamName: 'demo',
          TemplateId: TemplateId!,
          EndTime: Math.floor(Date.now() / 1000) + 600,
        });
    }
    const ff = publish(hung.pushUrl, { seconds: 8, gop: 25 });
    let most = 0;
    const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${hung.httpPort}/metrics`)).text();
    const count = (text: string, code: string): number =>
      Number(new RegExp(`openlive_connection_errors_total\\{code="${code}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
    await waitFor(
      'a snapshot timed out',
      async () => {
        most = Math.max(most, children(hung.child.pid!, fake));
        return count(await metrics(), 'SNAPSHOT_TIMEOUT') >= 2;
      },
      30_000,
    );
    // The stream still plays while snapshots fail.
    const p = await probe(`http://127.0.0.1:${hung.httpPort}/live/demo.flv`, 1);
    assert.ok(p.streams.some((s) => s.codec_type === 'video'));
    await ff.exited;
    const text = await metrics();
    assert.ok(count(text, 'SNAPSHOT_BUSY') >= 1, 'the second picture due found the slot taken');
    assert.ok(
      most >= 1 && most <= 1,
      `one hung ffmpeg ran at a time, never more (snapshot.maxConcurrent 1; saw ${most})`,
    );
    await waitFor('the hung ffmpegs are gone', () => children(hung.child.pid!, fake) === 0, 10_000);
  } finally {
    api.close();
    await hung.stop();
  }
});

/** The fake ffmpeg processes below `pid` (the shell exec'd into sleep keeps its command line's script name out). */
function children(pid: number, fake: string): number {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((l) => {
    const [, ppid, ...args] = l.trim().split(/\s+/);
    return Number(ppid) === pid && (args.join(' ').includes(fake) || args.join(' ').startsWith('sleep 60'));
  }).length;
}
