import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Domain } from '../../store/store.ts';

const run = promisify(execFile);
const main = new URL('../../main.ts', import.meta.url).pathname;

/** Runs `node src/main.ts ...args` as the operator would; resolves with stdout, stderr and the exit code. */
async function openlive(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [main, ...args], { timeout: 20_000 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

test('domain add then domain list --json as separate processes over one data dir; errors exit 1 with the code', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'openlive-cli-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const added = await openlive('domain', 'add', 'live.example.com', '--type', 'push', '--data-dir', dataDir);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /^Added push domain live\.example\.com\./);

  const listed = await openlive('domain', 'list', '--json', '--data-dir', dataDir);
  assert.equal(listed.code, 0, listed.stderr);
  const { domains } = JSON.parse(listed.stdout) as { domains: Domain[] };
  assert.deepEqual(domains.map((d) => `${d.name} ${d.type}`), ['live.example.com push', 'play.localhost play', 'push.localhost push']);
  assert.doesNotMatch(listed.stdout, /[0-9a-f]{32}/, 'keys are masked');

  const missing = await openlive('domain', 'show', 'nope.example.com', '--data-dir', dataDir);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'openlive: DOMAIN_NOT_FOUND: domain nope.example.com is not added\n');
});
