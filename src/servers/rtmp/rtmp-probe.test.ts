import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { portCheck } from '../../control/doctor/port-check.ts';
import { createRtmpProbe } from './rtmp-probe.ts';

test('a closed port, probed for real, fails at TCP with ECONNREFUSED; the port check names the listen address', async () => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  const probe = await createRtmpProbe({ timeoutMs: 3000 })('127.0.0.1', port, 'live');
  assert.deepEqual([probe.ok, probe.failedAt, probe.error], [false, 'tcp', 'ECONNREFUSED']);
  const c = portCheck('127.0.0.1', port, probe, { host: '0.0.0.0', port: 1935 });
  assert.equal(c.status, 'fail');
  assert.match(
    c.detail,
    new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}: nothing listens there \\(connection refused\\)`),
  );
  assert.match(c.detail, /openlive listens on 0\.0\.0\.0:1935/);
  assert.match(c.fix, /use port 1935 in the URL/);
});

test('a TCP server that is not RTMP fails at the handshake', async () => {
  const server = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  try {
    const probe = await createRtmpProbe({ timeoutMs: 3000 })('127.0.0.1', port, 'live');
    assert.equal(probe.failedAt, 'handshake');
    const c = portCheck('127.0.0.1', port, probe, { host: '0.0.0.0', port });
    assert.equal(c.status, 'fail');
    assert.match(c.detail, /accepts TCP in [\d.]+ ms but does not speak RTMP/);
  } finally {
    server.close();
  }
});
