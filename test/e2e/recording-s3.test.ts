/**
 * `record.storage: s3` against a real S3-compatible server (s3rver, started here): finished MP4 and HLS
 * recordings are uploaded by multipart upload (64 KiB parts, so a file takes several), the local copies go,
 * the type-100 callback comes once the file is in the bucket and its URL still plays (proxied from the
 * bucket with byte ranges); deleting the file deletes its objects. A second server whose bucket is
 * unreachable retries a bounded number of times, counts RECORD_UPLOAD_FAILED, says so in the callback and
 * keeps serving the file from its local disk.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { publish } from '../support/ffmpeg.ts';
import { type LiveClient, serverClient } from '../support/api-client.ts';
import { CallbackReceiver } from '../support/record-receiver.ts';
import { freePort } from '../support/free-port.ts';
import { connectionErrors, metricValue } from '../support/metrics.ts';
import { waitFor } from '../support/wait.ts';

type Client = LiveClient & { close(): void };
const cleanups: Array<() => Promise<unknown> | unknown> = [];
const s3dir = mkdtempSync(join(tmpdir(), 's3rver-'));
let s3port = 0;
let bucket: S3Client;

before(async () => {
  s3port = await freePort();
  const s3 = new S3rver({
    port: s3port,
    address: '127.0.0.1',
    silent: true,
    directory: s3dir,
    configureBuckets: [{ name: 'rec' }],
  });
  await s3.run();
  cleanups.push(() => s3.close());
  bucket = new S3Client({
    endpoint: `http://127.0.0.1:${s3port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  cleanups.push(() => bucket.destroy());
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(s3dir, { recursive: true, force: true });
});

const keys = async (): Promise<string[]> =>
  ((await bucket.send(new ListObjectsV2Command({ Bucket: 'rec' }))).Contents ?? []).map((o) => o.Key!).sort();

function s3flags(port: number, extra: string[] = []): string[] {
  return [
    '--record.storage',
    's3',
    '--record.s3.endpoint',
    `http://127.0.0.1:${port}`,
    '--record.s3.bucket',
    'rec',
    '--record.s3.forcePathStyle',
    'true',
    '--record.s3.accessKeyId',
    'S3RVER',
    '--record.s3.secretAccessKey',
    'S3RVER',
    '--record.s3.prefix',
    'recordings/',
    '--record.s3.partSizeBytes',
    '65536',
    '--record.hlsSegmentMs',
    '2000',
    ...extra,
  ];
}

async function setUp(server: ServerProcess, rx: CallbackReceiver): Promise<Client> {
  const opened = await serverClient(server);
  const client = opened.client as Client;
  cleanups.push(() => client.close());
  const domain = opened.domain;
  const { TemplateId: cb } = await client.CreateLiveCallbackTemplate({
    TemplateName: 'rec',
    RecordNotifyUrl: rx.url('/record'),
  });
  await client.CreateLiveCallbackRule({ DomainName: domain, AppName: 'live', TemplateId: cb! });
  const { TemplateId } = await client.CreateLiveRecordTemplate({
    TemplateName: 's3',
    Mp4Param: { Enable: 1, RecordInterval: 3600 },
    HlsParam: { Enable: 1 },
  });
  await client.CreateLiveRecordRule({ DomainName: domain, AppName: 'live', TemplateId: TemplateId! });
  return client;
}

async function ffprobeDuration(url: string): Promise<{ code: number | null; duration: number; err: string }> {
  const child = spawn('ffprobe', ['-v', 'error', '-of', 'default=nw=1:nk=1', '-show_entries', 'format=duration', url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, duration: Number(out.trim()), err };
}

test('finished files go to the bucket by multipart upload; the callback comes after; the URL plays from the bucket; delete removes the objects', async () => {
  const rx = await new CallbackReceiver().listen();
  cleanups.push(() => rx.close());
  const server = await startServerProcess(s3flags(s3port));
  cleanups.push(() => server.stop());
  const client = await setUp(server, rx);
  const ff = publish(server.pushUrl, { seconds: 6, gop: 25 });
  assert.equal(await ff.exited, 0, ff.stderr());
  await waitFor('2 record callbacks (MP4, HLS)', () => rx.bodies('/record').length >= 2, 30_000);
  const bodies = rx.bodies('/record');
  for (const b of bodies) assert.equal(b.errcode, 0, JSON.stringify(b));
  const all = await keys();
  const mp4 = bodies.find((b) => b.file_format === 'mp4')!;
  const hls = bodies.find((b) => b.file_format === 'hls')!;
  assert.ok(
    all.some((k) => /^recordings\/[^/]+\/live\/demo\/demo_[^/]+\.mp4$/.test(k)),
    all.join(' '),
  );
  assert.ok(all.some((k) => k.endsWith('.m3u8')) && all.filter((k) => k.endsWith('.ts')).length >= 3, all.join(' '));
  assert.ok(mp4.file_size > 3 * 65536, `the MP4 (${mp4.file_size} bytes) took several parts`);
  // The local copies went once they were in the bucket.
  const folder = join(server.dataDir, 'record');
  const files = (await client.request('OpenLiveDescribeRecordFiles', { StreamName: 'demo', PageSize: 100 }))
    .RecordFileList as { FileId: string; Status: string }[];
  assert.equal(files.length, 2);
  await waitFor(
    'the local files to go',
    () => !all.some((k) => existsSync(join(folder, k.replace(/^recordings\//, '')))),
    5000,
  );
  // The URLs play from the bucket, with ranges.
  for (const b of [mp4, hls]) {
    const p = await ffprobeDuration(b.video_url);
    assert.equal(p.code, 0, p.err);
    assert.ok(
      Math.abs(p.duration - b.duration_ms / 1000) <= 0.2,
      `${b.file_format}: ${p.duration} s vs ${b.duration_ms} ms`,
    );
  }
  const ranged = await fetch(mp4.video_url, { headers: { range: 'bytes=10-109' } });
  assert.equal(ranged.status, 206);
  assert.equal(ranged.headers.get('content-type'), 'video/mp4');
  assert.equal(ranged.headers.get('content-range'), `bytes 10-109/${mp4.file_size}`);
  assert.equal((await ranged.arrayBuffer()).byteLength, 100);
  const http = `http://127.0.0.1:${server.httpPort}`;
  assert.equal(await metricValue(http, 'openlive_record_uploads_total', { result: 'uploaded' }), 2);
  // Deleting a file deletes its objects (the HLS playlist and every segment).
  await client.request('OpenLiveDeleteRecordFile', { FileId: String(hls.file_id) });
  const left = await keys();
  assert.ok(!left.some((k) => k.endsWith('.m3u8') || k.endsWith('.ts')), left.join(' '));
  assert.ok(left.some((k) => k.endsWith('.mp4')));
  assert.equal((await fetch(hls.video_url)).status, 404);
});

test('an unreachable bucket: bounded retries, RECORD_UPLOAD_FAILED counted and in the callback, the file kept and served locally', async () => {
  const rx = await new CallbackReceiver().listen();
  cleanups.push(() => rx.close());
  const dead = await freePort();
  const server = await startServerProcess(
    s3flags(dead, [
      '--record.s3.maxAttempts',
      '3',
      '--record.s3.retryDelayMs',
      '100',
      '--record.s3.requestTimeoutMs',
      '2000',
    ]),
  );
  cleanups.push(() => server.stop());
  await setUp(server, rx);
  const ff = publish(server.pushUrl, { seconds: 4, gop: 25 });
  assert.equal(await ff.exited, 0, ff.stderr());
  await waitFor('2 record callbacks', () => rx.bodies('/record').length >= 2, 30_000);
  for (const b of rx.bodies('/record')) {
    assert.notEqual(b.errcode, 0);
    assert.match(String(b.errmsg), /^RECORD_UPLOAD_FAILED: 3 upload attempts failed/);
  }
  const http = `http://127.0.0.1:${server.httpPort}`;
  assert.equal(await connectionErrors(http, 'RECORD_UPLOAD_FAILED'), 2);
  assert.equal(await metricValue(http, 'openlive_record_uploads_total', { result: 'failed' }), 2);
  assert.equal(await metricValue(http, 'openlive_record_uploads_total', { result: 'retried' }), 4);
  const mp4 = rx.bodies('/record').find((b) => b.file_format === 'mp4')!;
  const p = await ffprobeDuration(mp4.video_url);
  assert.equal(p.code, 0, p.err);
  assert.ok(Math.abs(p.duration - mp4.duration_ms / 1000) <= 0.2);
});
