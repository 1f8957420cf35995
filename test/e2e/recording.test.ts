/**
 * Recording end to end (docs/recording.md) against a real server process: Tencent's Node SDK creates a
 * callback template, a record template (FLV split every 5 s, HLS, AAC) and a record rule; ffmpeg publishes
 * 12 s; a loopback receiver gets one type-100 callback per file whose URL downloads a file ffprobe reads with
 * the right codecs and duration (±0.2 s) and ffmpeg decodes without an error; the FLV splits start on
 * keyframes and tile the stream; byte ranges work; a traversal name is refused; retention deletes an expired file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { publish } from '../support/ffmpeg.ts';
import { type LiveClient, serverClient } from '../support/api-client.ts';
import { CallbackReceiver } from '../support/record-receiver.ts';
import { waitFor } from '../support/wait.ts';

let server: ServerProcess;
let client: LiveClient & { close(): void };
let rx: CallbackReceiver;
let domain: string;
const work = mkdtempSync(join(tmpdir(), 'rec-e2e-'));

before(async () => {
  rx = await new CallbackReceiver().listen();
  server = await startServerProcess([
    '--record.minIntervalSeconds',
    '1',
    '--record.sweepIntervalMs',
    '300',
    '--record.hlsSegmentMs',
    '2000',
  ]);
  ({ client, domain } = await serverClient(server));
});

after(async () => {
  client?.close();
  await server?.stop();
  await rx?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs a command to its end; resolves with its exit code, stdout and stderr. */
async function exec(cmd: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out, err };
}

async function ffprobe(
  target: string,
): Promise<{ format: { duration: string }; streams: { codec_type: string; codec_name: string; width?: number }[] }> {
  const r = await exec('ffprobe', ['-v', 'error', '-of', 'json', '-show_format', '-show_streams', target]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out);
}

async function download(url: string, name: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url}: ${res.status}`);
  const path = join(work, name);
  writeFileSync(path, Buffer.from(await res.arrayBuffer()));
  return path;
}

test('SDK template and rule; ffmpeg publishes 12 s; every file arrives by a type-100 callback and plays', async () => {
  const { TemplateId: cbTemplate } = await client.CreateLiveCallbackTemplate({
    TemplateName: 'rec',
    RecordNotifyUrl: rx.url('/record'),
    CallbackKey: 'k3y',
  });
  await client.CreateLiveCallbackRule({ DomainName: domain, AppName: 'live', TemplateId: cbTemplate! });
  const { TemplateId } = await client.CreateLiveRecordTemplate({
    TemplateName: 'e2e-录制',
    FlvParam: { Enable: 1, RecordInterval: 5, StorageTime: 0 },
    HlsParam: { Enable: 1, StorageTime: 0 },
    AacParam: { Enable: 1, RecordInterval: 3600 },
  });
  assert.equal(typeof TemplateId, 'number');
  await client.CreateLiveRecordRule({
    DomainName: domain,
    AppName: 'live',
    StreamName: 'demo',
    TemplateId: TemplateId!,
  });
  const rules = await client.DescribeLiveRecordRules();
  assert.deepEqual(
    rules.Rules?.map((r) => [r.DomainName, r.AppName, r.StreamName, r.TemplateId]),
    [[domain, 'live', 'demo', TemplateId]],
  );
  const tpl = await client.DescribeLiveRecordTemplate({ TemplateId: TemplateId! });
  assert.equal(tpl.Template?.FlvParam?.RecordInterval, 5);
  assert.equal(tpl.Template?.Mp4Param?.Enable, 0);

  const ff = publish(server.pushUrl, { seconds: 12, gop: 25 });
  assert.equal(await ff.exited, 0, ff.stderr());
  await waitFor('5 record callbacks (3 FLV, HLS, AAC)', () => rx.bodies('/record').length >= 5, 30_000);
  const bodies = rx.bodies('/record');
  assert.equal(bodies.length, 5);
  for (const b of bodies) {
    assert.equal(b.event_type, 100);
    assert.equal(b.app, domain);
    assert.equal(b.appname, 'live');
    assert.equal(b.stream_id, 'demo');
    assert.equal(b.errcode, 0);
    assert.match(String(b.file_id), /^\d+$/);
    assert.ok(b.file_size > 0);
    assert.ok(b.end_time >= b.start_time);
    assert.match(b.sign, /^[0-9a-f]{32}$/);
  }
  const byFormat = (f: string) =>
    bodies
      .filter((b) => b.file_format === f)
      .sort((a, b) => a.start_time - b.start_time || Number(a.file_id) - Number(b.file_id));
  const flv = byFormat('flv');
  assert.equal(flv.length, 3);
  // FLV: each piece is H.264 + AAC, its duration the callback's (±0.2 s), decodes cleanly, and starts on a keyframe.
  let flvTotal = 0;
  for (const [i, b] of flv.entries()) {
    const path = await download(b.video_url, `piece-${i}.flv`);
    const p = await ffprobe(path);
    assert.deepEqual(p.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    assert.ok(
      Math.abs(Number(p.format.duration) - b.duration_ms / 1000) <= 0.2,
      `flv ${i}: ffprobe ${p.format.duration} vs ${b.duration_ms} ms`,
    );
    flvTotal += b.duration_ms;
    const decode = await exec('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-']);
    assert.equal(decode.code, 0);
    assert.equal(decode.err, '', `flv ${i} decodes without an error`);
    const first = await exec('ffprobe', [
      '-v',
      'error',
      '-select_streams',
      'v',
      '-show_entries',
      'frame=key_frame,pts_time',
      '-of',
      'csv=p=0',
      '-read_intervals',
      '%+#1',
      path,
    ]);
    assert.match(first.out.trim(), /^1,0\.000000/, `flv ${i} starts with a keyframe at 0: ${first.out}`);
  }
  // The splits tile the stream: 5 s, 5 s, then the rest; no gap or overlap (keyframes every 1 s at 25 fps).
  assert.deepEqual(
    flv.slice(0, 2).map((b) => b.duration_ms),
    [5000, 5000],
  );
  assert.ok(Math.abs(flvTotal - 12_000) <= 200, `FLV pieces total ${flvTotal} ms`);

  const [hls] = byFormat('hls');
  const hp = await ffprobe(hls!.video_url);
  assert.deepEqual(hp.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
  assert.ok(
    Math.abs(Number(hp.format.duration) - hls!.duration_ms / 1000) <= 0.2,
    `hls ffprobe ${hp.format.duration} vs ${hls!.duration_ms}`,
  );
  assert.ok(Math.abs(hls!.duration_ms - flvTotal) <= 40);
  const playlist = await (await fetch(hls!.video_url)).text();
  assert.match(playlist, /#EXT-X-ENDLIST/);
  const hlsDecode = await exec('ffmpeg', ['-v', 'error', '-i', hls!.video_url, '-f', 'null', '-']);
  assert.equal(hlsDecode.err, '');

  const [aac] = byFormat('aac');
  const ap = await ffprobe(await download(aac!.video_url, 'audio.aac'));
  assert.deepEqual(
    ap.streams.map((s) => s.codec_name),
    ['aac'],
  );
  const aacDecode = await exec('ffmpeg', ['-v', 'error', '-i', aac!.video_url, '-f', 'null', '-']);
  assert.equal(aacDecode.err, '');

  // Byte ranges and the content type.
  const ranged = await fetch(flv[0]!.video_url, { headers: { range: 'bytes=0-99' } });
  assert.equal(ranged.status, 206);
  assert.equal(ranged.headers.get('content-type'), 'video/x-flv');
  assert.equal(ranged.headers.get('content-range'), `bytes 0-99/${flv[0]!.file_size}`);
  assert.equal((await ranged.arrayBuffer()).byteLength, 100);

  // The list action has every file with its id and URL.
  const list = await client.request('OpenLiveDescribeRecordFiles', { StreamName: 'demo', PageSize: 100 });
  assert.equal(list.TotalNum, 5);
  assert.deepEqual(
    list.RecordFileList.map((f: { FileId: string }) => f.FileId).sort(),
    bodies.map((b) => String(b.file_id)).sort(),
  );
  assert.ok(
    list.RecordFileList.every(
      (f: { Status: string; VideoUrl: string }) => f.Status === 'done' && f.VideoUrl.includes('/record/files/'),
    ),
  );
});

test('a name that tries to leave the record folder is refused; files lie under <domain>/live/demo only', async () => {
  const base = `http://127.0.0.1:${server.httpPort}/record/files/1/`;
  for (const name of [
    '..%2F..%2Fsecret.key',
    '..%2F..%2F..%2Fopenlive.db',
    'x%00.flv',
    'demo_x_1.ts',
    '%2E%2E%2F%2E%2E%2Fsecret.key',
  ]) {
    const res = await fetch(base + name);
    assert.equal(res.status, 404, name);
    assert.equal(((await res.json()) as { code: string }).code, 'RECORD_FILE_NOT_FOUND', name);
  }
  // A client that resolves dot segments itself lands on another route, which names no file either.
  assert.equal((await fetch(`${base}..`)).status, 404);
  assert.equal((await fetch(`http://127.0.0.1:${server.httpPort}/record/files/..%2F1/x.flv`)).status, 404);
  assert.deepEqual(readdirSync(join(server.dataDir, 'record')), [domain]);
  assert.deepEqual(readdirSync(join(server.dataDir, 'record', domain)), ['live']);
  assert.deepEqual(readdirSync(join(server.dataDir, 'record', domain, 'live')), ['demo']);
});

test('retention: a file with StorageTime 1 s is deleted by the sweep, older permanent files stay', async () => {
  const rules = await client.DescribeLiveRecordRules();
  const templateId = rules.Rules![0]!.TemplateId!;
  await client.ModifyLiveRecordTemplate({
    TemplateId: templateId,
    FlvParam: { Enable: 1, RecordInterval: 3600, StorageTime: 1 },
    HlsParam: { Enable: 0 },
    AacParam: { Enable: 0 },
  });
  const before = rx.bodies('/record').length;
  const ff = publish(server.pushUrl, { seconds: 3 });
  assert.equal(await ff.exited, 0);
  await waitFor('the short-lived file callback', () => rx.bodies('/record').length > before, 20_000);
  const body = rx.bodies('/record').at(-1)!;
  assert.equal(body.file_format, 'flv');
  await waitFor('the expired file to go', async () => (await fetch(body.video_url)).status === 404, 20_000);
  const list = await client.request('OpenLiveDescribeRecordFiles', { StreamName: 'demo', PageSize: 100 });
  assert.equal(list.TotalNum, 5);
  assert.ok(!list.RecordFileList.some((f: { FileId: string }) => f.FileId === String(body.file_id)));
});

test('a record task made with the SDK records HLS (no template) while the stream is live; StopRecordTask ends it', async () => {
  const ff = publish(server.pushUrl);
  try {
    const files = async () =>
      (await client.request('OpenLiveDescribeRecordFiles', { StreamName: 'demo', PageSize: 100 })).RecordFileList as {
        TaskId: string;
        Status: string;
        Format: string;
      }[];
    await waitFor('the rule recording to run', async () => (await files()).some((f) => f.Status === 'recording'));
    const now = Math.floor(Date.now() / 1000);
    const { TaskId } = await client.CreateRecordTask({
      DomainName: domain,
      AppName: 'live',
      StreamName: 'demo',
      EndTime: now + 600,
    });
    assert.match(TaskId ?? '', /^[0-9a-f]{32}$/);
    await waitFor('the task recording', async () =>
      (await files()).some((f) => f.TaskId === TaskId && f.Status === 'recording' && f.Format === 'hls'),
    );
    await new Promise((r) => setTimeout(r, 3000));
    await client.StopRecordTask({ TaskId: TaskId! });
    await waitFor('the task file callback', () => rx.bodies('/record').some((b) => b.task_id === TaskId), 20_000);
    const body = rx.bodies('/record').find((b) => b.task_id === TaskId)!;
    assert.equal(body.file_format, 'hls');
    const p = await ffprobe(body.video_url);
    assert.ok(p.streams.some((s) => s.codec_name === 'h264'));
    assert.ok(Math.abs(Number(p.format.duration) - body.duration_ms / 1000) <= 0.2);
    const tasks = await client.DescribeRecordTask({ StartTime: now - 60, EndTime: now + 60, StreamName: 'demo' });
    assert.equal(tasks.TaskList?.length, 1);
    assert.equal(tasks.TaskList![0]!.TaskId, TaskId);
    assert.ok((tasks.TaskList![0]!.Stopped ?? 0) >= now);
    await client.DeleteRecordTask({ TaskId: TaskId! });
    assert.equal(
      (await client.DescribeRecordTask({ StartTime: now - 60, EndTime: now + 60 })).TaskList?.length ?? 0,
      0,
    );
  } finally {
    await ff.stop();
  }
});
