import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { configSchema } from '../../config/config-schema.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { Credentials } from '../../control/credentials.ts';
import { keysCommand } from './keys-command.ts';
import { SqliteStore, sqliteFileIn } from '../../store/sqlite-store.ts';
import { loadDataKey } from '../data-key-file.ts';

const t0 = Date.UTC(2026, 10, 25, 10, 0, 0);

function context() {
  const store = new MemoryStore();
  const dataKey = randomBytes(32);
  return { store, dataKey, ctx: { config: configSchema.parse({}), store, nowMs: t0, dataKey } };
}

test('keys create prints the pair once; list shows ids, times and descriptions but never a key', async () => {
  const { ctx, store, dataKey } = context();
  const out = await keysCommand(ctx, ['create'], { description: 'billing backend' });
  const secretId = /SecretId\s+(AKID\w{32})/.exec(out)?.[1];
  const secretKey = /SecretKey\s+(\w{32})/.exec(out)?.[1];
  assert.ok(secretId && secretKey, out);
  assert.equal(await new Credentials({ store, dataKey, now: () => t0 }).secretKeyOf(secretId), secretKey);
  await store.touchCredential(secretId, t0 + 60_000);
  const list = await keysCommand(ctx, ['list'], {});
  assert.equal(
    list,
    `SECRET ID${' '.repeat(29)}CREATED               LAST USED             DESCRIPTION\n${secretId}  2026-11-25T10:00:00Z  2026-11-25T10:01:00Z  billing backend\n`,
  );
  assert.ok(!list.includes(secretKey));
  const listed = JSON.parse(await keysCommand(ctx, ['list'], { json: 'true' }));
  assert.deepEqual(listed, {
    keys: [{ secretId, description: 'billing backend', createdAt: t0, lastUsedAt: t0 + 60_000 }],
  });
});

test('keys revoke removes the key; unknown ids and commands are named', async () => {
  const { ctx } = context();
  const { secretId } = JSON.parse(await keysCommand(ctx, ['create'], { json: 'true' }));
  assert.match(await keysCommand(ctx, ['revoke', secretId], {}), /Revoked AKID/);
  assert.equal(await keysCommand(ctx, ['list'], {}), 'No API keys; make one with: openlive keys create\n');
  await assert.rejects(keysCommand(ctx, ['revoke', secretId], {}), { code: 'CREDENTIAL_NOT_FOUND' });
  await assert.rejects(keysCommand(ctx, ['revoke'], {}), { code: 'CONFIG_INVALID', message: /SECRET_ID/ });
  await assert.rejects(keysCommand(ctx, ['rotate'], {}), { code: 'CONFIG_INVALID' });
  await assert.rejects(keysCommand(ctx, ['list'], { all: 'true' }), { code: 'CONFIG_INVALID', message: /--all/ });
});

test('as processes: a key created by the CLI is listed by the next one over the same data dir', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'openlive-keys-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  // The folder a server's first start leaves: the commands refuse one without openlive data (DATA_DIR_NOT_FOUND).
  await new SqliteStore({ file: sqliteFileIn(dataDir), dataKey: loadDataKey(dataDir) }).close();
  const main = new URL('../../main.ts', import.meta.url).pathname;
  const run = (...args: string[]) =>
    promisify(execFile)(process.execPath, [main, 'keys', ...args, '--data-dir', dataDir], { timeout: 20_000 });
  const created = JSON.parse((await run('create', '--json')).stdout);
  const listed = JSON.parse((await run('list', '--json')).stdout);
  assert.deepEqual(
    listed.keys.map((k: { secretId: string }) => k.secretId),
    [created.secretId],
  );
  await assert.rejects(
    run('revoke', 'AKIDnope'),
    (err: { stderr: string }) => err.stderr === 'openlive: CREDENTIAL_NOT_FOUND: there is no credential AKIDnope\n',
  );
});
