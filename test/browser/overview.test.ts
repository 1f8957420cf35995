/**
 * The console's Overview charted from the statistics history: a day of per-minute samples is written
 * through the store interface (as the sampler writes them, with their roll-ups), then the page opened on
 * "day" shows the day's peaks, "hour" only the last hour's, a push domain only its own streams, and a
 * domain without traffic says so. Screenshots under test-results/console/overview-*.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startService, type TestService } from '../support/service.ts';
import { statsPeriods, type StatsSample } from '../../src/store/stats-store.ts';
import { ensureConsoleBuilt, openBrowser, type ConsolePage } from './console-browser.ts';

const { minute, fiveMinutes, hour, day } = statsPeriods;
const other = 'other.example.test';

let svc: TestService;
let browser: ConsolePage;
let page: Page;
let consoleUrl: string;

/** A minute row whose bandwidth out/in are `outMbps`/`inMbps` and with `viewers` players (split over the protocols). */
function row(
  at: number,
  domain: string,
  stream: string,
  outMbps: number,
  inMbps: number,
  viewers: number,
): StatsSample {
  const bytesOut = (outMbps * 1e6 * 60) / 8;
  const rtmp = Math.floor(viewers / 2),
    flv = Math.floor(viewers / 4),
    hls = viewers - rtmp - flv;
  return {
    at,
    period: minute,
    domain,
    app: 'live',
    stream,
    bytesIn: (inMbps * 1e6 * 60) / 8,
    bytesOut,
    rtmpBytesOut: bytesOut / 2,
    flvBytesOut: bytesOut / 4,
    hlsBytesOut: bytesOut / 4,
    rtmpViewers: rtmp,
    flvViewers: flv,
    hlsViewers: hls,
    webrtcBytesOut: 0,
    webrtcViewers: 0,
    requests: viewers,
    pushBitrate: inMbps * 1e6,
    pushFps: 25,
    width: 1280,
    height: 720,
    droppedFrames: 0,
  };
}

const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

// The day: 1 Mbit/s out, 2 in, 3 viewers; six hours ago a 5-minute peak of 60 out, 5 in, 42 viewers;
// 20 minutes ago a smaller one (4 out, 3 in, 7 viewers) that is the peak of the last hour.
const now = Date.now();
const currentMinute = Math.floor(now / minute) * minute;
const dayPeak = Math.floor((now - 6 * hour) / fiveMinutes) * fiveMinutes;
const hourPeak = Math.floor((now - 20 * minute) / fiveMinutes) * fiveMinutes;

async function writeDay(pushDomain: string): Promise<void> {
  const rows: StatsSample[] = [];
  for (let at = currentMinute - day + minute; at < currentMinute; at += minute) {
    const inDayPeak = at >= dayPeak && at < dayPeak + fiveMinutes;
    const inHourPeak = at >= hourPeak && at < hourPeak + fiveMinutes;
    rows.push(
      inDayPeak
        ? row(at, pushDomain, 'day1', 60, 5, 42)
        : inHourPeak
          ? row(at, pushDomain, 'day1', 4, 3, 7)
          : row(at, pushDomain, 'day1', 1, 2, 3),
    );
    // Another push domain's stream: 0.5 Mbit/s out all day, one viewer.
    rows.push(row(at, other, 'elsewhere', 0.5, 0.5, 1));
  }
  const history = svc.service.store.history;
  await history.addSamples(rows);
  const since = currentMinute - 2 * day;
  await history.rollUp(fiveMinutes, since, currentMinute + fiveMinutes);
  await history.rollUp(hour, since, currentMinute + hour);
  await history.rollUp(day, since, currentMinute + day, hour);
}

async function open(query: string): Promise<void> {
  await page.goto(`${consoleUrl}overview${query}`);
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  await page.locator('.overview-history .stats, .overview-history [role=alert]').first().waitFor({ timeout: 30_000 });
}

const text = (testId: string): Promise<string> => page.getByTestId(testId).innerText();

describe('console Overview from the statistics history', { timeout: 180_000 }, () => {
  before(async () => {
    ensureConsoleBuilt();
    svc = await startService();
    consoleUrl = `http://${svc.apiEndpoint}/console/`;
    await writeDay(svc.service.defaults.push!.name);
    browser = await openBrowser();
    page = browser.page;
    const key = svc.service.createdCredential!;
    await page.goto(consoleUrl);
    await page.getByLabel('SecretId').fill(key.secretId);
    await page.getByLabel('SecretKey').fill(key.secretKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await svc?.close();
  });

  test('"day" shows the day\'s peaks with their times, over every domain', async () => {
    await open('?range=day');
    assert.equal(await page.getByRole('link', { name: 'Day' }).getAttribute('aria-current'), 'page');
    // 60 + 0.5 Mbit/s of the two domains' streams, 42 + 1 viewers, six hours ago.
    assert.equal(await text('stat-peak-bandwidth-out'), '60.5 Mbps');
    assert.equal(await text('stat-peak-bandwidth-in'), '5.5 Mbps');
    assert.equal(await text('stat-peak-viewers'), '43');
    assert.match(
      await page.getByTestId('chart-bandwidth-out').locator('figcaption').innerText(),
      new RegExp(`peak 60\\.5 Mbps at ${hhmm(dayPeak)}`),
    );
    assert.match(
      await page.getByTestId('chart-viewers').locator('figcaption').innerText(),
      new RegExp(`peak 43 at ${hhmm(dayPeak)}`),
    );
    // The peak's dot has a tooltip a user can hover.
    assert.match((await page.getByTestId('chart-viewers').locator('circle title').textContent()) ?? '', /peak 43/);
    // A day of 5-minute points: the line has about 288 of them.
    const d = (await page.getByTestId('chart-bandwidth-out').locator('path.chart-line').getAttribute('d')) ?? '';
    const points = d.split(/[ML]/).filter(Boolean).length;
    assert.ok(points >= 280 && points <= 290, `${points} points`);
    assert.match(await text('overview-flux'), /Delivered [\d.]+ GB to players/);
    await browser.screenshot('overview-day');
    assert.deepEqual(browser.errors, []);
  });

  test('"hour" shows only the last hour: its own, smaller peak', async () => {
    await page.getByRole('link', { name: 'Hour' }).click();
    await page.getByTestId('stat-peak-viewers').filter({ hasText: /^8$/ }).waitFor();
    assert.equal(await text('stat-peak-bandwidth-out'), '4.5 Mbps');
    assert.match(
      await page.getByTestId('chart-viewers').locator('figcaption').innerText(),
      new RegExp(`peak 8 at ${hhmm(hourPeak)}`),
    );
    assert.match(page.url(), /range=hour/);
    await browser.screenshot('overview-hour');
  });

  test('"week" covers the day inside seven days', async () => {
    await page.getByRole('link', { name: 'Week' }).click();
    await page.getByRole('link', { name: 'Week' }).and(page.locator('[aria-current=page]')).waitFor();
    await page.getByTestId('stat-peak-viewers').filter({ hasText: /^43$/ }).waitFor();
    await browser.screenshot('overview-week');
  });

  test('a push domain shows its own streams; one without traffic says so', async () => {
    await open(`?range=day&domain=${other}`);
    assert.equal(await text('stat-peak-bandwidth-out'), '500 Kbps');
    assert.equal(await text('stat-peak-viewers'), '1');
    await open('?range=day&domain=quiet.example.test');
    await page.getByRole('status').filter({ hasText: 'No traffic in this range' }).waitFor();
    assert.equal(await text('stat-peak-viewers'), '-');
    await browser.screenshot('overview-empty');
    assert.deepEqual(browser.errors, []);
  });
});
