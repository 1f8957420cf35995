import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { PlayAdmission } from '../../control/admission-play.ts';
import { allowAll } from '../../control/access.ts';
import { testHub } from '../../hub/hub-test-kit.ts';
import { createLog } from '../../log.ts';
import { configSchema } from '../../config/config-schema.ts';
import { ServerCounters } from '../counters.ts';
import { buildHttpApp } from './app.ts';
import { frameworkRefusal } from './error-reply.ts';

/** The playback app on a loopback port, with a fake-clock hub (a waiting player waits until it leaves). */
async function playback(http: Record<string, unknown> = {}, webrtc?: { server: undefined; maxSdpBytes: number }) {
  const { hub } = testHub();
  const counters = new ServerCounters();
  const limits = configSchema.parse({ http }).http;
  const app = buildHttpApp({
    hub,
    admission: new PlayAdmission({ access: allowAll }),
    counters,
    log: createLog('silent'),
    playWaitMs: 10_000,
    flvChunked: false,
    limits,
    trustedNetworks: ['127.0.0.9'],
    webrtc,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return { hub, counters, app, base, port: (app.server.address() as { port: number }).port };
}

/** Sends a raw request and returns the socket and what came back so far. */
async function raw(port: number, request: string, localAddress = '127.0.0.1'): Promise<Socket & { text(): string }> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  await once(socket, 'connect');
  let text = '';
  socket.setEncoding('latin1').on('data', (d: string) => (text += d));
  socket.on('error', () => {});
  socket.write(request);
  return Object.assign(socket, { text: () => text });
}

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const until = async (what: string, cond: () => boolean | Promise<boolean>): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

test('HTTP-FLV players waiting for a publisher are capped per address; one that leaves frees its wait at once', async () => {
  const { app, base, port, hub, counters } = await playback({ maxWaitingPlayersPerIp: 2 });
  try {
    const waiting = [
      await raw(port, 'GET /live/none.flv HTTP/1.1\r\nHost: x\r\n\r\n'),
      await raw(port, 'GET /live/other.flv HTTP/1.1\r\nHost: x\r\n\r\n'),
    ];
    await until('two players wait', async () => (await metric(base, 'openlive_http_flv_waiting_players')) === 2);
    const refused = await fetch(`${base}/live/third.flv`);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.equal(((await refused.json()) as { code: string }).code, 'FLV_WAITERS_PER_IP');
    assert.equal(counters.errors.get('FLV_WAITERS_PER_IP'), 1);
    const trusted = await raw(port, 'GET /live/none.flv HTTP/1.1\r\nHost: x\r\n\r\n', '127.0.0.9');
    await until(
      'the trusted player waits',
      async () => (await metric(base, 'openlive_http_flv_waiting_players')) === 3,
    );
    for (const s of waiting) s.destroy();
    await until('the waits are freed', async () => (await metric(base, 'openlive_http_flv_waiting_players')) === 1);
    assert.equal(hub.stats().subscribers, 1, 'the gone players left the hub');
    assert.equal(hub.get('live/other'), undefined, 'and the stream entry they created');
    trusted.destroy();
    await until('no player waits', async () => (await metric(base, 'openlive_http_flv_waiting_players')) === 0);
  } finally {
    await app.close();
  }
});

test('the total of waiting HTTP-FLV players is capped with 503 FLV_WAITERS_FULL', async () => {
  const { app, base, port } = await playback({ maxWaitingPlayers: 1 });
  try {
    const first = await raw(port, 'GET /live/a.flv HTTP/1.1\r\nHost: x\r\n\r\n');
    await until('one waits', async () => (await metric(base, 'openlive_http_flv_waiting_players')) === 1);
    const full = await fetch(`${base}/live/b.flv`);
    assert.equal(full.status, 503);
    assert.equal(((await full.json()) as { code: string }).code, 'FLV_WAITERS_FULL');
    first.destroy();
  } finally {
    await app.close();
  }
});

test('hostile paths and queries get a clear 4xx with a code, and the server keeps answering', async () => {
  const { app, base, port } = await playback();
  try {
    const expect = async (path: string, status: number, code?: string) => {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, status, path.slice(0, 80));
      const body = (await res.json()) as { code: string };
      if (code) assert.equal(body.code, code, path.slice(0, 80));
    };
    await expect('/live/a%2Fb.flv', 404, 'STREAM_NOT_FOUND');
    await expect('/live/..%2F..%2Fetc%2Fpasswd.m3u8', 404, 'STREAM_NOT_FOUND');
    await expect('/%2e%2e/%2e%2e.flv', 404);
    await expect('/live/../../etc/passwd', 404);
    await expect('/live/cam/..%2F..%2Fx_1.ts', 404);
    await expect('/live/%00.flv', 404);
    await expect(`/live/${'a'.repeat(250)}.m3u8`, 404, 'STREAM_NOT_FOUND');
    await expect(`/live/${'a'.repeat(300)}.flv`, 404, 'STREAM_NOT_FOUND');
    await expect('/live/%zz.flv', 400, 'HTTP_BAD_REQUEST');
    await expect(`/live/cam.flv?${'a=1&'.repeat(1000)}`, 414, 'HTTP_QUERY_TOO_LARGE');
    await expect(`/live/cam.m3u8?x=${'%41'.repeat(2000)}`, 414, 'HTTP_QUERY_TOO_LARGE');
    const withBody = await raw(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc');
    await once(withBody, 'close');
    assert.match(withBody.text(), /^HTTP\/1.1 413 .*HTTP_BODY_TOO_LARGE/s);
    const huge = await raw(port, `GET /live/cam.flv?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await once(huge, 'close');
    assert.match(huge.text(), /^HTTP\/1.1 431 .*HTTP_HEADERS_TOO_LARGE/s);
    const started = performance.now();
    await expect('/healthz', 200);
    assert.ok(performance.now() - started < 1000);
    assert.ok((await metric(base, 'openlive_http_connections')) >= 1, 'the scrape itself is counted');
  } finally {
    await app.close();
  }
});

test('fastify refusals of a WHIP/WHEP body answer with our stable codes, never an FST_ERR_* code', async () => {
  // webrtc.enabled false: the routes still parse the body first, as with webrtc on.
  const { app, base } = await playback({}, { server: undefined, maxSdpBytes: 1000 });
  try {
    const post = async (path: string, type: string | undefined, body: string, method = 'POST') => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: type ? { 'content-type': type } : {},
        body: new TextEncoder().encode(body),
      });
      return {
        status: res.status,
        cors: res.headers.get('access-control-allow-origin'),
        ...((await res.json()) as { code: string }),
      };
    };
    const unsupported = { status: 415, cors: '*', code: 'HTTP_UNSUPPORTED_MEDIA_TYPE' };
    const pick = ({ status, cors, code }: { status: number; cors: string | null; code: string }) => ({
      status,
      cors,
      code,
    });
    assert.deepEqual(pick(await post('/live/cam/whep', 'text/html', 'v=0')), unsupported);
    assert.deepEqual(pick(await post('/live/cam/whip', undefined, 'v=0')), unsupported);
    assert.deepEqual(pick(await post('/webrtc/session/abc', 'text/html', 'x', 'PATCH')), unsupported);
    const bad = { status: 400, cors: '*', code: 'HTTP_BAD_REQUEST' };
    assert.deepEqual(pick(await post('/live/cam/whep', 'application/json', '{bad')), bad);
    assert.deepEqual(pick(await post('/live/cam/whep', 'application/json', '')), bad);
    // The offer's own size limit keeps its WebRTC code; a proper offer reaches the route.
    assert.equal((await post('/live/cam/whep', 'application/sdp', 'v=0'.padEnd(2000, ' '))).code, 'WEBRTC_SDP_INVALID');
    assert.equal((await post('/live/cam/whep', 'application/sdp', 'v=0\r\n')).code, 'WEBRTC_DISABLED');
  } finally {
    await app.close();
  }
});

test('frameworkRefusal: a body over a route limit is 413 HTTP_BODY_TOO_LARGE; our errors and 5xx are left alone', () => {
  const big = { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413, message: 'Request body is too large' };
  assert.equal(frameworkRefusal(big)?.code, 'HTTP_BODY_TOO_LARGE');
  assert.equal(frameworkRefusal({ code: 'STREAM_NOT_FOUND', statusCode: 404, message: 'x' }), undefined);
  assert.equal(frameworkRefusal({ code: 'FST_ERR_REP_ALREADY_SENT', statusCode: 500, message: 'x' }), undefined);
});

test('/metrics: every series carries the node label when the app is given its node id', async () => {
  const { hub } = testHub();
  const limits = configSchema.parse({}).http;
  const app = buildHttpApp({
    hub,
    admission: new PlayAdmission({ access: allowAll }),
    counters: new ServerCounters(),
    log: createLog('silent'),
    playWaitMs: 1000,
    flvChunked: false,
    limits,
    trustedNetworks: [],
    nodeId: 'node-a',
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const text = await (
      await fetch(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/metrics`)
    ).text();
    const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    assert.ok(samples.length > 20, 'a few dozen series');
    for (const line of samples) assert.match(line, /\{(?:[^}]*,)?node="node-a"[,}]/, line);
    assert.ok(samples.some((l) => l.startsWith('openlive_publishers{node="node-a"} ')));
    // prom-client's process and Node.js metrics, under openlive_ once (not openlive_process_process_).
    assert.ok(samples.some((l) => l.startsWith('openlive_process_resident_memory_bytes{')));
    assert.ok(samples.some((l) => l.startsWith('openlive_nodejs_heap_size_used_bytes{')));
    assert.ok(!samples.some((l) => /^openlive_process_(process|nodejs)_/.test(l)), 'a doubled prefix');
  } finally {
    await app.close();
  }
});
