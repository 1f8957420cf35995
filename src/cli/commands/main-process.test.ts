import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Domain } from '../../store/store.ts';
import { SqliteStore, sqliteFileIn } from '../../store/sqlite-store.ts';
import { loadDataKey } from '../data-key-file.ts';

const run = promisify(execFile);
const main = new URL('../../main.ts', import.meta.url).pathname;

/** Runs `node src/main.ts ...args` as the operator would; resolves with stdout, stderr and the exit code. */
async function openlive(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return openliveIn(undefined, ...args);
}

/** The same, in another working directory and without OPENLIVE_* variables from the test's environment. */
async function openliveIn(
  cwd: string | undefined,
  ...args: string[]
): Promise<{ stdout: string; stderr: string; code: number }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OPENLIVE_')));
  try {
    const { stdout, stderr } = await run(process.execPath, [main, ...args], { timeout: 20_000, cwd, env });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

/** A data folder as a server's first start leaves it: the database and the data key. */
async function serverDataDir(): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'openlive-cli-'));
  await new SqliteStore({ file: sqliteFileIn(dataDir), dataKey: loadDataKey(dataDir) }).close();
  return dataDir;
}

test('every command but start, run where there is no openlive data, says so and how to point it, and creates nothing', async (t) => {
  const empty = await mkdtemp(join(tmpdir(), 'openlive-empty-'));
  t.after(() => rm(empty, { recursive: true, force: true }));
  for (const args of [
    ['url'],
    ['domain', 'list'],
    ['records'],
    ['stream', 'forbidden'],
    ['keys', 'list'],
    ['doctor', 'rtmp://push.localhost/live/demo'],
  ]) {
    const r = await openliveIn(empty, ...args);
    assert.equal(r.code, 1, `${args[0]} exits 1`);
    assert.equal(r.stdout, '', 'no URL or listing is printed');
    assert.match(r.stderr, /^openlive: DATA_DIR_NOT_FOUND: no openlive data here \(.*data does not exist\)/);
    assert.match(r.stderr, /--data-dir/);
    assert.match(r.stderr, /OPENLIVE_DATA_DIR=/);
  }
  assert.deepEqual(await readdir(empty), [], 'no data folder, database or key was created');
  const named = await openliveIn(empty, 'url', '--data-dir', join(empty, 'elsewhere'));
  assert.match(named.stderr, /DATA_DIR_NOT_FOUND/);
  assert.equal(existsSync(join(empty, 'elsewhere')), false);
});

test('domain add then domain list --json as separate processes over one data dir; errors exit 1 with the code', async (t) => {
  const dataDir = await serverDataDir();
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const added = await openlive('domain', 'add', 'live.example.com', '--type', 'push', '--data-dir', dataDir);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /^Added push domain live\.example\.com\./);

  const listed = await openlive('domain', 'list', '--json', '--data-dir', dataDir);
  assert.equal(listed.code, 0, listed.stderr);
  const { domains } = JSON.parse(listed.stdout) as { domains: Domain[] };
  assert.deepEqual(
    domains.map((d) => `${d.name} ${d.type}`),
    ['live.example.com push', 'play.localhost play', 'push.localhost push'],
  );
  assert.doesNotMatch(listed.stdout, /[0-9a-f]{32}/, 'keys are masked');

  const missing = await openlive('domain', 'show', 'nope.example.com', '--data-dir', dataDir);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'openlive: DOMAIN_NOT_FOUND: domain nope.example.com is not added\n');
});
