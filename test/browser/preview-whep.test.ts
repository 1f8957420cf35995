/// <reference lib="dom" />
/**
 * The Live Streams preview over WHEP: ffmpeg publishes H.264/AAC over RTMP to a server with webrtc on;
 * the console's preview plays it over WebRTC (the page's RTCPeerConnection's getStats() shows decoded
 * frames growing) and shows the latency; a browser without RTCPeerConnection falls back to HTTP-FLV.
 * Screenshots under test-results/console/preview-*.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startService, type TestService } from '../support/service.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';
import { join } from 'node:path';
import { ensureConsoleBuilt, openBrowser, screenshotDir, type ConsolePage } from './console-browser.ts';

const stream = 'rtccam';
let svc: TestService;
let browser: ConsolePage;
let ff: FfmpegProcess | undefined;
let consoleUrl: string;

/** Signs in on `page` and opens the preview of the stream. */
async function openPreview(page: Page): Promise<void> {
  const key = svc.service.createdCredential!;
  await page.goto(consoleUrl);
  await page.getByLabel('SecretId').fill(key.secretId);
  await page.getByLabel('SecretKey').fill(key.secretKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  await page.goto(`${consoleUrl}streams/live`);
  const row = page
    .getByRole('row')
    .filter({ has: page.getByTestId('live-stream-name').getByText(stream, { exact: true }) });
  await row.waitFor({ timeout: 30_000 });
  await row.getByRole('button', { name: `Preview ${stream}` }).click();
}

/** framesDecoded of the page's WebRTC video (the peer connections the init script recorded). */
async function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let n = 0;
    for (const pc of (window as unknown as { peers: RTCPeerConnection[] }).peers) {
      (await pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') n += s.framesDecoded ?? 0;
      });
    }
    return n;
  });
}

describe('Live Streams preview over WHEP', { timeout: 180_000 }, () => {
  before(async () => {
    ensureConsoleBuilt();
    svc = await startService({ webrtc: { enabled: true } });
    consoleUrl = `http://${svc.apiEndpoint}/console/`;
    ff = publish(svc.urls(stream).push.rtmp, { size: '640x360', rate: 30, gop: 30 });
    await waitFor('the RTMP publish', () => svc.service.hub.get(`live/${stream}`)?.live === true, 20_000);
    browser = await openBrowser();
  });

  after(async () => {
    await ff?.stop();
    await browser?.close();
    await svc?.close();
  });

  test('the preview plays over WHEP: decoded frames grow in getStats and the latency is shown', async () => {
    const { page } = browser;
    // The test's window into the page: every RTCPeerConnection it makes (added before the console's scripts run).
    await page.addInitScript(() => {
      const w = window as unknown as { peers: RTCPeerConnection[] };
      w.peers = [];
      const Native = window.RTCPeerConnection;
      window.RTCPeerConnection = class extends Native {
        constructor(config?: RTCConfiguration) {
          super(config);
          w.peers.push(this);
        }
      };
    });
    await openPreview(page);
    const whepUrl = await page.getByTestId('preview-whep-url').inputValue();
    assert.equal(whepUrl.split('?')[0], `${svc.httpUrl}/live/${stream}/whep`);
    const preview = page.locator('.preview');
    await waitFor('frames decoded over WebRTC', async () => (await framesDecoded(page)) > 30, 30_000);
    const first = await framesDecoded(page);
    await waitFor('frames to keep growing', async () => (await framesDecoded(page)) > first + 15, 15_000);
    assert.equal(await preview.getAttribute('data-transport'), 'whep');
    const status = page.getByTestId('preview-status');
    await status.filter({ hasText: /Playing over WebRTC \(WHEP\) 640×360 H264/ }).waitFor();
    const latency = page.getByTestId('preview-latency');
    await latency.filter({ hasText: /Latency ≈ \d+ ms/ }).waitFor();
    const ms = Number(await latency.getAttribute('data-latency-ms'));
    // Loopback: RTT/2 + jitter buffer + decode is well under a second (a busy shared machine adds some).
    assert.ok(ms > 0 && ms < 1000, `latency ${ms} ms`);
    assert.equal(svc.service.webrtc?.sessions.size ?? -1, 1, 'one WHEP session on the server');
    // The table behind it counts the preview's WHEP player apart (OpenLiveDescribeServerInfo WebrtcSubscribers).
    const viewers = page
      .getByRole('row')
      .filter({ has: page.getByTestId('live-stream-name').getByText(stream, { exact: true }) })
      .locator('td[data-label="Viewers"]');
    await waitFor(
      'the WHEP player in the Viewers column',
      async () => (await viewers.innerText()) === '1 (1 WebRTC)',
      15_000,
    );
    await browser.screenshot('preview-whep');
    // Closing the preview ends the session on the server (DELETE of its Location).
    await page.getByRole('button', { name: 'Close the preview' }).click();
    await waitFor('the WHEP session to end', () => (svc.service.webrtc?.sessions.size ?? -1) === 0, 10_000);
    assert.deepEqual(browser.errors, []);
  });

  test('a browser without WebRTC plays the preview over HTTP-FLV and says why', async () => {
    const context = await browser.browser.newContext({ viewport: { width: 1366, height: 860 } });
    try {
      const page = await context.newPage();
      await page.addInitScript(() => {
        delete (window as unknown as { RTCPeerConnection?: unknown }).RTCPeerConnection;
      });
      await openPreview(page);
      const video = page.getByTestId('preview-video');
      await waitFor(
        'the HTTP-FLV preview to play',
        async () => (await video.evaluate((v) => (v as HTMLVideoElement).currentTime)) > 1,
        30_000,
      );
      assert.equal(await page.locator('.preview').getAttribute('data-transport'), 'flv');
      assert.match(await page.getByTestId('preview-status').innerText(), /this browser has no WebRTC; HTTP-FLV/);
      await page
        .getByTestId('preview-latency')
        .filter({ hasText: /Buffered [\d.]+ s ahead/ })
        .waitFor();
      await page.screenshot({ path: join(screenshotDir, 'preview-flv-fallback.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
