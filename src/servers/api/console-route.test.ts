import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { consoleFile, registerConsole } from './console-route.ts';

test('the console files are served with their types; routes without an extension get index.html; nothing outside the folder', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'openlive-console-'));
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>openlive</title>');
  writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'secret.key'), 'do not serve');
  const app = Fastify();
  registerConsole(app, dist);
  t.after(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });
  const get = (url: string) => app.inject({ method: 'GET', url });
  const index = await get('/console/');
  assert.equal(index.statusCode, 200);
  assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(index.body, /<title>openlive/);
  const js = await get('/console/assets/app.js');
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(js.body, 'console.log(1)');
  assert.match((await get('/console/domains/push.example.com')).body, /<title>openlive/, 'client-side route');
  for (const res of [index, js]) {
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  }
  // @fastify/static revalidates: the same build answers 304 to the ETag it gave.
  assert.ok(js.headers.etag);
  const again = await app.inject({
    method: 'GET',
    url: '/console/assets/app.js',
    headers: { 'if-none-match': String(js.headers.etag) },
  });
  assert.equal(again.statusCode, 304);
  const missing = await get('/console/assets/missing.js');
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'NOT_FOUND');
  assert.equal((await get('/console')).headers.location, '/console/');
  for (const url of [
    '/console/../secret.key',
    '/console/%2e%2e/secret.key',
    '/console/assets/%2e%2e%2f%2e%2e%2fsecret.key',
    '/console/%00',
  ]) {
    const res = await get(url);
    assert.ok(!res.body.includes('do not serve'), url);
  }
  assert.equal(consoleFile(dist, '../secret.key'), undefined);
  assert.equal(consoleFile(dist, '%E0%A4%A'), undefined);
  assert.equal(consoleFile(dist, 'assets/app.js'), join(dist, 'assets', 'app.js'));
});

test('before the console is built (or without a folder) /console/ answers 404 CONSOLE_NOT_BUILT', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'openlive-console-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const dir of [join(root, 'dist'), root, undefined]) {
    const app = Fastify();
    registerConsole(app, dir);
    const res = await app.inject({ method: 'GET', url: '/console/domains' });
    await app.close();
    assert.equal(res.statusCode, 404, String(dir));
    assert.equal(res.json().code, 'CONSOLE_NOT_BUILT');
  }
  // Built after the server started: served from the next request on.
  const later = join(root, 'later');
  const app = Fastify();
  registerConsole(app, later);
  t.after(() => app.close());
  await app.ready();
  assert.equal((await app.inject({ method: 'GET', url: '/console/' })).json().code, 'CONSOLE_NOT_BUILT');
  mkdirSync(later);
  writeFileSync(join(later, 'index.html'), '<!doctype html><title>openlive later</title>');
  assert.match((await app.inject({ method: 'GET', url: '/console/domains' })).body, /openlive later/);
});
