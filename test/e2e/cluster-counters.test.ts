/**
 * Shared counters across two services on one real Redis (docs/cluster.md "Operations"): one client address
 * spread over both nodes' Cloud APIs is rate-limited as one. Each node alone would let all of its requests
 * through (they stay under its own bucket's burst); together they pass the cluster's limit.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startService, type TestService } from '../support/service.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { signTc3 } from '../../src/control/tc3.ts';

const rate = 10;
let redis: TestRedis;
let a: TestService;
let b: TestService;

before(async () => {
  redis = await startRedis();
  const api = { rateLimitPerIpPerSecond: rate };
  a = await startService({ cluster: { redis: redis.url, nodeId: 'a' }, api });
  b = await startService({ cluster: { redis: redis.url, nodeId: 'b' }, api });
});

after(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await redis?.stop();
});

/**
 * One signed Cloud API call from 127.0.0.1 with the node's own key pair (each service has its own SQLite):
 * 'ok', or the error code (RequestLimitExceeded when refused). Signed with x-tc-action and a unique
 * x-tc-traceid, so no two calls share a signature (a replay would wait) and none is a delayed failure.
 */
async function call(node: TestService): Promise<string> {
  const key = node.service.createdCredential!;
  const payload = '{}';
  const timestampSeconds = Math.floor(Date.now() / 1000);
  const extra = { 'x-tc-action': 'DescribeLiveStreamOnlineList', 'x-tc-traceid': randomUUID() };
  const authorization = signTc3({
    extraSignedHeaders: extra,
    secretId: key.secretId,
    secretKey: key.secretKey,
    service: 'live',
    host: '127.0.0.1',
    timestampSeconds,
    payload,
  });
  const [host, port] = node.apiEndpoint.split(':');
  const headers = {
    ...extra,
    'content-type': 'application/json',
    'x-tc-version': '2018-08-01',
    'x-tc-timestamp': String(timestampSeconds),
    authorization,
  };
  const text = await new Promise<string>((resolve, reject) => {
    const req = request({ host, port: Number(port), method: 'POST', path: '/', headers }, (res) => {
      let body = '';
      res
        .setEncoding('utf8')
        .on('data', (d: string) => (body += d))
        .on('end', () => resolve(body));
    });
    req.on('error', reject).end(payload);
  });
  return (JSON.parse(text) as { Response: { Error?: { Code: string } } }).Response.Error?.Code ?? 'ok';
}

test('one address calling both nodes is limited as one: more than the per-address rate in a second is refused', async () => {
  // The cluster counts fixed one-second windows: start just after a second begins, so the calls share one.
  let refused = 0;
  for (let round = 0; round < 3 && refused === 0; round++) {
    while (Date.now() % 1000 > 50) await new Promise((resolve) => setTimeout(resolve, 5));
    const codes: string[] = [];
    // 8 calls per node: under each node's own burst of 10, 16 in all, past the cluster's 10.
    for (let i = 0; i < 16; i++) codes.push(await call(i % 2 === 0 ? a : b));
    refused = codes.filter((c) => c === 'RequestLimitExceeded').length;
    assert.ok(
      codes.slice(0, rate).every((c) => c !== 'RequestLimitExceeded'),
      `the first ${rate} pass: ${codes.join(' ')}`,
    );
    // A round that straddled a second (a slow machine) may split the calls over two windows: try again.
    if (refused === 0) await new Promise((resolve) => setTimeout(resolve, 1100));
  }
  assert.ok(refused >= 1, 'calls past the cluster-wide rate were refused');
  const counted =
    (a.service.counters.errors.get('API_ADDRESS_RATE_LIMITED') ?? 0) +
    (b.service.counters.errors.get('API_ADDRESS_RATE_LIMITED') ?? 0);
  assert.equal(counted, refused, 'each refusal counted by the node that made it');
  assert.equal(a.service.counters.errors.get('COORDINATOR_COUNTERS_UNAVAILABLE'), undefined);
});
