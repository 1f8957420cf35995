import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StubDns } from '../../test/support/stub-dns.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { Domains } from './domains.ts';

const t0 = Date.UTC(2026, 10, 25, 10, 0, 0);
const dns = new StubDns();

function domains(store = new MemoryStore()): Domains {
  let n = 0;
  return new Domains({
    store,
    now: () => t0,
    cnameSuffix: 'live.example.net',
    resolver: dns,
    generateKey: () => `generated${++n}`,
  });
}

test('a push domain gets its CNAME target, push auth on with a generated key, and is stored', async () => {
  const store = new MemoryStore();
  const d = await domains(store).add({ name: 'Push.Example.com', type: 'push' });
  assert.deepEqual(d, {
    name: 'push.example.com',
    type: 'push',
    enabled: true,
    cnameTarget: 'push.example.com.live.example.net',
    createdAt: t0,
    auth: { enabled: true, key: 'generated1', backupKey: '', authDelta: 300, algorithm: 'md5' },
    replacePublisher: false,
  });
  assert.deepEqual(await store.getDomain('push.example.com'), d);
});

test('a play domain has play auth off by default; given auth settings are kept', async () => {
  const ds = domains();
  assert.equal((await ds.add({ name: 'play.example.com', type: 'play' })).auth.enabled, false);
  const custom = await ds.add({
    name: 'p2.example.com',
    type: 'play',
    auth: { enabled: true, key: 'abc', authDelta: 60, algorithm: 'sha256' },
  });
  assert.deepEqual(custom.auth, { enabled: true, key: 'abc', backupKey: '', authDelta: 60, algorithm: 'sha256' });
});

test('add refuses bad names, duplicate names, a bad type and bad keys with their codes', async () => {
  const ds = domains();
  await ds.add({ name: 'push.example.com', type: 'push' });
  await assert.rejects(ds.add({ name: 'PUSH.example.com', type: 'play' }), { code: 'DOMAIN_EXISTS' });
  await assert.rejects(ds.add({ name: 'bad_name.example.com', type: 'push' }), { code: 'DOMAIN_NAME_INVALID' });
  await assert.rejects(ds.add({ name: 'x.example.com', type: 'both' as 'push' }), { code: 'DOMAIN_TYPE_MISMATCH' });
  await assert.rejects(ds.add({ name: 'x.example.com', type: 'push', auth: { key: 'has space' } }), {
    code: 'AUTH_KEY_INVALID',
  });
  await assert.rejects(ds.add({ name: 'x.example.com', type: 'push', auth: { key: '' } }), { message: /needs a key/ });
  await assert.rejects(ds.add({ name: 'x.example.com', type: 'push', auth: { authDelta: -1 } }), {
    code: 'AUTH_KEY_INVALID',
  });
  await assert.rejects(ds.add({ name: 'x.example.com', type: 'push', auth: { algorithm: 'sha1' as 'md5' } }), {
    code: 'AUTH_KEY_INVALID',
  });
  const longName = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(50)}.com`;
  await assert.rejects(ds.add({ name: longName, type: 'push' }), {
    code: 'DOMAIN_NAME_INVALID',
    message: /CNAME target/,
  });
});

test('disable, enable, delete and get report unknown domains', async () => {
  const ds = domains();
  await ds.add({ name: 'push.example.com', type: 'push' });
  assert.equal((await ds.disable('push.example.com')).enabled, false);
  assert.equal((await ds.get('push.example.com')).enabled, false);
  assert.equal((await ds.enable('Push.example.com.')).enabled, true);
  await ds.delete('push.example.com');
  assert.equal(await ds.find('push.example.com'), undefined);
  for (const call of [
    ds.get('push.example.com'),
    ds.delete('push.example.com'),
    ds.enable('push.example.com'),
    ds.disable('x.y'),
  ]) {
    await assert.rejects(call, { code: 'DOMAIN_NOT_FOUND' });
  }
});

test('setAuth changes only the given fields and validates the result; replace policy is for push domains', async () => {
  const ds = domains();
  await ds.add({ name: 'push.example.com', type: 'push' });
  await ds.add({ name: 'play.example.com', type: 'play' });
  const d = await ds.setAuth('push.example.com', { backupKey: 'backup1', authDelta: 86400 });
  assert.deepEqual(d.auth, {
    enabled: true,
    key: 'generated1',
    backupKey: 'backup1',
    authDelta: 86400,
    algorithm: 'md5',
  });
  await assert.rejects(ds.setAuth('push.example.com', { key: '' }), { code: 'AUTH_KEY_INVALID' });
  assert.equal((await ds.setAuth('push.example.com', { enabled: false, key: '' })).auth.key, '');
  assert.equal((await ds.setReplacePublisher('push.example.com', true)).replacePublisher, true);
  await assert.rejects(ds.setReplacePublisher('play.example.com', true), { code: 'DOMAIN_TYPE_MISMATCH' });
});

test('default domains are set per type', async () => {
  const ds = domains();
  await ds.add({ name: 'push.example.com', type: 'push' });
  assert.equal(await ds.getDefault('push'), undefined);
  await ds.setDefault('push', 'push.example.com');
  assert.equal((await ds.getDefault('push'))?.name, 'push.example.com');
  await assert.rejects(ds.setDefault('play', 'push.example.com'), { code: 'DOMAIN_TYPE_MISMATCH' });
});

test('CNAME status against a DNS server on loopback: configured, elsewhere, missing, failing', async () => {
  const ds = domains();
  for (const name of [
    'ok.example.com',
    'other.example.com',
    'none.example.com',
    'aonly.example.com',
    'down.example.com',
  ]) {
    await ds.add({ name, type: 'push' });
  }
  dns.set('ok.example.com', { cname: 'OK.example.com.live.example.net' });
  dns.set('other.example.com', { cname: 'cdn.elsewhere.net' });
  dns.set('aonly.example.com', { a: ['192.0.2.1'] });
  dns.set('down.example.com', { fail: 'servfail' });
  assert.deepEqual(await ds.cnameStatus('ok.example.com'), {
    status: 'configured',
    target: 'ok.example.com.live.example.net',
    current: 'ok.example.com.live.example.net',
  });
  assert.deepEqual(await ds.cnameStatus('other.example.com'), {
    status: 'elsewhere',
    target: 'other.example.com.live.example.net',
    current: 'cdn.elsewhere.net',
  });
  assert.deepEqual(await ds.cnameStatus('none.example.com'), {
    status: 'missing',
    target: 'none.example.com.live.example.net',
  });
  assert.equal((await ds.cnameStatus('aonly.example.com')).status, 'missing');
  await assert.rejects(ds.cnameStatus('down.example.com'), { code: 'CNAME_LOOKUP_FAILED', message: /ESERVFAIL/ });
  dns.set('down.example.com', { fail: 'drop' });
  await assert.rejects(ds.cnameStatus('down.example.com'), { code: 'CNAME_LOOKUP_FAILED', message: /ETIMEOUT/ });
  // The answer follows DNS changes: fixing the record flips the status.
  dns.set('other.example.com', { cname: 'other.example.com.live.example.net.' });
  assert.equal((await ds.cnameStatus('other.example.com')).status, 'configured');
});
