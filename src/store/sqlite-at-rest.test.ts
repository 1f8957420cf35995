import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { sampleDomain } from '../../test/store-conformance.ts';
import { SqliteStore, sqliteFileIn } from './sqlite-store.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'openlive-rest-'));
  dirs.push(dir);
  return dir;
}
process.on('exit', () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const key = 'e12c46f2612d5106e2034781ab261ca3';
const template = {
  name: 'tpl',
  description: '',
  urls: { streamEnd: 'http://h.example.com/end' },
  callbackKey: 'cb-s3cret-key',
  createdAt: 1,
};
const openPush = {
  sequence: '42',
  url: 'http://h.example.com/end',
  callbackKey: 'cb-s3cret-key',
  appId: 1,
  domain: 'push.example.com',
  app: 'live',
  stream: 'demo',
  clientIp: '10.0.0.1',
  serverIp: '10.0.0.2',
  query: '',
  width: 0,
  height: 0,
  startedAt: 1,
};

/** Every byte of the database and its WAL as text, to look for a key in it. */
function fileText(file: string): string {
  return ['', '-wal']
    .map((suffix) => {
      try {
        return readFileSync(file + suffix).toString('latin1');
      } catch {
        return '';
      }
    })
    .join('');
}

test('the data folder is created 0700 and the database, -wal and -shm 0600', async () => {
  const dir = join(tempDir(), 'data');
  const store = new SqliteStore({ file: sqliteFileIn(dir), dataKey: randomBytes(32) });
  await store.setSetting('k', 'v');
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  for (const suffix of ['', '-wal', '-shm'])
    assert.equal(statSync(sqliteFileIn(dir) + suffix).mode & 0o777, 0o600, `openlive.db${suffix}`);
  await store.close();
});

test('a database an older openlive left 0644 is tightened to 0600 on opening', async () => {
  const file = sqliteFileIn(tempDir());
  const old = new DatabaseSync(file);
  old.exec('PRAGMA journal_mode = WAL; CREATE TABLE x (y)');
  old.close();
  const { chmodSync } = await import('node:fs');
  chmodSync(file, 0o644);
  const store = new SqliteStore({ file });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  await store.close();
});

test('with a data key, domain and callback keys are sealed in the file and read back in the clear', async () => {
  const file = sqliteFileIn(tempDir());
  const dataKey = randomBytes(32);
  const store = new SqliteStore({ file, dataKey });
  const domain = sampleDomain('push.example.com', {
    auth: { ...sampleDomain('x').auth, key, backupKey: 'B4ckupKey0000000' },
  });
  await store.addDomain(domain);
  const id = await store.callbacks.addCallbackTemplate(template);
  await store.callbacks.addOpenPush(openPush);
  assert.deepEqual(await store.getDomain('push.example.com'), domain);
  assert.equal((await store.callbacks.getCallbackTemplate(id))?.callbackKey, 'cb-s3cret-key');
  assert.equal((await store.callbacks.listOpenPushes())[0]?.callbackKey, 'cb-s3cret-key');
  const rotated = await store.updateDomain('push.example.com', { auth: { key: 'N3wKey' } });
  assert.equal(rotated.auth.key, 'N3wKey');
  await store.close();
  const text = fileText(file);
  for (const secret of [key, 'B4ckupKey0000000', 'N3wKey', 'cb-s3cret-key'])
    assert.ok(!text.includes(secret), `${secret} is not in the file`);
  const reopened = new SqliteStore({ file, dataKey });
  assert.equal((await reopened.getDomain('push.example.com'))?.auth.key, 'N3wKey');
  await reopened.close();
  const wrong = new SqliteStore({ file, dataKey: randomBytes(32) });
  await assert.rejects(wrong.getDomain('push.example.com'), { code: 'CREDENTIAL_UNREADABLE' });
  await assert.rejects(wrong.callbacks.listCallbackTemplates(), { code: 'CREDENTIAL_UNREADABLE' });
  await wrong.close();
});

test('plaintext keys written without a data key are sealed when the store opens with one', async () => {
  const file = sqliteFileIn(tempDir());
  const plain = new SqliteStore({ file });
  await plain.addDomain(sampleDomain('push.example.com', { auth: { ...sampleDomain('x').auth, key } }));
  const id = await plain.callbacks.addCallbackTemplate(template);
  await plain.callbacks.addOpenPush(openPush);
  await plain.close();
  const raw = new DatabaseSync(file);
  assert.equal(
    (raw.prepare('SELECT auth_key FROM domains').get() as { auth_key: string }).auth_key,
    key,
    'plaintext before',
  );
  raw.close();
  const dataKey = randomBytes(32);
  const sealed = new SqliteStore({ file, dataKey });
  assert.equal((await sealed.getDomain('push.example.com'))?.auth.key, key);
  assert.equal((await sealed.callbacks.getCallbackTemplate(id))?.callbackKey, 'cb-s3cret-key');
  assert.equal((await sealed.callbacks.listOpenPushes())[0]?.callbackKey, 'cb-s3cret-key');
  await sealed.close();
  assert.ok(!fileText(file).includes(key), 'no plaintext key is left in free pages or the WAL');
  const after = new DatabaseSync(file);
  const row = after.prepare('SELECT auth_key, keys_sealed FROM domains').get() as {
    auth_key: string;
    keys_sealed: number;
  };
  assert.equal(row.keys_sealed, 1);
  assert.match(row.auth_key, /^v1\./);
  const tpl = after.prepare('SELECT callback_key FROM callback_templates').get() as { callback_key: string };
  assert.match(tpl.callback_key, /^v1\./);
  after.close();
});

test('a sealed key moved to another domain row does not open', async () => {
  const file = sqliteFileIn(tempDir());
  const dataKey = randomBytes(32);
  const store = new SqliteStore({ file, dataKey });
  await store.addDomain(sampleDomain('a.example.com', { auth: { ...sampleDomain('x').auth, key } }));
  await store.addDomain(sampleDomain('b.example.com'));
  await store.close();
  const raw = new DatabaseSync(file);
  raw.exec(
    "UPDATE domains SET auth_key = (SELECT auth_key FROM domains WHERE name = 'a.example.com') WHERE name = 'b.example.com'",
  );
  raw.close();
  const reopened = new SqliteStore({ file, dataKey });
  await assert.rejects(reopened.getDomain('b.example.com'), { code: 'CREDENTIAL_UNREADABLE' });
  await reopened.close();
});
