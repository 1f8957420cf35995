import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MemoryStore } from '../store/memory-store.ts';
import { Credentials, openSecret, randomAlphanumeric, sealSecret } from './credentials.ts';

const t0 = Date.UTC(2026, 10, 25, 10, 0, 0);

function setup(now = () => t0) {
  const store = new MemoryStore();
  const dataKey = randomBytes(32);
  return { store, dataKey, credentials: new Credentials({ store, dataKey, now }) };
}

test('create returns a Tencent-shaped pair once; the store holds only the sealed key', async () => {
  const { store, credentials } = setup();
  const pair = await credentials.create('ci');
  assert.match(pair.secretId, /^AKID[A-Za-z0-9]{32}$/);
  assert.match(pair.secretKey, /^[A-Za-z0-9]{32}$/);
  assert.deepEqual(
    { ...pair, secretId: '', secretKey: '' },
    { secretId: '', secretKey: '', description: 'ci', createdAt: t0, lastUsedAt: null },
  );
  const stored = await store.getCredential(pair.secretId);
  assert.ok(stored);
  assert.ok(!stored.sealedKey.includes(pair.secretKey), 'the key is not in the row in clear');
  assert.ok(
    !Buffer.from(stored.sealedKey.split('.')[2] ?? '', 'base64url')
      .toString('latin1')
      .includes(pair.secretKey),
  );
  assert.equal(await credentials.secretKeyOf(pair.secretId), pair.secretKey);
  assert.equal(await credentials.secretKeyOf('AKIDnone'), undefined);
  assert.deepEqual(await credentials.list(), [
    { secretId: pair.secretId, description: 'ci', createdAt: t0, lastUsedAt: null },
  ]);
});

test('a sealed key opens only with its data key and under its own SecretId', () => {
  const key = randomBytes(32);
  const sealed = sealSecret(key, 'AKIDa', 'secret');
  assert.equal(openSecret(key, 'AKIDa', sealed), 'secret');
  assert.notEqual(sealSecret(key, 'AKIDa', 'secret'), sealed, 'a fresh IV each time');
  assert.throws(() => openSecret(randomBytes(32), 'AKIDa', sealed), { code: 'CREDENTIAL_UNREADABLE' });
  assert.throws(() => openSecret(key, 'AKIDb', sealed), { code: 'CREDENTIAL_UNREADABLE' });
  const [v, iv, body, tag] = sealed.split('.');
  const flipped = Buffer.from(body ?? '', 'base64url');
  flipped[0]! ^= 1;
  assert.throws(() => openSecret(key, 'AKIDa', [v, iv, flipped.toString('base64url'), tag].join('.')), {
    code: 'CREDENTIAL_UNREADABLE',
  });
  assert.throws(() => openSecret(key, 'AKIDa', 'plain'), { code: 'CREDENTIAL_UNREADABLE' });
});

test('a credential stored under another data key is reported as unreadable, not as missing', async () => {
  const { store, credentials } = setup();
  const pair = await credentials.create();
  const other = new Credentials({ store, dataKey: randomBytes(32), now: () => t0 });
  await assert.rejects(other.secretKeyOf(pair.secretId), { code: 'CREDENTIAL_UNREADABLE' });
});

test('revoke deletes at once and names unknown ids', async () => {
  const { credentials } = setup();
  const pair = await credentials.create();
  await credentials.revoke(pair.secretId);
  assert.equal(await credentials.secretKeyOf(pair.secretId), undefined);
  await assert.rejects(credentials.revoke(pair.secretId), { code: 'CREDENTIAL_NOT_FOUND' });
});

test('noteUse writes the last-used time at most once per interval', async () => {
  let now = t0;
  const { store, credentials } = setup(() => now);
  const pair = await credentials.create();
  now = t0 + 1000;
  await credentials.noteUse(pair.secretId);
  now = t0 + 30_000;
  await credentials.noteUse(pair.secretId);
  assert.equal((await store.getCredential(pair.secretId))?.lastUsedAt, t0 + 1000);
  now = t0 + 61_000;
  await credentials.noteUse(pair.secretId);
  assert.equal((await store.getCredential(pair.secretId))?.lastUsedAt, t0 + 61_000);
});

test('ensureInitial creates one pair on the first start only, and none if keys already exist', async () => {
  const { credentials } = setup();
  const first = await credentials.ensureInitial();
  assert.ok(first);
  assert.equal(await credentials.ensureInitial(), undefined);
  assert.equal((await credentials.list()).length, 1);
  const other = setup();
  await other.credentials.create('made by the CLI before the first start');
  assert.equal(await other.credentials.ensureInitial(), undefined);
  assert.equal((await other.credentials.list()).length, 1);
});

test('randomAlphanumeric is uniform over 62 characters', () => {
  const s = randomAlphanumeric(62_000);
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  assert.equal(counts.size, 62);
  for (const n of counts.values()) assert.ok(n > 800 && n < 1200, `count ${n}`);
});
