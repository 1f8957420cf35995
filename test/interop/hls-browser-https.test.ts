/**
 * HLS over HTTPS in a real browser: Debian's headless Chromium runs hls.js against openlive's HTTPS
 * playback port (`https.enabled`, a self-signed certificate made here, accepted with playwright's
 * `ignoreHTTPSErrors`), on a stream ffmpeg publishes over RTMPS.
 */
import { chromiumArgs } from '../browser/console-browser.ts';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { chromium, type Browser } from 'playwright-core';
import { startService, type TestService } from '../support/service.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { makeCert } from '../support/tls-certs.ts';
import { waitFor } from '../support/wait.ts';

const hlsJs = readFileSync(createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js'));
const page = `<!doctype html><meta charset="utf-8"><video id="v" muted autoplay playsinline></video>
<script src="/hls.js"></script>
<script>
  window.hlsErrors = [];
  const video = document.getElementById('v');
  const hls = new Hls();
  hls.on(Hls.Events.ERROR, (_e, d) => window.hlsErrors.push({ type: d.type, details: d.details, fatal: d.fatal }));
  hls.loadSource(new URLSearchParams(location.search).get('src'));
  hls.attachMedia(video);
</script>`;

const dir = mkdtempSync(join(tmpdir(), 'openlive-hls-tls-'));
let svc: TestService;
let ffmpeg: FfmpegProcess;
let pages: Server;
let pageUrl: string;
let browser: Browser;

before(async () => {
  const cert = makeCert(dir, 'c');
  svc = await startService({
    tls: { cert: cert.cert, key: cert.key },
    rtmps: { enabled: true, host: '127.0.0.1', port: 0 },
    https: { enabled: true, host: '127.0.0.1', port: 0 },
  });
  ffmpeg = publish(svc.urls('cam').push.rtmps!, { rate: 30, gop: 30 });
  pages = createServer((req, res) => {
    if (req.url === '/hls.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(hlsJs);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  });
  pages.listen(0, '127.0.0.1');
  await once(pages, 'listening');
  pageUrl = `http://127.0.0.1:${(pages.address() as { port: number }).port}/`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [...chromiumArgs, '--autoplay-policy=no-user-gesture-required'],
  });
  await waitFor('the RTMPS publisher to go live', () => svc.service.hub.get('live/cam')?.live === true, 20_000);
});

after(async () => {
  await browser?.close();
  await ffmpeg?.stop();
  pages?.close();
  await svc?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('Chromium plays HTTPS HLS with hls.js: currentTime advances and no error fires', async () => {
  const src = svc.urls('cam').play!.httpsHls!;
  assert.match(src, /^https:\/\/127\.0\.0\.1:\d+\/live\/cam\.m3u8/);
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const p = await context.newPage();
  await p.goto(`${pageUrl}?src=${encodeURIComponent(src)}`);
  await p.waitForFunction("document.getElementById('v').currentTime > 0.5", undefined, { timeout: 45_000 });
  const t1 = await p.evaluate<number>("document.getElementById('v').currentTime");
  await new Promise((resolve) => setTimeout(resolve, 4000));
  const t2 = await p.evaluate<number>("document.getElementById('v').currentTime");
  assert.ok(t2 - t1 > 2.5, `currentTime went from ${t1} to ${t2} in 4 s`);
  assert.deepEqual(await p.evaluate<unknown[]>('window.hlsErrors'), []);
  await context.close();
});
