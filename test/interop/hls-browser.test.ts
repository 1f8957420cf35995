/**
 * A real browser plays openlive's HLS: Debian's headless Chromium runs hls.js (from node_modules)
 * on a page this test serves, against a stream real ffmpeg publishes. Plain HLS on the default play
 * domain, LL-HLS on a play domain listed in `hls.lowLatencyDomains` (Chromium resolves *.localhost
 * to the loopback, so both reach the same server under different Host headers).
 */
import { chromiumArgs } from '../browser/console-browser.ts';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startService, type TestService } from '../support/service.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';

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

before(async () => {
  svc = await startService({ hls: { lowLatencyDomains: ['ll.localhost'], segmentTargetMs: 2000, partTargetMs: 333 } });
  await svc.service.domains.add({ name: 'll.localhost', type: 'play' });
  // 30 fps with 1 s GOPs, as OBS sends by default: 333 ms parts are 10 frames and fill each 2 s segment
  // exactly. (At 25 fps every segment ends in a 2-frame part, which hls.js sometimes stalls on; docs/hls.md.)
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
});

/** Opens the test page on `src` and waits until the video plays; returns the page. */
async function play(src: string, lowLatency: boolean): Promise<Page> {
  const p = await browser.newPage();
  await p.goto(`${pageUrl}?ll=${lowLatency ? 1 : 0}&src=${encodeURIComponent(src)}`);
  await p.waitForFunction("document.getElementById('v').currentTime > 0.5", undefined, { timeout: 30_000 });
  return p;
}

// Page-side code is passed as strings: this project compiles without the DOM library.
const currentTime = (p: Page): Promise<number> => p.evaluate<number>("document.getElementById('v').currentTime");
const errors = (p: Page): Promise<unknown[]> => p.evaluate<unknown[]>('window.hlsErrors');

test('Chromium plays plain HLS with hls.js: currentTime advances and no error fires', async () => {
  const src = `http://play.localhost:${svc.service.httpPort}/live/cam.m3u8`;
  // A warm stream, as most viewers find it: hls.js starts three segments behind the edge (RFC 8216
  // §6.3.3). A cold stream's first viewer waits for hls.startSegments segments instead; see docs/hls.md.
  await waitFor(
    'three segments',
    async () => {
      const res = await fetch(`${svc.httpUrl}/live/cam.m3u8`);
      return res.ok && (await res.text()).split('#EXTINF').length > 3;
    },
    30_000,
  );
  const p = await play(src, false);
  const t1 = await currentTime(p);
  await new Promise((resolve) => setTimeout(resolve, 4000));
  const t2 = await currentTime(p);
  assert.ok(t2 - t1 > 2.5, `currentTime went from ${t1} to ${t2} in 4 s`);
  assert.deepEqual(await errors(p), []);
  const parts = await p.evaluate<number>('window.hls.levels[0].details?.partList?.length ?? 0');
  assert.equal(parts, 0, 'the default play domain serves plain HLS');
  await p.close();
});

test('Chromium plays LL-HLS with hls.js lowLatencyMode: parts, advancing time, no error, glass-to-player under 3 s', async () => {
  const src = `http://ll.localhost:${svc.service.httpPort}/live/cam.m3u8`;
  const p = await play(src, true);
  const t1 = await currentTime(p);
  await new Promise((resolve) => setTimeout(resolve, 6000));
  const t2 = await currentTime(p);
  assert.ok(t2 - t1 > 4, `currentTime went from ${t1} to ${t2} in 6 s`);
  assert.deepEqual(await errors(p), []);
  // PROGRAM-DATE-TIME is the server's wall clock when a frame arrived from ffmpeg: the same clock as Date.now() here.
  const state = await p.evaluate<{
    parts: number;
    canBlockReload: boolean;
    latency: number;
    behindIngestMs: number;
  }>(`(() => {
    const details = window.hls.levels[0].details;
    return {
      parts: details?.partList?.length ?? 0,
      canBlockReload: details?.canBlockReload ?? false,
      latency: window.hls.latency,
      behindIngestMs: window.hls.playingDate ? Date.now() - window.hls.playingDate.getTime() : NaN,
    };
  })()`);
  assert.ok(state.parts > 0, 'the playlist lists parts');
  assert.equal(state.canBlockReload, true);
  // ffmpeg -re with -tune zerolatency hands a frame to RTMP within a frame or two of making it, so
  // the delay behind ingest is the glass-to-player delay up to ~100 ms.
  console.log(
    `LL-HLS glass-to-player: ${state.behindIngestMs} ms behind ingest (PROGRAM-DATE-TIME), hls.js latency ${state.latency.toFixed(2)} s`,
  );
  assert.ok(state.behindIngestMs > 0 && state.behindIngestMs < 3000, `glass-to-player ${state.behindIngestMs} ms`);
  await p.close();
});
