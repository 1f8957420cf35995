/**
 * Every record format from one 20 s ffmpeg publish, against a real server process: the Tencent SDK's record
 * template records FLV and MP4 split every 7 s (keyframes every 2 s, so pieces of 8, 8 and 4 s), HLS VOD and
 * AAC. Each file comes back from ffprobe with the right codecs, resolution and duration (±0.2 s), its packets
 * have no timestamp gap, `ffmpeg -v error -f null` decodes it without a word, each split starts on a keyframe
 * and the pieces tile the stream; a finished MP4 is faststart. A second server is killed with -9 in the
 * middle of an MP4 recording: its fragmented file plays and the next start marks its record cut.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { liveClient, type LiveClient, serverClient } from '../support/api-client.ts';
import { waitFor } from '../support/wait.ts';

type Client = LiveClient & { close(): void };
interface FileRow {
  FileId: string;
  Format: string;
  Status: string;
  ErrorCode: string;
  Duration: number;
  DurationMs?: number;
  FileSize: number;
  VideoUrl: string;
  StartTime: number;
}

const work = mkdtempSync(join(tmpdir(), 'rec-mp4-e2e-'));
const cleanups: Array<() => Promise<unknown> | unknown> = [];
let server: ServerProcess;
let client: Client;
let published: FfmpegProcess;

async function setUp(s: ServerProcess, params: Record<string, unknown>): Promise<Client> {
  const opened = await serverClient(s);
  const c = opened.client as Client;
  cleanups.push(() => c.close());
  const domain = opened.domain;
  const { TemplateId } = await c.CreateLiveRecordTemplate({ TemplateName: 'all', ...params });
  await c.CreateLiveRecordRule({ DomainName: domain, AppName: 'live', StreamName: 'demo', TemplateId: TemplateId! });
  const tpl = await c.DescribeLiveRecordTemplate({ TemplateId: TemplateId! });
  assert.equal(tpl.Template?.Mp4Param?.Enable, (params.Mp4Param as { Enable: number }).Enable);
  return c;
}

async function files(c: Client): Promise<FileRow[]> {
  return (await c.request('OpenLiveDescribeRecordFiles', { StreamName: 'demo', PageSize: 100 }))
    .RecordFileList as FileRow[];
}

before(async () => {
  server = await startServerProcess(['--record.minIntervalSeconds', '1', '--record.hlsSegmentMs', '2000']);
  cleanups.push(() => server.stop());
  client = await setUp(server, {
    FlvParam: { Enable: 1, RecordInterval: 7 },
    Mp4Param: { Enable: 1, RecordInterval: 7 },
    HlsParam: { Enable: 1 },
    AacParam: { Enable: 1, RecordInterval: 3600 },
  });
  published = publish(server.pushUrl, { seconds: 20, gop: 50 });
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(work, { recursive: true, force: true });
});

async function exec(cmd: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out, err };
}

interface Probed {
  format: { duration: string; format_name: string };
  streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
  packets: { codec_type: string; dts_time?: string; duration_time?: string; flags: string }[];
}

async function ffprobe(target: string): Promise<Probed> {
  const r = await exec('ffprobe', [
    '-v',
    'error',
    '-of',
    'json',
    '-show_format',
    '-show_streams',
    '-show_packets',
    '-show_entries',
    'packet=codec_type,dts_time,duration_time,flags',
    target,
  ]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as Probed;
}

async function download(url: string, name: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url}: ${res.status}`);
  const path = join(work, name);
  writeFileSync(path, Buffer.from(await res.arrayBuffer()));
  return path;
}

/** Asserts codecs, size, and that no track's decode times jump by more than 1.5 of its frame step. */
function checkStreams(label: string, p: Probed, codecs: string[]): void {
  assert.deepEqual(p.streams.map((s) => s.codec_name).sort(), codecs, label);
  const video = p.streams.find((s) => s.codec_type === 'video');
  if (video) assert.deepEqual([video.width, video.height], [320, 240], label);
  for (const [kind, step] of [
    ['video', 0.04],
    ['audio', 1024 / 44100],
  ] as const) {
    const dts = p.packets
      .filter((k) => k.codec_type === kind && k.dts_time !== undefined)
      .map((k) => Number(k.dts_time));
    for (let i = 1; i < dts.length; i++) {
      const d = dts[i]! - dts[i - 1]!;
      assert.ok(
        d > 0 && d <= step * 1.5 + 0.001,
        `${label} ${kind}: a timestamp step of ${d.toFixed(4)} s at ${dts[i - 1]} s`,
      );
    }
  }
}

async function decodesCleanly(label: string, path: string): Promise<void> {
  const r = await exec('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-']);
  assert.equal(r.code, 0, `${label}: ${r.err}`);
  assert.equal(r.err, '', `${label} decodes without an error`);
}

/** Whether the file's moov comes before its mdat (faststart). */
function faststart(bytes: Buffer): boolean {
  const order: string[] = [];
  for (let at = 0; at + 8 <= bytes.length;) {
    let size = bytes.readUInt32BE(at);
    if (size === 1) size = Number(bytes.readBigUInt64BE(at + 8));
    order.push(bytes.toString('latin1', at + 4, at + 8));
    if (size < 8) break;
    at += size;
  }
  return order.join(',') === 'ftyp,moov,mdat';
}

test('one 20 s publish: FLV, MP4, HLS VOD and AAC each have the codecs, size and duration, no gap, and decode cleanly', async () => {
  assert.equal(await published.exited, 0, published.stderr());
  await waitFor(
    '8 finished files (3 FLV, 3 MP4, HLS, AAC)',
    async () => (await files(client)).filter((f) => f.Status === 'done').length >= 8,
    40_000,
  );
  const rows = (await files(client)).sort((a, b) => a.StartTime - b.StartTime || Number(a.FileId) - Number(b.FileId));
  assert.deepEqual(rows.map((r) => r.Format).sort(), ['aac', 'flv', 'flv', 'flv', 'hls', 'mp4', 'mp4', 'mp4']);
  const totals: Record<string, number> = {};
  for (const format of ['flv', 'mp4']) {
    const pieces = rows.filter((r) => r.Format === format);
    let total = 0;
    for (const [i, r] of pieces.entries()) {
      const label = `${format} piece ${i}`;
      const path = await download(r.VideoUrl, `piece-${i}.${format}`);
      const p = await ffprobe(path);
      checkStreams(label, p, ['aac', 'h264']);
      const seconds = Number(p.format.duration);
      total += seconds;
      // A piece starts on a keyframe: the first video packet is a keyframe at 0.
      const firstVideo = p.packets.find((k) => k.codec_type === 'video')!;
      assert.match(firstVideo.flags, /^K/, `${label} starts on a keyframe`);
      assert.ok(Math.abs(Number(firstVideo.dts_time ?? 0)) <= 0.001, `${label} starts at 0: ${firstVideo.dts_time}`);
      await decodesCleanly(label, path);
      if (format === 'mp4') {
        const bytes = Buffer.from(await (await fetch(r.VideoUrl)).arrayBuffer());
        assert.ok(faststart(bytes), `${label} is faststart`);
        assert.equal(bytes.length, r.FileSize);
      }
      if (i < 2)
        assert.ok(Math.abs(seconds - 8) <= 0.2, `${label}: ${seconds} s (keyframes every 2 s, split after 7 s)`);
    }
    totals[format] = total;
    // Pieces tile the stream: together as long as the whole push, no gap or overlap between them.
    assert.ok(Math.abs(total - 20) <= 0.2, `${format} pieces total ${total} s`);
  }
  const hls = rows.find((r) => r.Format === 'hls')!;
  const hp = await ffprobe(hls.VideoUrl);
  checkStreams('hls', hp, ['aac', 'h264']);
  assert.ok(Math.abs(Number(hp.format.duration) - 20) <= 0.2, `hls ${hp.format.duration} s`);
  assert.match(await (await fetch(hls.VideoUrl)).text(), /#EXT-X-ENDLIST/);
  await decodesCleanly('hls', hls.VideoUrl);
  const aac = rows.find((r) => r.Format === 'aac')!;
  const aacPath = await download(aac.VideoUrl, 'audio.aac');
  const ap = await ffprobe(aacPath);
  checkStreams('aac', ap, ['aac']);
  // ADTS has no index, ffprobe's format duration is a bitrate estimate: count the frames (1024 samples each).
  const aacSeconds = (ap.packets.length * 1024) / 44100;
  assert.ok(Math.abs(aacSeconds - 20) <= 0.2, `aac ${aacSeconds} s`);
  await decodesCleanly('aac', aacPath);
  // The MP4 seeks in a browser: ranges on video/mp4.
  const mp4 = rows.find((r) => r.Format === 'mp4')!;
  const ranged = await fetch(mp4.VideoUrl, { headers: { range: 'bytes=100-199' } });
  assert.equal(ranged.status, 206);
  assert.equal(ranged.headers.get('content-type'), 'video/mp4');
  assert.equal((await ranged.arrayBuffer()).byteLength, 100);
});

test('kill -9 during an MP4 recording leaves a playable fragmented file and a record that says it was cut', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rec-mp4-crash-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const first = await startServerProcess([], { dataDir });
  const c1 = await setUp(first, { Mp4Param: { Enable: 1, RecordInterval: 3600 } });
  const ff = publish(first.pushUrl, { gop: 25 });
  cleanups.push(() => ff.stop());
  await waitFor(
    'an MP4 being recorded',
    async () => (await files(c1)).some((f) => f.Format === 'mp4' && f.Status === 'recording'),
    20_000,
  );
  await new Promise((r) => setTimeout(r, 5000));
  first.child.kill('SIGKILL');
  await first.stop();
  await ff.stop();
  const second = await startServerProcess([], { dataDir });
  cleanups.push(() => second.stop());
  const c2 = liveClient(
    `127.0.0.1:${second.apiPort}`,
    { secretId: first.secretId!, secretKey: first.secretKey! },
    { reqTimeout: 15 },
  ) as Client;
  cleanups.push(() => c2.close());
  const [file, ...rest] = await files(c2);
  assert.equal(rest.length, 0);
  assert.equal(file!.Format, 'mp4');
  assert.equal(file!.Status, 'cut');
  assert.equal(file!.ErrorCode, 'RECORD_CUT');
  assert.ok(file!.FileSize > 10_000, `${file!.FileSize} bytes reached the disk`);
  const path = await download(file!.VideoUrl.replace(/:\d+\//, `:${second.httpPort}/`), 'cut.mp4');
  const p = await ffprobe(path);
  assert.deepEqual(p.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
  // Whole fragments only reach a player: at least 3 s of video (a fragment per 1 s GOP).
  const frames = p.packets.filter((k) => k.codec_type === 'video').length;
  assert.ok(frames >= 75, `${frames} video frames in the cut file`);
  const decoded = await exec('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-']);
  assert.equal(decoded.code, 0, decoded.err);
});
