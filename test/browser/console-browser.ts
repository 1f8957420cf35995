/**
 * Debian's Chromium through playwright-core (which downloads no browser) for the console's test: a
 * page that records every console error and uncaught exception, and screenshots under
 * test-results/console/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The repository root. */
export const root = join(import.meta.dirname, '..', '..');
/** Where the screenshots go. */
export const screenshotDir = join(root, 'test-results', 'console');

/** The flags Chromium runs with: headless, no sandbox (containers), nothing that reaches the network by itself. */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/** Builds console/dist when it is missing (scripts/test.sh builds it before every run). */
export function ensureConsoleBuilt(): void {
  if (existsSync(join(root, 'console', 'dist', 'index.html'))) return;
  // With the console's packages already there (a shared install in a worktree), build only: `npm ci` would
  // empty that install under everyone else.
  const installed = existsSync(join(root, 'console', 'node_modules', 'vite'));
  const script = installed ? ['run', '--prefix', 'console', 'build'] : ['run', 'build:console'];
  const built = spawnSync('npm', script, { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build:console failed; the console test needs console/dist');
}

/** A browser page and what went wrong on it. */
export interface ConsolePage {
  readonly browser: Browser;
  readonly page: Page;
  /** Console messages of type error and uncaught exceptions, as text. */
  readonly errors: string[];
  /** Saves `test-results/console/<name>.png` (the full page). */
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Launches Chromium (`CHROMIUM_PATH` or /usr/bin/chromium) with one page at desktop width. */
export async function openBrowser(): Promise<ConsolePage> {
  mkdirSync(screenshotDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: chromiumArgs,
    timeout: 60_000,
  });
  const context = await browser.newContext({
    viewport: { width: 1366, height: 860 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return {
    browser,
    page,
    errors,
    async screenshot(name) {
      // Toasts of earlier steps would cover the page. (Playwright's `style` option would inject an
      // inline style, which the console's Content-Security-Policy refuses, rightly, with a console error.)
      await page.evaluate("document.getElementById('toasts')?.replaceChildren()");
      await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true, animations: 'disabled' });
    },
    close: () => browser.close(),
  };
}
