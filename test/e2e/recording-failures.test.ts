/**
 * Recording when things go wrong, against real server processes: a full disk (a 256 KiB tmpfs as
 * `record.dir`) stops the recording with RECORD_DISK_FULL (the file row, the type-100 callback and
 * /metrics say so) while the publisher and an HTTP-FLV viewer carry on; `kill -9` during a recording
 * leaves a playable file, and the next start closes its row as cut (RECORD_CUT).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { probe, publish } from '../support/ffmpeg.ts';
import { liveClient, type LiveClient, serverClient } from '../support/api-client.ts';
import { connectionErrors, metricValue } from '../support/metrics.ts';
import { CallbackReceiver } from '../support/record-receiver.ts';
import { waitFor } from '../support/wait.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A tmpfs of `size` at a fresh folder, or undefined when this machine may not mount one. */
function tinyDisk(size: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'rec-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  cleanups.push(() => {
    spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

async function setUp(
  server: ServerProcess,
  rx: CallbackReceiver,
  flv: Record<string, number>,
): Promise<{ client: LiveClient; domain: string }> {
  const opened = await serverClient(server);
  const client = opened.client;
  cleanups.push(() => client.close());
  const domain = opened.domain;
  const { TemplateId: cb } = await client.CreateLiveCallbackTemplate({
    TemplateName: 'rec',
    RecordNotifyUrl: rx.url('/record'),
  });
  await client.CreateLiveCallbackRule({ DomainName: domain, AppName: 'live', TemplateId: cb! });
  const { TemplateId } = await client.CreateLiveRecordTemplate({
    TemplateName: 'fail',
    FlvParam: { Enable: 1, ...flv },
  });
  await client.CreateLiveRecordRule({ DomainName: domain, AppName: 'live', TemplateId: TemplateId! });
  return { client, domain };
}

const disk = tinyDisk('256k');

test(
  'a full disk stops the recording with RECORD_DISK_FULL; the publisher and a viewer continue',
  { skip: disk ? false : 'cannot mount a tmpfs here' },
  async () => {
    const rx = await new CallbackReceiver().listen();
    cleanups.push(() => rx.close());
    const server = await startServerProcess(['--record.dir', disk!]);
    cleanups.push(() => server.stop());
    const { client } = await setUp(server, rx, { RecordInterval: 3600 });
    // About 1 Mb/s: the 256 KiB disk is full after two seconds or so.
    const ff = publish(server.pushUrl, { seconds: 10, size: '640x360', extraArgs: ['-b:v', '1M'] });
    cleanups.push(() => ff.stop());
    const httpUrl = `http://127.0.0.1:${server.httpPort}`;
    await waitFor(
      'RECORD_DISK_FULL counted',
      async () => (await connectionErrors(httpUrl, 'RECORD_DISK_FULL')) === 1,
      20_000,
    );
    assert.equal(await metricValue(httpUrl, 'openlive_record_active'), 0, 'the failed recording stopped');
    // The recording failed: a viewer joining now still gets the stream, and the publisher is not disturbed.
    const viewed = await probe(`${httpUrl}/live/demo.flv`, 2);
    const video = viewed.streams.find((s) => s.codec_type === 'video');
    assert.ok(Number(video?.nb_read_frames) > 10, `the viewer decoded ${video?.nb_read_frames} frames`);
    assert.equal(await ff.exited, 0, ff.stderr());
    await waitFor('the failed file callback', () => rx.bodies('/record').length === 1, 20_000);
    const [body] = rx.bodies('/record');
    assert.equal(body!.errcode, 1);
    assert.match(body!.errmsg, /^RECORD_DISK_FULL: /);
    const list = await client.request('OpenLiveDescribeRecordFiles', { StreamName: 'demo' });
    assert.equal(list.TotalNum, 1);
    const [file] = list.RecordFileList;
    assert.equal(file.Status, 'failed');
    assert.equal(file.ErrorCode, 'RECORD_DISK_FULL');
    assert.match(file.Reason, /^RECORD_DISK_FULL: the disk is full/);
    assert.ok(file.FileSize > 0 && file.FileSize <= 256 * 1024);
    // What reached the disk plays.
    const head = await probe(file.VideoUrl, 1);
    assert.ok(head.streams.some((s) => s.codec_name === 'h264'));
    assert.equal(await connectionErrors(httpUrl, 'RECORD_DISK_FULL'), 1, 'one failure, not one per message');
  },
);

test('kill -9 during a recording leaves a playable file; the next start closes its record as cut', async () => {
  const rx = await new CallbackReceiver().listen();
  cleanups.push(() => rx.close());
  const dataDir = mkdtempSync(join(tmpdir(), 'rec-crash-'));
  mkdirSync(dataDir, { recursive: true });
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const first = await startServerProcess([], { dataDir });
  const { client } = await setUp(first, rx, { RecordInterval: 3600 });
  const ff = publish(first.pushUrl);
  cleanups.push(() => ff.stop());
  await waitFor('a file being recorded', async () => {
    const list = await client.request('OpenLiveDescribeRecordFiles', { StreamName: 'demo' });
    return list.TotalNum === 1 && list.RecordFileList[0].Status === 'recording';
  });
  await new Promise((r) => setTimeout(r, 4000));
  first.child.kill('SIGKILL');
  await first.stop();
  await ff.stop();
  (client as LiveClient & { close(): void }).close();
  const second = await startServerProcess([], { dataDir });
  cleanups.push(() => second.stop());
  const client2 = liveClient(
    `127.0.0.1:${second.apiPort}`,
    { secretId: first.secretId!, secretKey: first.secretKey! },
    { reqTimeout: 15 },
  );
  cleanups.push(() => client2.close());
  const list = await client2.request('OpenLiveDescribeRecordFiles', { StreamName: 'demo' });
  assert.equal(list.TotalNum, 1);
  const [file] = list.RecordFileList;
  assert.equal(file.Status, 'cut');
  assert.equal(file.ErrorCode, 'RECORD_CUT');
  assert.ok(file.FileSize > 10_000, `${file.FileSize} bytes reached the disk`);
  assert.ok(file.Duration >= 3, `cut after ${file.Duration} s`);
  const played = await probe(file.VideoUrl.replace(/:\d+\//, `:${second.httpPort}/`), 2);
  const video = played.streams.find((s) => s.codec_type === 'video');
  assert.equal(video?.codec_name, 'h264');
  assert.ok(Number(video?.nb_read_frames) > 10);
});
