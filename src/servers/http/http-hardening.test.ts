import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import Fastify, { type FastifyInstance } from 'fastify';
import { hardenHttpServer, httpGuardOf, markLongLived, type HttpListenerLimits } from './http-hardening.ts';

const limits: HttpListenerLimits = {
  headersTimeoutMs: 500,
  requestTimeoutMs: 1000,
  keepAliveTimeoutMs: 300,
  connectionTimeoutMs: 700,
  maxHeaderBytes: 2048,
  maxConnections: 50,
  maxConnectionsPerIp: 3,
};

/** A hardened app with a quick route, one that never answers, and a hijacked live body. */
async function server(
  l: Partial<HttpListenerLimits> = {},
  trusted: string[] = [],
): Promise<{ app: FastifyInstance; port: number }> {
  const app = Fastify();
  hardenHttpServer(app, 'test', { ...limits, ...l }, trusted);
  app.get('/ok', () => ({ ok: true }));
  app.post('/ok', (req) => ({ got: (req.body as { n?: number }).n }));
  app.get('/never', () => new Promise(() => {}));
  app.get('/live', (req, reply) => {
    reply.hijack();
    const socket = req.raw.socket;
    markLongLived(socket);
    socket.write('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n');
    const timer = setInterval(() => socket.write('x'), 100);
    socket.on('close', () => clearInterval(timer));
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as { port: number }).port };
}

/** A raw socket that collects what it reads and records when it closed. */
async function rawSocket(
  port: number,
  localAddress = '127.0.0.1',
): Promise<Socket & { text(): string; closedAt(): Promise<number> }> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  await once(socket, 'connect');
  let text = '';
  socket.setEncoding('latin1').on('data', (d: string) => (text += d));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  return Object.assign(socket, { text: () => text, closedAt: () => closed });
}

test('a dripped request head (slowloris) is cut with 408 HTTP_REQUEST_TIMEOUT after headersTimeoutMs', async () => {
  const { app, port } = await server();
  try {
    const s = await rawSocket(port);
    const started = Date.now();
    s.write('GET /ok HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => s.write('X-a: b\r\n'), 100);
    const closedAt = await s.closedAt();
    clearInterval(drip);
    assert.ok(closedAt - started >= 450, `cut after ${closedAt - started} ms, not before the timeout`);
    assert.match(s.text(), /^HTTP\/1.1 408 Request Timeout\r\n/);
    assert.match(s.text(), /"code":"HTTP_REQUEST_TIMEOUT"/);
    assert.equal(httpGuardOf(app)!.errors.get('HTTP_REQUEST_TIMEOUT'), 1);
  } finally {
    await app.close();
  }
});

test('a dripped body is cut after requestTimeoutMs; a prompt one is served', async () => {
  const { app, port } = await server();
  try {
    const ok = await fetch(`http://127.0.0.1:${port}/ok`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"n":7}',
    });
    assert.deepEqual(await ok.json(), { got: 7 });
    const s = await rawSocket(port);
    s.write('POST /ok HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    const drip = setInterval(() => s.write(' '), 100);
    await s.closedAt();
    clearInterval(drip);
    assert.match(s.text(), /HTTP\/1.1 408/);
    assert.equal(httpGuardOf(app)!.errors.get('HTTP_REQUEST_TIMEOUT'), 1);
  } finally {
    await app.close();
  }
});

test('a head over maxHeaderBytes gets 431 HTTP_HEADERS_TOO_LARGE; garbage gets 400 HTTP_BAD_REQUEST', async () => {
  const { app, port } = await server();
  try {
    const big = await rawSocket(port);
    big.write(`GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`);
    await big.closedAt();
    assert.match(big.text(), /^HTTP\/1.1 431 /);
    assert.match(big.text(), /"code":"HTTP_HEADERS_TOO_LARGE"/);
    const bad = await rawSocket(port);
    bad.write('\x16\x03\x01 not http\r\n\r\n');
    await bad.closedAt();
    assert.match(bad.text(), /^HTTP\/1.1 400 .*"code":"HTTP_BAD_REQUEST"/s);
    const g = httpGuardOf(app)!;
    assert.equal(g.errors.get('HTTP_HEADERS_TOO_LARGE'), 1);
    assert.equal(g.errors.get('HTTP_BAD_REQUEST'), 1);
  } finally {
    await app.close();
  }
});

test('the per-address cap closes the next socket of that address at once; others and trusted ones are admitted', async () => {
  const { app, port } = await server({}, ['127.0.0.3']);
  try {
    const held = [await rawSocket(port), await rawSocket(port), await rawSocket(port)];
    const refused = await rawSocket(port);
    await refused.closedAt();
    assert.equal(refused.text(), '', 'closed without a reply');
    const other = await fetch(`http://127.0.0.1:${port}/ok`).catch((err: unknown) => err);
    assert.ok(other instanceof Error, 'a fourth connection from 127.0.0.1 is refused too');
    const fromOther = await rawSocket(port, '127.0.0.2');
    fromOther.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(fromOther, 'data');
    assert.match(fromOther.text(), /^HTTP\/1.1 200 /);
    const trusted = await Promise.all([1, 2, 3, 4, 5].map(() => rawSocket(port, '127.0.0.3')));
    trusted[4]!.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(trusted[4]!, 'data');
    const g = httpGuardOf(app)!;
    assert.ok((g.errors.get('HTTP_CONNECTION_LIMIT_PER_IP') ?? 0) >= 1);
    assert.equal(g.open, 3 + 1 + 5);
    assert.equal(g.addresses, 3);
    for (const s of [...held, fromOther, ...trusted]) s.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(g.open, 0, 'every slot is released when its socket closes');
  } finally {
    await app.close();
  }
});

test('the total cap holds for every address', async () => {
  const { app, port } = await server({ maxConnections: 2, maxConnectionsPerIp: 0 });
  try {
    const held = [await rawSocket(port), await rawSocket(port, '127.0.0.2')];
    const refused = await rawSocket(port, '127.0.0.3');
    await refused.closedAt();
    assert.equal(httpGuardOf(app)!.errors.get('HTTP_CONNECTION_LIMIT'), 1);
    for (const s of held) s.destroy();
  } finally {
    await app.close();
  }
});

test('a live body outlives every timeout; a response that never comes is cut as HTTP_IDLE_TIMEOUT; idle keep-alive is not counted', async () => {
  const { app, port } = await server();
  try {
    const live = await rawSocket(port);
    live.write('GET /live HTTP/1.1\r\nHost: x\r\n\r\n');
    const never = await rawSocket(port);
    never.write('GET /never HTTP/1.1\r\nHost: x\r\n\r\n');
    const idle = await rawSocket(port);
    idle.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n');
    await never.closedAt();
    await idle.closedAt();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(live.destroyed, false, 'the live body is still flowing past requestTimeoutMs and connectionTimeoutMs');
    assert.ok(live.text().length > 20);
    assert.match(idle.text(), /^HTTP\/1.1 200 /);
    assert.equal(never.text(), '');
    const g = httpGuardOf(app)!;
    assert.equal(g.errors.get('HTTP_IDLE_TIMEOUT'), 1, 'only the request whose response never came');
    live.destroy();
  } finally {
    await app.close();
  }
});

test('headersTimeoutMs above requestTimeoutMs is a configuration error', () => {
  assert.throws(
    () => hardenHttpServer(Fastify(), 'test', { ...limits, headersTimeoutMs: 2000, requestTimeoutMs: 1000 }, []),
    { code: 'CONFIG_INVALID' },
  );
});

test('close() does not wait for a dripping request head; a response in flight finishes', async () => {
  const { app, port } = await server({
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 10_000,
    connectionTimeoutMs: 10_000,
  });
  const dripping = await rawSocket(port);
  dripping.write('GET /ok HTTP/1.1\r\nHost: x\r\n');
  const started = Date.now();
  await app.close();
  await dripping.closedAt();
  assert.ok(Date.now() - started < 2000, `closed in ${Date.now() - started} ms`);
});
