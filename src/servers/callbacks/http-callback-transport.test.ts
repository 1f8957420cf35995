import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describeFailure, httpCallbackTransport, maxResponseBytes } from './http-callback-transport.ts';

async function receiver(handle: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => handle(req, body, res));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())).then(() => server.closeAllConnections()),
  };
}

const never = new AbortController().signal;

test('POSTs the JSON body and returns the status and the start of the answer', async () => {
  const seen: Array<[string | undefined, string | undefined, string]> = [];
  const rx = await receiver((req, body, res) => {
    seen.push([req.method, req.headers['content-type'], body]);
    if (req.url === '/big') res.end('x'.repeat(3 * maxResponseBytes));
    else if (req.url === '/moved') res.writeHead(302, { location: '/ok' }).end();
    else res.writeHead(req.url === '/fail' ? 500 : 200).end('{"code":0}');
  });
  try {
    assert.deepEqual(await httpCallbackTransport(`${rx.url}/ok`, '{"a":1}', 5000, never), {
      status: 200,
      body: '{"code":0}',
    });
    assert.deepEqual(seen[0], ['POST', 'application/json; charset=utf-8', '{"a":1}']);
    assert.equal((await httpCallbackTransport(`${rx.url}/fail`, '{}', 5000, never)).status, 500);
    assert.equal(
      (await httpCallbackTransport(`${rx.url}/moved`, '{}', 5000, never)).status,
      302,
      'a redirect is not followed',
    );
    assert.equal((await httpCallbackTransport(`${rx.url}/big`, '{}', 5000, never)).body.length, maxResponseBytes);
  } finally {
    await rx.close();
  }
});

test('a receiver that does not answer in time fails as a timeout; a closed port as a refused connection', async () => {
  const rx = await receiver(() => undefined);
  try {
    const started = Date.now();
    const err = await httpCallbackTransport(`${rx.url}/slow`, '{}', 200, never).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.deepEqual(describeFailure(err), { timeout: true, message: 'no response before the timeout' });
    assert.ok(Date.now() - started < 5000);
  } finally {
    await rx.close();
  }
  const err = await httpCallbackTransport(`${rx.url}/gone`, '{}', 2000, never).then(
    () => undefined,
    (e: unknown) => e,
  );
  const failure = describeFailure(err);
  assert.equal(failure.timeout, false);
  assert.match(failure.message, /ECONNREFUSED/);
});
