/**
 * The admin API attacked from outside a real server process: a captured TC3 request replayed (also as
 * another action), a junk flood from one address while a signed client and /healthz are served, oversize
 * bodies, and the admin port's default bind (loopback only).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { liveClient, sdkError } from '../support/api-client.ts';
import { connectionErrors } from '../support/metrics.ts';
import { waitFor } from '../support/wait.ts';
import { signTc3 } from '../../src/control/tc3.ts';

let server: ServerProcess;
const key = () => ({ secretId: server.secretId!, secretKey: server.secretKey! });

before(async () => {
  server = await startServerProcess();
  assert.match(server.secretKey ?? '', /^[A-Za-z0-9]{32}$/, 'the SecretKey of the banner');
});
after(async () => {
  await server.stop();
});

/** One POST / to the admin port; returns the HTTP status and the parsed Response. */
function post(
  headers: Record<string, string>,
  body: string | Buffer,
  agent?: Agent,
): Promise<{ status: number; response: Record<string, any> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.apiPort,
        method: 'POST',
        path: '/',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(agent ? { agent } : {}),
      },
      (res) => {
        let text = '';
        res
          .setEncoding('utf8')
          .on('data', (d: string) => (text += d))
          .on('end', () => {
            try {
              resolve({
                status: res.statusCode ?? 0,
                response: (JSON.parse(text) as { Response: Record<string, any> }).Response,
              });
            } catch (err) {
              reject(
                new Error(`not a Cloud API answer (HTTP ${res.statusCode}): ${text.slice(0, 200)}`, { cause: err }),
              );
            }
          });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A request signed as Tencent's Node SDK signs it (content-type;host, host without the port): what a sniffer captures. */
function capture(action: string, body: string): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000);
  return {
    host: `127.0.0.1:${server.apiPort}`,
    'content-type': 'application/json',
    'x-tc-action': action,
    'x-tc-version': '2018-08-01',
    'x-tc-timestamp': String(ts),
    authorization: signTc3({ ...key(), service: '127', host: '127.0.0.1', timestampSeconds: ts, payload: body }),
  };
}

test('TC3 replay: the same signed request twice, or re-sent as another action, is refused; the SDK still works', async () => {
  const client = liveClient(`127.0.0.1:${server.apiPort}`, key());
  try {
    const body = '{"DomainName":"push.localhost"}';
    const captured = capture('DescribeLiveDomain', body);
    const first = await post(captured, body);
    assert.equal(first.response.Error, undefined, JSON.stringify(first.response));
    assert.equal(first.response.DomainInfo?.Name, 'push.localhost');
    const again = await post(captured, body);
    assert.equal(again.status, 200);
    assert.equal(again.response.Error?.Code, 'AuthFailure.SignatureReplay');
    assert.match(again.response.Error?.Message, /API_SIGNATURE_REPLAYED/);
    const asDelete = await post({ ...captured, 'x-tc-action': 'DeleteLiveDomain' }, body);
    assert.equal(asDelete.response.Error?.Code, 'AuthFailure.SignatureReplay', 'the unsigned action cannot be swapped');
    // A fresh signature from Tencent's own SDK works, and the domain the replay tried to delete is still there.
    const { DomainInfo } = await client.DescribeLiveDomain({ DomainName: 'push.localhost' });
    assert.equal(DomainInfo?.Name, 'push.localhost');
    const err = await sdkError(client.DescribeLiveDomain({ DomainName: 'nope.example.com' }));
    assert.equal(err.code, 'ResourceNotFound.DomainNotExist', 'the SDK reads our codes');
    assert.ok((await connectionErrors(`http://127.0.0.1:${server.httpPort}`, 'API_SIGNATURE_REPLAYED')) >= 2);
  } finally {
    client.close();
  }
});

test('1000 junk requests from 127.0.0.2 are rate-limited before the signature while a signed client and /healthz are served', async () => {
  const junkAgent = new Agent({ keepAlive: true, maxSockets: 10, localAddress: '127.0.0.2' });
  const client = liveClient(`127.0.0.1:${server.apiPort}`, key());
  const healthz: number[] = [];
  let flooding = true;
  const probe = (async () => {
    while (flooding) {
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${server.httpPort}/healthz`);
      await res.arrayBuffer();
      assert.equal(res.status, 200);
      healthz.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const signed = (async () => {
    const answers: string[] = [];
    for (let i = 0; flooding || i < 5; i++) {
      // Distinct bodies: the SDK signs only content-type;host, so equal bodies in one second would share a signature.
      const res = await client.DescribeLiveDomains({ PageNum: 1, PageSize: 10 + (i % 90) }).then(
        () => 'ok',
        (err: { code?: string }) => err.code ?? 'error',
      );
      answers.push(res);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return answers;
  })();
  try {
    const junkAuth =
      'TC3-HMAC-SHA256 Credential=AKIDjunkjunkjunkjunkjunkjunkjunkjunk/2026-12-01/live/tc3_request, SignedHeaders=content-type;host, Signature=' +
      '0'.repeat(64);
    const headers = {
      'content-type': 'application/json',
      'x-tc-action': 'DeleteLiveDomain',
      'x-tc-version': '2018-08-01',
      'x-tc-timestamp': String(Math.floor(Date.now() / 1000)),
      authorization: junkAuth,
    };
    const started = performance.now();
    const codes = new Map<string, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < 1000) {
          next++;
          const { status, response } = await post(headers, '{"DomainName":"push.localhost"}', junkAgent);
          assert.equal(status, 200);
          const code = String(response.Error?.Code);
          codes.set(code, (codes.get(code) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const limited = codes.get('RequestLimitExceeded') ?? 0;
    // 50 per second (burst 50) pass to verification; everything else is refused before it.
    assert.ok(
      limited >= 1000 - 50 * (1 + seconds) - 10,
      `${limited} of 1000 rate-limited in ${seconds.toFixed(1)} s: ${JSON.stringify([...codes])}`,
    );
    assert.deepEqual(
      [...codes.keys()].filter((c) => c !== 'RequestLimitExceeded'),
      ['AuthFailure.SecretIdNotFound'],
    );
    assert.ok(seconds < 30, `the flood was answered in ${seconds.toFixed(1)} s`);
    flooding = false;
    const answers = await signed;
    assert.ok(
      answers.length >= 5 && answers.every((a) => a === 'ok'),
      `the signed client from 127.0.0.1: ${answers.join(',')}`,
    );
    await probe;
    assert.ok(healthz.length > 3);
    assert.ok(Math.max(...healthz) < 200, `/healthz took up to ${Math.max(...healthz).toFixed(0)} ms`);
    assert.ok((await connectionErrors(`http://127.0.0.1:${server.httpPort}`, 'API_ADDRESS_RATE_LIMITED')) >= limited);
    const domain = await client.DescribeLiveDomain({ DomainName: 'push.localhost' });
    assert.equal(domain.DomainInfo?.Name, 'push.localhost');
  } finally {
    flooding = false;
    junkAgent.destroy();
    client.close();
  }
});

test('bodies over api.maxBodyBytes (64 KiB) get RequestSizeLimitExceeded; the server stays healthy', async () => {
  for (const size of [65 * 1024, 2 * 1024 * 1024]) {
    const body = JSON.stringify({ DomainName: 'x'.repeat(size) });
    const { status, response } = await post(capture('DescribeLiveDomain', body), body);
    assert.equal(status, 200);
    assert.equal(response.Error?.Code, 'RequestSizeLimitExceeded', `${size} bytes`);
    assert.match(response.Error?.Message, /API_BODY_TOO_LARGE/);
  }
  assert.equal((await fetch(`http://127.0.0.1:${server.httpPort}/healthz`)).status, 200);
  assert.ok((await connectionErrors(`http://127.0.0.1:${server.httpPort}`, 'API_BODY_TOO_LARGE')) >= 2);
});

test('by default the admin port listens on loopback only: not reachable on another address of this machine', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'openlive-api-bind-'));
  // No --api.host: the default decides.
  const args = [
    new URL('../../src/main.ts', import.meta.url).pathname,
    '--data-dir',
    dataDir,
    '--rtmp.host',
    '127.0.0.1',
    '--rtmp.port',
    '0',
    '--http.host',
    '127.0.0.1',
    '--http.port',
    '0',
    '--api.port',
    '0',
    '--log.level',
    'warn',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  try {
    await waitFor('the banner', () => /Health http:\/\//.test(out) || child.exitCode !== null, 30_000);
    const port = Number(/API :(\d+)/.exec(out)?.[1]);
    assert.ok(port > 0, out);
    assert.match(
      out,
      /listens on 127\.0\.0\.1 only; to open it to the network: --api\.host 0\.0\.0\.0 or OPENLIVE_API__HOST=0\.0\.0\.0/,
    );
    assert.doesNotMatch(out, /without TLS/, 'no exposure warning on loopback');
    // The kernel's own table: the one listening socket on that port is bound to 127.0.0.1.
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const listening = readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .filter((l) => / 0A /.test(l) && l.includes(`:${hexPort} `));
    assert.deepEqual(
      listening.map((l) => l.trim().split(/\s+/)[1]),
      [`0100007F:${hexPort}`],
    );
    assert.ok(
      !readFileSync('/proc/net/tcp6', 'utf8')
        .split('\n')
        .some((l) => / 0A /.test(l) && l.includes(`:${hexPort} `)),
      'no IPv6 wildcard either',
    );
    assert.equal(await reachable('127.0.0.1', port), true);
    const other = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (other) assert.equal(await reachable(other, port), false, `${other}:${port} must refuse`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('opened with --api.host 0.0.0.0 the start logs the warning that the admin port has no TLS', async () => {
  const opened = await startServerProcess(['--api.host', '0.0.0.0']);
  try {
    assert.match(opened.output(), /admin listener \(Cloud API and console\) binds 0\.0\.0\.0 without TLS/);
    assert.match(opened.output(), /reachable from the network over plain HTTP/);
  } finally {
    await opened.stop();
  }
});

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}
