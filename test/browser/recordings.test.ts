/**
 * The console's Recordings page and the Live Streams snapshots in a real browser (Debian's Chromium through
 * playwright-core) after a real publish: the SDK binds a record template (FLV, HLS) and a snapshot template to
 * the push domain; ffmpeg publishes 640x360; Live Streams shows the stream's latest snapshot as a loaded
 * 640x360 picture; after the publish the Recordings page lists the FLV and HLS files of the stream, plays the
 * FLV in the page (the <video> reports 640x360 and moves forward), and deletes the HLS file. Play auth is on
 * for the play domain, so the picture, the player and the Download link work only because the console signs
 * their URLs (unsigned, the server answers 403). Screenshots go to
 * test-results/console/; no console error may occur.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { liveClient, type LiveClient } from '../support/api-client.ts';
import { waitFor } from '../support/wait.ts';
import { ensureConsoleBuilt, openBrowser, type ConsolePage } from './console-browser.ts';

let server: ServerProcess;
let api: LiveClient & { close(): void };
let browser: ConsolePage;
let page: Page;
let ff: FfmpegProcess | undefined;

/** What the test reads of an <img> and a <video> (the tests compile without the DOM library). */
interface Img {
  readonly complete: boolean;
  readonly naturalWidth: number;
  readonly naturalHeight: number;
}
interface Video {
  readonly readyState: number;
  readonly currentTime: number;
  readonly duration: number;
  readonly videoWidth: number;
  readonly videoHeight: number;
}

async function openMenu(name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console menu' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

describe('console: recordings and snapshots', { timeout: 240_000 }, () => {
  before(async () => {
    ensureConsoleBuilt();
    server = await startServerProcess(['--record.minIntervalSeconds', '1', '--snapshot.minIntervalSeconds', '2']);
    api = liveClient(
      `127.0.0.1:${server.apiPort}`,
      { secretId: server.secretId!, secretKey: server.secretKey! },
      { reqTimeout: 15 },
    );
    const domain = (await api.DescribeLiveDomains({})).DomainList!.find((d) => d.Type === 0)!.Name!;
    const { TemplateId: rec } = await api.CreateLiveRecordTemplate({
      TemplateName: 'console',
      FlvParam: { Enable: 1, RecordInterval: 3600 },
      HlsParam: { Enable: 1 },
    });
    await api.CreateLiveRecordRule({ DomainName: domain, AppName: 'live', TemplateId: rec! });
    const { TemplateId: snap } = await api.CreateLiveSnapshotTemplate({
      TemplateName: 'console',
      SnapshotInterval: 2,
      CosAppId: 1,
      CosBucket: 'b',
      CosRegion: 'r',
    });
    await api.CreateLiveSnapshotRule({ DomainName: domain, AppName: 'live', TemplateId: snap! });
    // Play auth on the default play domain (it serves the files' 127.0.0.1 URLs): the console must sign them.
    const play = (await api.DescribeLiveDomains({})).DomainList!.find((d) => d.Type === 1)!.Name!;
    await api.ModifyLivePlayAuthKey({ DomainName: play, Enable: 1, AuthKey: 'consoleFilesKey1' });
    browser = await openBrowser();
    page = browser.page;
  });

  after(async () => {
    await ff?.stop();
    await browser?.close();
    api?.close();
    await server?.stop();
  });

  test('sign in', async () => {
    await page.goto(`http://127.0.0.1:${server.apiPort}/console/`);
    await page.getByLabel('SecretId').fill(server.secretId!);
    await page.getByLabel('SecretKey').fill(server.secretKey!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  });

  test('Live Streams shows the latest snapshot of the stream being published', async () => {
    ff = publish(server.pushUrl, { seconds: 10, size: '640x360', gop: 25 });
    await openMenu('Live Streams');
    const row = page.getByRole('row').filter({ hasText: 'demo' });
    const img = row.getByTestId('live-stream-snapshot');
    // The page refreshes every 5 s; the first picture is taken at the first keyframe.
    await img.waitFor({ timeout: 30_000 });
    await waitFor(
      'the snapshot loaded',
      () => img.evaluate((el) => (el as unknown as Img).complete && (el as unknown as Img).naturalWidth > 0),
      15_000,
    );
    const natural = await img.evaluate((el) => [
      (el as unknown as Img).naturalWidth,
      (el as unknown as Img).naturalHeight,
    ]);
    assert.deepEqual(natural, [640, 360], 'the picture has the stream size');
    assert.match((await img.getAttribute('alt')) ?? '', /Latest snapshot of demo/);
    // The picture loaded because the console signed it: the same URL without the signature is refused.
    const src = (await img.getAttribute('src'))!;
    assert.match(src, /[?&]txSecret=[0-9a-f]{32}&txTime=[0-9A-F]+$/);
    assert.equal((await fetch(src.split('?')[0]!)).status, 403, 'play auth is on for the picture');
    await browser.screenshot('live-streams-snapshot');
  });

  test('Recordings lists the files of the publish, plays the FLV in the page and deletes the HLS file', async () => {
    assert.equal(await ff!.exited, 0, ff!.stderr());
    await waitFor(
      'both files ended',
      async () => {
        const r = await api.request('OpenLiveDescribeRecordFiles', { StreamName: 'demo' });
        return (r.RecordFileList as { Status: string }[]).filter((f) => f.Status === 'done').length === 2;
      },
      30_000,
    );
    await openMenu('Recordings');
    await page.getByLabel('Stream name').fill('demo');
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.getByRole('row').filter({ hasText: 'live/demo' });
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    assert.deepEqual((await page.getByTestId('recording-format').allInnerTexts()).sort(), ['FLV', 'HLS']);
    const flvRow = rows.filter({ has: page.getByTestId('recording-format').getByText('FLV', { exact: true }) });
    assert.match(await flvRow.innerText(), /done/);
    await flvRow.getByRole('button', { name: /^Play file/ }).click();
    const video = page.getByTestId('recording-video');
    await video.waitFor();
    await waitFor(
      'the FLV plays',
      () => video.evaluate((v) => (v as unknown as Video).readyState >= 2 && (v as unknown as Video).currentTime > 0.5),
      30_000,
    );
    assert.deepEqual(
      await video.evaluate((v) => [(v as unknown as Video).videoWidth, (v as unknown as Video).videoHeight]),
      [640, 360],
    );
    assert.ok(
      (await video.evaluate((v) => (v as unknown as Video).duration)) > 8,
      'the whole file is there (about 10 s)',
    );
    await browser.screenshot('recordings-playing');
    // The Download link opens (signed like the player's URL); without the signature the server refuses it.
    const href = (await flvRow.getByRole('link', { name: 'Download' }).getAttribute('href'))!;
    const opened = await page.evaluate(async (url) => {
      const res = await fetch(url);
      return { status: res.status, type: res.headers.get('content-type'), bytes: (await res.arrayBuffer()).byteLength };
    }, href);
    assert.equal(opened.status, 200, href);
    assert.equal(opened.type, 'video/x-flv');
    assert.ok(opened.bytes > 100_000, `the whole file (${opened.bytes} bytes)`);
    assert.equal((await fetch(href.split('?')[0]!)).status, 403, 'play auth is on for the recording');

    const hlsRow = rows.filter({ has: page.getByTestId('recording-format').getByText('HLS', { exact: true }) });
    await hlsRow.getByRole('button', { name: /^Delete file/ }).click();
    await page.getByRole('dialog', { name: 'Delete recording' }).getByTestId('confirm-delete').click();
    await page.getByText(/^Deleted file/).waitFor();
    await waitFor('one row left', async () => (await rows.count()) === 1, 10_000);
    const left = await api.request('OpenLiveDescribeRecordFiles', { StreamName: 'demo' });
    assert.deepEqual(
      (left.RecordFileList as { Format: string }[]).map((f) => f.Format),
      ['flv'],
    );
    await browser.screenshot('recordings-after-delete');
    assert.deepEqual(browser.errors, []);
  });
});
