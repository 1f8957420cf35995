/**
 * The production start (scripts/start.sh, docs/performance.md "Idle memory (issue 17)"): `npm run build`
 * emits plain JavaScript into build/, and build/main.js serves the console and the API like src/main.ts,
 * its assets (console/dist, migrations) found from build/ as from src/, at a smaller idle RSS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServerProcess } from '../support/server-process.ts';

const repo = new URL('../..', import.meta.url).pathname;
const tsc = `${repo}node_modules/.bin/tsc`;

test(
  'npm run build emits build/main.js, which starts and serves the console and the API',
  { timeout: 180_000 },
  async () => {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'inherit' });
    const entry = `${repo}build/main.js`;
    assert.ok(existsSync(entry));
    const server = await startServerProcess([], { entry });
    try {
      // The console (console/dist, found from build/ as from src/); CONSOLE_NOT_BUILT where it was not built.
      const page = await fetch(`http://127.0.0.1:${server.apiPort}/console/`);
      if (existsSync(`${repo}console/dist/index.html`)) {
        assert.equal(page.status, 200);
        assert.match(await page.text(), /<html/i);
      } else assert.match(await page.text(), /CONSOLE_NOT_BUILT/);
      const api = await fetch(`http://127.0.0.1:${server.apiPort}/`);
      assert.match(await api.text(), /AuthFailure/, 'the Cloud API answers an unsigned call');
      const flv = await fetch(`http://127.0.0.1:${server.httpPort}/live/none.flv`);
      assert.equal(flv.status, 404, 'the HTTP listener answers');
      await flv.arrayBuffer();
      assert.ok(server.pushUrl.startsWith('rtmp://'), 'the banner printed a push URL');
      await sleep(2000);
      // Generous: measured about 91 MB on the dev machine (src/main.ts about 145 MB before the trim).
      const rssMb = server.rss() / 2 ** 20;
      assert.ok(rssMb < 130, `idle RSS ${rssMb.toFixed(1)} MB`);
    } finally {
      await server.stop();
    }
  },
);
