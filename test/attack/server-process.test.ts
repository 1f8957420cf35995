/** The attack suite's harness itself: a real server process starts, answers /healthz, and stops on SIGTERM. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServerProcess } from '../support/server-process.ts';

test('a real server process starts on free ports and stops on SIGTERM', async () => {
  const server = await startServerProcess();
  try {
    const res = await fetch(`http://127.0.0.1:${server.httpPort}/healthz`);
    assert.equal(res.status, 200);
    assert.ok(server.rtmpPort > 0 && server.apiPort > 0);
    assert.match(server.pushUrl, /txSecret=[0-9a-f]{32}&txTime=[0-9A-F]+$/);
    assert.ok(server.secretId && server.secretKey, 'the first start prints an API key pair');
    assert.ok(server.rss() > 10 * 1024 * 1024);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});
