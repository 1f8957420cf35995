import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { LiveResponse } from './live-response.ts';

/** Runs `write` against the server side of a loopback connection and returns every byte the client read. */
async function exchange(write: (socket: Socket) => void): Promise<string> {
  const server = createServer((socket) => write(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  client.on('data', (d: Buffer) => chunks.push(d));
  await once(client, 'end');
  client.destroy();
  server.close();
  return Buffer.concat(chunks).toString('latin1');
}

const a = Buffer.from('abc');
const b = Buffer.from('de');

test('close-delimited: head with Connection: close, the body bytes as they are, then the connection ends', async () => {
  const text = await exchange((socket) => {
    const res = new LiveResponse(socket, false);
    res.head(200, { 'content-type': 'video/x-flv' });
    res.write([a, b]);
    res.write([a]);
    res.end();
  });
  assert.equal(text, 'HTTP/1.1 200 OK\r\ncontent-type: video/x-flv\r\nconnection: close\r\n\r\nabcdeabc');
});

test('chunked: one chunk per batch with its hex size, then the last chunk', async () => {
  const text = await exchange((socket) => {
    const res = new LiveResponse(socket, true);
    res.head(200, { 'content-type': 'video/x-flv' });
    res.write([a, b]);
    res.write([Buffer.alloc(0)]);
    res.write([Buffer.alloc(26, 0x78)]);
    res.end();
  });
  const body = `5\r\nabcde\r\n1a\r\n${'x'.repeat(26)}\r\n0\r\n\r\n`;
  assert.equal(text, `HTTP/1.1 200 OK\r\ncontent-type: video/x-flv\r\ntransfer-encoding: chunked\r\n\r\n${body}`);
});

test('an error before the body is a complete response with its length; nothing is written after end', async () => {
  const text = await exchange((socket) => {
    const res = new LiveResponse(socket, true);
    res.respond(404, { 'content-type': 'application/json' }, '{"code":"STREAM_NOT_FOUND"}');
    res.head(200, {});
    res.write([a]);
    assert.equal(res.writable, false);
  });
  assert.equal(
    text,
    'HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 27\r\nconnection: close\r\n\r\n{"code":"STREAM_NOT_FOUND"}',
  );
});
