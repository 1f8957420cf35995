/**
 * fMP4/CMAF HLS (`hls.segmentFormat: fmp4`) against real players: ffmpeg publishes H.264 + AAC over
 * RTMP, ffprobe and ffmpeg read the playlist with its EXT-X-MAP, and Debian's headless Chromium plays
 * it with hls.js, plain and LL-HLS. HEVC + Opus (ffmpeg 5.1 cannot publish them over RTMP) go through
 * the same segmenter as Enhanced RTMP messages and come back from ffprobe as HLS on disk.
 */
import { chromiumArgs } from '../browser/console-browser.ts';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startService, type TestService } from '../support/service.ts';
import { probe, publish, run, type FfmpegProcess } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';
import { enhancedRtmpMessages, readMp4 } from '../support/mp4-reader.ts';
import { parsePlaylist, type ParsedPlaylist } from '../../src/servers/hls/hls-test-kit.ts';
import { resolveHlsOptions } from '../../src/servers/hls/hls-options.ts';
import { HlsStream } from '../../src/servers/hls/hls-stream.ts';
import { Fmp4SegmentMuxer } from '../../src/servers/hls/fmp4-segment-muxer.ts';

const exec = promisify(execFile);
const hlsJs = readFileSync(createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js'));
const page = `<!doctype html><meta charset="utf-8"><video id="v" muted autoplay playsinline></video>
<script src="/hls.js"></script>
<script>
  const params = new URLSearchParams(location.search);
  window.hlsErrors = [];
  const video = document.getElementById('v');
  const hls = new Hls({ lowLatencyMode: params.get('ll') === '1' });
  hls.on(Hls.Events.ERROR, (_e, d) => window.hlsErrors.push({ type: d.type, details: d.details, fatal: d.fatal }));
  video.addEventListener('error', () => window.hlsErrors.push({ type: 'video', details: String(video.error && video.error.message) }));
  hls.loadSource(params.get('src'));
  hls.attachMedia(video);
  window.hls = hls;
</script>`;

let svc: TestService;
let ffmpeg: FfmpegProcess;
let pages: Server;
let pageUrl: string;
let browser: Browser;
const scratch = mkdtempSync(join(tmpdir(), 'openlive-fmp4-hls-'));

before(async () => {
  svc = await startService({
    hls: { segmentFormat: 'fmp4', lowLatencyDomains: ['ll.localhost'], segmentTargetMs: 2000, partTargetMs: 333 },
  });
  await svc.service.domains.add({ name: 'll.localhost', type: 'play' });
  ffmpeg = publish(svc.urls('cam').push.rtmp, { rate: 30, gop: 30 });
  pages = createServer((req, res) => {
    if (req.url === '/hls.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(hlsJs);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  });
  pages.listen(0, '127.0.0.1');
  await once(pages, 'listening');
  const address = pages.address();
  pageUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [...chromiumArgs, '--autoplay-policy=no-user-gesture-required'],
  });
  await waitFor('the publisher to go live', () => svc.service.hub.get('live/cam')?.live === true);
});

after(async () => {
  await browser?.close();
  await ffmpeg?.stop();
  pages?.close();
  await svc?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const playlistUrl = (): string => svc.urls('cam').play!.hls;

async function playlistWith(n: number): Promise<ParsedPlaylist> {
  let p: ParsedPlaylist | undefined;
  await waitFor(
    `${n} segments`,
    async () => {
      const res = await fetch(playlistUrl());
      p = res.ok ? parsePlaylist(await res.text()) : undefined;
      return (p?.segments.length ?? 0) >= n;
    },
    30_000,
  );
  return p!;
}

test('the fMP4 playlist: EXT-X-MAP, .m4s segments as video/mp4, an init segment with ftyp + moov', async () => {
  const p = await playlistWith(3);
  assert.equal(p.version, 6);
  const map = p.segments[0]!.map!;
  assert.match(map, /_init\d+\.mp4$/);
  const base = playlistUrl().replace(/[^/]*$/, '');
  const init = await fetch(new URL(map, base));
  assert.equal(init.status, 200);
  assert.equal(init.headers.get('content-type'), 'video/mp4');
  const initBytes = Buffer.from(await init.arrayBuffer());
  assert.equal(initBytes.toString('latin1', 4, 8), 'ftyp');
  const files = [initBytes];
  for (const s of p.segments) {
    assert.match(s.uri, /\.m4s/);
    const res = await fetch(new URL(s.uri, base));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'video/mp4');
    files.push(Buffer.from(await res.arrayBuffer()));
  }
  // The segments after their init segment are one fragmented MP4: ffprobe reads it with no timestamp gap.
  const file = join(scratch, 'joined.mp4');
  writeFileSync(file, Buffer.concat(files));
  const { stdout } = await exec('ffprobe', [
    '-v',
    'error',
    '-of',
    'json',
    '-select_streams',
    'v',
    '-show_entries',
    'packet=dts_time',
    file,
  ]);
  const dts = (JSON.parse(stdout) as { packets: { dts_time: string }[] }).packets
    .map((x) => Number(x.dts_time))
    .sort((a, b) => a - b);
  for (let i = 1; i < dts.length; i++) assert.ok(dts[i]! - dts[i - 1]! < 0.05, `video jumps ${dts[i - 1]} → ${dts[i]}`);
  const ts = await fetch(new URL(p.segments[0]!.uri.replace('.m4s', '.ts'), base));
  assert.equal(ts.status, 404, 'an fmp4 server serves no .ts');
});

test('ffprobe reads fMP4 HLS: H.264 320x240 and AAC; ffmpeg decodes 6 s of it without an error', async () => {
  await playlistWith(2);
  const result = await probe(playlistUrl(), 2);
  const video = result.streams.find((s) => s.codec_type === 'video');
  const audio = result.streams.find((s) => s.codec_type === 'audio');
  assert.deepEqual([video?.codec_name, video?.width, video?.height, audio?.codec_name], ['h264', 320, 240, 'aac']);
  assert.ok(Number(video?.nb_read_frames) >= 10);
  const ff = run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', playlistUrl(), '-t', '6', '-f', 'null', '-']);
  assert.equal(await ff.exited, 0, ff.stderr());
  assert.equal(ff.stderr().trim(), '');
});

async function play(src: string, lowLatency: boolean): Promise<Page> {
  const p = await browser.newPage();
  await p.goto(`${pageUrl}?ll=${lowLatency ? 1 : 0}&src=${encodeURIComponent(src)}`);
  await p.waitForFunction("document.getElementById('v').currentTime > 0.5", undefined, { timeout: 30_000 });
  return p;
}
const currentTime = (p: Page): Promise<number> => p.evaluate<number>("document.getElementById('v').currentTime");
const errors = (p: Page): Promise<unknown[]> => p.evaluate<unknown[]>('window.hlsErrors');

test('Chromium plays fMP4 HLS with hls.js: currentTime advances, no error', async () => {
  await playlistWith(3);
  const p = await play(`http://play.localhost:${svc.service.httpPort}/live/cam.m3u8`, false);
  const t1 = await currentTime(p);
  await new Promise((resolve) => setTimeout(resolve, 4000));
  const t2 = await currentTime(p);
  assert.ok(t2 - t1 > 2.5, `currentTime went from ${t1} to ${t2} in 4 s`);
  assert.deepEqual(await errors(p), []);
  await p.close();
});

test('Chromium plays fMP4 LL-HLS with hls.js lowLatencyMode: parts listed, time advances, no error', async () => {
  const p = await play(`http://ll.localhost:${svc.service.httpPort}/live/cam.m3u8`, true);
  const t1 = await currentTime(p);
  await new Promise((resolve) => setTimeout(resolve, 6000));
  const t2 = await currentTime(p);
  assert.ok(t2 - t1 > 4, `currentTime went from ${t1} to ${t2} in 6 s`);
  assert.deepEqual(await errors(p), []);
  const parts = await p.evaluate<number>('window.hls.levels[0].details?.partList?.length ?? 0');
  assert.ok(parts > 0, 'the playlist lists parts');
  await p.close();
});

test('HEVC + Opus in fMP4 HLS: the segmenter takes Enhanced RTMP hvc1/Opus and ffprobe reads the playlist', async () => {
  const src = join(scratch, 'hevc-opus.mp4');
  await exec('ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=25',
    '-f',
    'lavfi',
    '-i',
    'sine=sample_rate=48000',
    '-t',
    '5',
    '-c:v',
    'libx265',
    '-preset',
    'ultrafast',
    '-x265-params',
    'log-level=error:keyint=25',
    '-tag:v',
    'hvc1',
    '-c:a',
    'libopus',
    src,
  ]);
  const stream = new HlsStream({
    key: 'live/h',
    name: 'h',
    gen: 'g',
    options: resolveHlsOptions({ segmentFormat: 'fmp4', segmentTargetMs: 1000 }),
    newMuxer: () => new Fmp4SegmentMuxer(),
  });
  stream.publisherStarted();
  for (const msg of enhancedRtmpMessages(readMp4(readFileSync(src)))) stream.media(msg);
  stream.publisherEnded();
  const text = stream.playlist(false, '');
  const p = parsePlaylist(text);
  assert.ok(p.segments.length >= 4);
  const dir = join(scratch, 'h');
  mkdirSync(dir, { recursive: true });
  const id = Number(/init(\d+)/.exec(p.segments[0]!.map!)![1]);
  writeFileSync(join(scratch, p.segments[0]!.map!), stream.init(id)!.bytes);
  for (const seg of stream.segments) writeFileSync(join(scratch, stream.segmentUri(seg.msn, '')), seg.bytes!);
  writeFileSync(join(scratch, 'h.m3u8'), `${text}#EXT-X-ENDLIST\n`);
  const { stdout } = await exec('ffprobe', [
    '-v',
    'error',
    '-of',
    'json',
    '-show_streams',
    '-show_format',
    join(scratch, 'h.m3u8'),
  ]);
  const probed = JSON.parse(stdout) as {
    streams: { codec_name: string; width?: number }[];
    format: { duration: string };
  };
  assert.deepEqual(probed.streams.map((s) => s.codec_name).sort(), ['hevc', 'opus']);
  assert.ok(Math.abs(Number(probed.format.duration) - 5) <= 0.2, `lasts ${probed.format.duration} s`);
  const { stderr } = await exec('ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-i',
    join(scratch, 'h.m3u8'),
    '-f',
    'null',
    '-',
  ]);
  assert.equal(stderr.trim(), '');
});
