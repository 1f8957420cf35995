/**
 * The web console in a real browser against a real openlive: sign in, add a domain and read its CNAME
 * mark (a loopback DNS server answers), rotate its key, generate a push URL, publish it with ffmpeg,
 * watch the stream in Live Streams and play its preview, forbid it (the publisher drops, it moves to
 * Disabled Streams), resume it, read the Event Center, and diagnose a bad URL. Every page is
 * screenshotted at desktop and phone width; no console error may occur.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startService, type TestService } from '../support/service.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { liveClient, type LiveClient } from '../support/api-client.ts';
import { waitFor } from '../support/wait.ts';
import { StubDns } from '../support/stub-dns.ts';
import { txSecretOf } from '../../src/control/signing.ts';
import { ensureConsoleBuilt, openBrowser, type ConsolePage } from './console-browser.ts';
import { freePort } from '../support/free-port.ts';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';

/** A UDP port nobody is bound to at 127.0.0.1 right now (for the SRT listener). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

const domain = 'cam.example.test';
const stream = 'cam1';

let svc: TestService;
const dns = new StubDns();
let browser: ConsolePage;
let page: Page;
let api: LiveClient & { close(): void };
let consoleUrl: string;
let pushUrl = '';
let srtUrl = '';
const running: FfmpegProcess[] = [];

/** Goes to a console page through the side menu, as a user would. */
async function openMenu(name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console menu' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/** ffmpeg publishing a generated URL: it connects to loopback and names the domain in tcUrl, as DNS would have. */
function publishTo(url: string): FfmpegProcess {
  const u = new URL(url);
  const app = u.pathname.split('/')[1]!;
  const local = url.replace(`//${u.host}/`, `//127.0.0.1:${svc.service.rtmpPort}/`);
  const ff = publish(local, { extraArgs: ['-rtmp_tcurl', `rtmp://${u.host}/${app}`] });
  running.push(ff);
  return ff;
}

describe('web console', { timeout: 240_000 }, () => {
  before(async () => {
    ensureConsoleBuilt();
    svc = await startService(
      {
        rtmp: { port: await freePort() },
        http: { port: await freePort() },
        // SRT and WHIP/WHEP on, so the Address Generator prints their URLs and the doctor probes SRT.
        srt: { enabled: true, host: '127.0.0.1', port: await freeUdpPort() },
        webrtc: { enabled: true },
      },
      { resolver: dns },
    );
    // The added domain points at its CNAME target; the default domains have no record (NXDOMAIN).
    dns.set(domain, { cname: `${domain}.live.openlive.local` });
    consoleUrl = `http://${svc.apiEndpoint}/console/`;
    const key = svc.service.createdCredential;
    assert.ok(key, 'the first start creates an API key pair');
    api = liveClient(svc.apiEndpoint, key);
    browser = await openBrowser();
    page = browser.page;
  });

  after(async () => {
    await Promise.all(running.map((ff) => ff.stop()));
    await browser?.close();
    api?.close();
    await svc?.close();
  });

  test('signing in: a wrong SecretKey is refused with its code, the right one opens the Overview', async () => {
    const key = svc.service.createdCredential!;
    await page.goto(consoleUrl);
    await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    await browser.screenshot('login');
    await page.getByLabel('SecretId').fill(key.secretId);
    await page.getByLabel('SecretKey').fill(`${key.secretKey}x`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'AuthFailure.SignatureFailure' }).waitFor();
    await page.getByLabel('SecretKey').fill(key.secretKey);
    await page.getByLabel('SecretKey').press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    assert.equal(await page.locator('.secret-id').textContent(), key.secretId);
    assert.equal(
      await page.evaluate(() => JSON.stringify(sessionStorage).includes('openlive.credential')),
      true,
      'kept for this tab only',
    );
  });

  test('Domain Management: an added push domain shows its CNAME target and a green OK; the default domains show Missing', async () => {
    await openMenu('Domain Management');
    await page.getByRole('button', { name: 'Add Domain' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add Domain' });
    await dialog.getByLabel('Domain name').fill(domain);
    await dialog.getByLabel('Push domain').check();
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByRole('row').filter({ hasText: domain });
    await row.getByTestId('cname-status').waitFor();
    assert.match(await row.innerText(), new RegExp(`${domain}\\.live\\.openlive\\.local`));
    assert.equal((await row.getByTestId('cname-status').innerText()).trim(), '✔ OK');
    assert.match(
      await page.getByRole('row').filter({ hasText: 'push.localhost' }).getByTestId('cname-status').innerText(),
      /Missing/,
    );
    await browser.screenshot('domains');
  });

  test('a domain page: push authentication on, key rotation keeps the old key as the backup', async () => {
    const before = (await api.DescribeLivePushAuthKey({ DomainName: domain })).PushAuthKeyInfo!;
    await page
      .getByRole('row')
      .filter({ hasText: domain })
      .getByRole('button', { name: `Manage ${domain}` })
      .click();
    await page.getByRole('heading', { level: 1, name: domain }).waitFor();
    assert.equal((await page.getByTestId('auth-state').innerText()).trim(), 'On');
    await page.getByRole('button', { name: 'Rotate key' }).click();
    await page.getByRole('dialog', { name: 'Rotate Key' }).getByRole('button', { name: 'Rotate' }).click();
    await page.getByText('Key rotated').waitFor();
    const after = (await api.DescribeLivePushAuthKey({ DomainName: domain })).PushAuthKeyInfo!;
    assert.equal(after.BackupAuthKey, before.MasterAuthKey);
    assert.notEqual(after.MasterAuthKey, before.MasterAuthKey);
    assert.match(after.MasterAuthKey!, /^[0-9a-f]{32}$/);
    await browser.screenshot('domain-detail');
  });

  test('Address Generator: the push URL is signed in the browser with the new master key, with the OBS split', async () => {
    await openMenu('Address Generator');
    await page.getByLabel('Push domain').selectOption(domain);
    await page.getByLabel('StreamName').fill(stream);
    await page.getByRole('button', { name: 'Generate' }).click();
    pushUrl = await page.getByTestId('push-url').inputValue();
    const u = new URL(pushUrl);
    assert.equal(`${u.protocol}//${u.host}${u.pathname}`, `rtmp://${domain}:${svc.service.rtmpPort}/live/${stream}`);
    const txTime = u.searchParams.get('txTime')!;
    const expires = Number.parseInt(txTime, 16);
    assert.ok(Math.abs(expires - (Date.now() / 1000 + 24 * 3600)) < 120, 'valid for 24 hours by default');
    const { MasterAuthKey } = (await api.DescribeLivePushAuthKey({ DomainName: domain })).PushAuthKeyInfo!;
    assert.equal(u.searchParams.get('txSecret'), txSecretOf(MasterAuthKey!, stream, txTime));
    assert.equal(await page.getByTestId('obs-server').inputValue(), `rtmp://${domain}:${svc.service.rtmpPort}/live/`);
    assert.equal(await page.getByTestId('obs-stream-key').inputValue(), `${stream}${u.search}`);
    // SRT in Tencent's stream id form on the server's srt.port, WHIP on the HTTP port with the same pair.
    srtUrl = await page.getByTestId('push-url-srt').inputValue();
    assert.equal(
      srtUrl,
      `srt://${domain}:${svc.service.srtPort}?streamid=#!::h=${domain},r=live/${stream},txSecret=${u.searchParams.get('txSecret')},txTime=${txTime}`,
    );
    assert.equal(
      await page.getByTestId('push-url-whip').inputValue(),
      `http://${domain}:${svc.service.httpPort}/live/${stream}/whip${u.search}`,
    );
    await browser.screenshot('address-generator');
  });

  test('Live Streams: ffmpeg on the generated URL is listed with its codecs and resolution, and the preview plays', async () => {
    publishTo(pushUrl);
    await openMenu('Live Streams');
    const row = page
      .getByRole('row')
      .filter({ has: page.getByTestId('live-stream-name').getByText(stream, { exact: true }) });
    await row.waitFor({ timeout: 30_000 });
    await waitFor(
      'resolution and codecs in the row',
      async () => /H264/.test(await row.innerText()) && /320×240/.test(await row.innerText()),
      20_000,
    );
    const text = await row.innerText();
    assert.match(text, /AAC/);
    assert.match(text, /127\.0\.0\.1/);
    assert.match(text, new RegExp(domain.replaceAll('.', '\\.')));
    await row.getByRole('button', { name: `Preview ${stream}` }).click();
    assert.match(
      await page.getByTestId('preview-flv-url').inputValue(),
      new RegExp(`^http://127\\.0\\.0\\.1:${svc.service.httpPort}/live/${stream}\\.flv`),
    );
    const video = page.getByTestId('preview-video');
    const currentTime = (): Promise<number> =>
      video.evaluate((v) => (v as unknown as { currentTime: number }).currentTime);
    await waitFor('the preview to play 1.5 s', async () => (await currentTime()) > 1.5, 30_000);
    const t1 = await currentTime();
    await waitFor('the preview to keep playing', async () => (await currentTime()) > t1 + 0.5, 15_000);
    await waitFor(
      'the preview counted as a viewer',
      async () => /\b1\b/.test(await row.locator('td[data-label="Viewers"]').innerText()),
      15_000,
    );
    await browser.screenshot('live-streams');
  });

  test('Forbid: the publisher drops, the stream moves to Disabled Streams with its reason and time, and Resume lifts it', async () => {
    const ff = running.at(-1)!;
    const row = page
      .getByRole('row')
      .filter({ has: page.getByTestId('live-stream-name').getByText(stream, { exact: true }) });
    await row.getByRole('button', { name: `Forbid ${stream}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Forbid Stream' });
    await dialog.getByLabel('Reason').fill('rehearsal over');
    await dialog.getByRole('button', { name: 'Forbid' }).click();
    await dialog.waitFor({ state: 'detached' });
    const exit = await Promise.race([
      ff.exited,
      new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000)),
    ]);
    assert.notEqual(exit, 'still running', 'ffmpeg was disconnected');
    await page.getByText('No stream is being published').waitFor({ timeout: 15_000 });
    await browser.screenshot('live-streams-empty');

    await openMenu('Disabled Streams');
    const forbidden = page
      .getByRole('row')
      .filter({ has: page.getByTestId('disabled-stream-name').getByText(stream, { exact: true }) });
    await forbidden.waitFor();
    const text = await forbidden.innerText();
    assert.match(text, /rehearsal over/);
    assert.match(text, new RegExp(domain.replaceAll('.', '\\.')));
    await browser.screenshot('disabled-streams');
    assert.equal(
      (await api.DescribeLiveStreamState({ DomainName: domain, AppName: 'live', StreamName: stream })).StreamState,
      'forbid',
    );

    await forbidden.getByRole('button', { name: `Resume ${stream}` }).click();
    await page.getByRole('dialog', { name: 'Resume Stream' }).getByRole('button', { name: 'Resume' }).click();
    await page.getByText('No stream is forbidden').waitFor();
    assert.equal(
      (await api.DescribeLiveStreamState({ DomainName: domain, AppName: 'live', StreamName: stream })).StreamState,
      'inactive',
    );
  });

  test('Event Center: the publish with its stop reason, a refused push with its code', async () => {
    // A push with a wrong signature: refused with 18/503 and recorded.
    const bad = pushUrl.replace(/txSecret=[0-9a-f]{8}/, 'txSecret=00000000');
    const refused = publishTo(bad);
    const window = {
      StartTime: new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
      EndTime: new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    await waitFor(
      'the refused push recorded',
      async () => Number((await api.request('OpenLiveDescribeRejectedPushList', window)).TotalNum) > 0,
      20_000,
    );
    await refused.stop();
    await openMenu('Event Center');
    const publishRow = page.getByRole('row').filter({ hasText: stream }).first();
    await publishRow.waitFor();
    assert.match(await publishRow.getByTestId('stop-reason').innerText(), /^21\/101/);
    await browser.screenshot('events-publish');
    await page.getByRole('link', { name: 'Rejected pushes' }).click();
    const rejected = page.getByRole('row').filter({ hasText: '18/503' }).first();
    await rejected.waitFor({ timeout: 8000 });
    assert.match(await rejected.innerText(), new RegExp(`live/${stream}`));
    await browser.screenshot('events-rejected');
    await page.getByRole('link', { name: 'Callback records' }).click();
    await page.getByLabel('Stream').fill(stream);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('.card .alert, .card .table-wrap, .card .empty').first().waitFor();
    await browser.screenshot('events-callbacks');
  });

  test('Troubleshooter: a URL with a wrong txSecret fails the txSecret check with 18/503 and lists the refused attempt', async () => {
    await openMenu('Troubleshooter');
    const bad = pushUrl.replace(/txSecret=[0-9a-f]{8}/, 'txSecret=00000000');
    await page.getByLabel('Push URL that fails').fill(bad);
    await page.getByRole('button', { name: 'Diagnose' }).click();
    const check = page.getByTestId('check-txSecret');
    await check.waitFor();
    assert.equal(await check.getAttribute('data-status'), 'fail');
    assert.match(await check.innerText(), /18\/503/);
    assert.match(await check.innerText(), /Fix:/);
    assert.equal(await page.getByTestId('check-txTime').getAttribute('data-status'), 'pass');
    assert.equal(await page.getByTestId('check-domain').getAttribute('data-status'), 'pass');
    assert.match(await page.getByRole('region', { name: 'Rejected publishes' }).innerText(), /18\/503/);
    assert.doesNotMatch(
      await page.locator('main').innerText(),
      new RegExp((await api.DescribeLivePushAuthKey({ DomainName: domain })).PushAuthKeyInfo!.MasterAuthKey!),
    );
    await browser.screenshot('troubleshooter');
  });

  test('Troubleshooter: an SRT push URL is probed by an SRT handshake and passes the same checks', async () => {
    await openMenu('Troubleshooter');
    // The encoder reaches the domain through DNS; here the connect host is loopback, h= still names the domain.
    await page.getByLabel('Push URL that fails').fill(srtUrl.replace(`srt://${domain}:`, 'srt://127.0.0.1:'));
    await page.getByRole('button', { name: 'Diagnose' }).click();
    const udp = page.getByTestId('check-udp');
    await udp.waitFor();
    assert.equal(await udp.getAttribute('data-status'), 'pass', await udp.innerText());
    assert.match(await udp.innerText(), /SRT port \(UDP\)[\s\S]*answers SRT \(induction [\d.]+ ms/);
    for (const name of ['url', 'domain', 'txTime', 'txSecret']) {
      assert.equal(await page.getByTestId(`check-${name}`).getAttribute('data-status'), 'pass', name);
    }
    assert.equal(await page.getByTestId('check-port').count(), 0, 'no RTMP port check for an SRT URL');
    await browser.screenshot('troubleshooter-srt');
  });

  test("Overview: charted from the server's statistics history (test/browser/overview.test.ts checks the numbers)", async () => {
    await openMenu('Overview');
    await page.getByTestId('chart-viewers').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('figure.chart').count(), 3, 'bandwidth out, bandwidth in, viewers');
    assert.match(await page.getByTestId('stat-peak-bandwidth-out').innerText(), /bps$|^-$/);
    await waitFor(
      'the live streams tile',
      async () => /^\d+$/.test(await page.getByTestId('stat-live-streams').innerText()),
      15_000,
    );
    await browser.screenshot('overview');
  });

  test('phone width: the menu opens from its button, pages fit, the keyboard reaches the skip link first', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, shot] of [
      ['Overview', 'phone-overview'],
      ['Domain Management', 'phone-domains'],
      ['Live Streams', 'phone-live-streams'],
      ['Address Generator', 'phone-address-generator'],
      ['Troubleshooter', 'phone-troubleshooter'],
    ] as const) {
      await page.getByRole('button', { name: 'Menu' }).click();
      await openMenu(name);
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      assert.ok(overflow <= 0, `${name} does not scroll sideways (${overflow}px)`);
      await browser.screenshot(shot);
    }
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Troubleshooter' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to content');
    await page.setViewportSize({ width: 1366, height: 860 });
  });

  test('no console errors and no uncaught exceptions on any page', () => {
    assert.deepEqual(browser.errors, []);
  });
});
