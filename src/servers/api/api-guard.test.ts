import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { configSchema } from '../../config/config-schema.ts';
import { Credentials } from '../../control/credentials.ts';
import { signTc3 } from '../../control/tc3.ts';
import { createLog } from '../../log.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { ServerCounters } from '../counters.ts';
import { ApiGuard, replayCode } from './api-guard.ts';
import { MemoryCluster, MemoryCoordinator } from '../../cluster/memory-coordinator.ts';
import { apiKit, type ApiKit } from './api-test-kit.ts';

const probe = () => ({ Echo: async (params: Readonly<Record<string, unknown>>) => ({ Params: params }) });

/** A request signed once, as Tencent's SDK signs it (content-type;host), to be sent as is any number of times. */
function captured(kit: ApiKit, action: string, body = '{}') {
  const ts = Math.floor(kit.clock / 1000);
  const headers = {
    'content-type': 'application/json',
    host: 'localhost:8081',
    'x-tc-action': action,
    'x-tc-version': '2018-08-01',
    'x-tc-timestamp': String(ts),
    authorization: signTc3({
      secretId: kit.key.secretId,
      secretKey: kit.key.secretKey,
      service: 'live',
      host: 'localhost',
      timestampSeconds: ts,
      payload: body,
    }),
  };
  return async (over: Record<string, string> = {}, remoteAddress = '127.0.0.1') => {
    const res = await kit.app.inject({
      method: 'POST',
      url: '/',
      headers: { ...headers, ...over },
      payload: body,
      remoteAddress,
    });
    assert.equal(res.statusCode, 200);
    return (res.json() as { Response: Record<string, any> }).Response;
  };
}

test('TC3 replay: a signature is accepted once; again, or as another action, it is AuthFailure.SignatureReplay; a fresh one works', async (t) => {
  const kit = await apiKit({ config: { api: { rateLimitPerSecond: 2 } } });
  t.after(() => kit.close());
  const send = captured(kit, 'DescribeLiveDomains', '{"PageNum":1,"PageSize":10}');
  assert.equal((await send()).Error, undefined);
  const again = await send();
  assert.equal(again.Error?.Code, replayCode);
  assert.match(again.Error?.Message, /API_SIGNATURE_REPLAYED/);
  assert.equal(
    (await send({ 'x-tc-action': 'DeleteLiveDomain' })).Error?.Code,
    replayCode,
    'the action is not signed, the signature is',
  );
  assert.equal((await send({}, '10.9.9.9')).Error?.Code, replayCode, 'from another address too');
  assert.equal(kit.counters.errors.get('API_SIGNATURE_REPLAYED'), 3);
  // The replays did not spend the key's quota (2 per second): two fresh calls still pass.
  assert.equal((await kit.call('DescribeLiveDomains', { PageNum: 1, PageSize: 10 })).Error, undefined);
  assert.equal(
    (await kit.call('DescribeLiveDomains', { PageNum: 1, PageSize: 10 })).Error?.Code,
    'RequestLimitExceeded',
  );
  kit.clock += 301_000;
  assert.equal(
    (await send()).Error?.Code,
    'AuthFailure.SignatureExpire',
    'after its window the capture is merely expired',
  );
});

test('SDK-style signing: two calls with one body in one second share a signature; the next second is fresh', async (t) => {
  const kit = await apiKit({ actions: probe });
  t.after(() => kit.close());
  assert.equal((await kit.call('Echo', {}, { sdkSigning: true })).Error, undefined);
  assert.equal((await kit.call('Echo', {}, { sdkSigning: true })).Error?.Code, replayCode);
  assert.equal(
    (await kit.call('Echo', { Other: 1 }, { sdkSigning: true })).Error,
    undefined,
    'another body, another signature',
  );
  assert.equal(
    (await kit.call('Echo')).Error,
    undefined,
    'x-tc-action and a unique x-tc-traceid signed: never a collision',
  );
  assert.equal((await kit.call('Echo')).Error, undefined);
  kit.clock += 1000;
  assert.equal((await kit.call('Echo', {}, { sdkSigning: true })).Error, undefined);
});

test('a full replay cache refuses new signed calls with RequestLimitExceeded until signatures expire', async (t) => {
  const kit = await apiKit({ actions: probe, config: { api: { replayCacheMaxEntries: 2 } } });
  t.after(() => kit.close());
  assert.equal((await kit.call('Echo')).Error, undefined);
  assert.equal((await kit.call('Echo')).Error, undefined);
  const full = await kit.call('Echo');
  assert.equal(full.Error?.Code, 'RequestLimitExceeded');
  assert.match(full.Error?.Message, /API_REPLAY_CACHE_FULL/);
  kit.clock += 301_000;
  assert.equal((await kit.call('Echo')).Error, undefined);
});

test("the per-address limit applies before the signature: junk spends its sender's quota, not the signer's", async (t) => {
  const kit = await apiKit({ actions: probe, config: { api: { rateLimitPerIpPerSecond: 3 } } });
  t.after(() => kit.close());
  const junk = async (remoteAddress: string) =>
    (
      await kit.app.inject({
        method: 'POST',
        url: '/',
        headers: { authorization: 'x', 'content-type': 'application/json' },
        payload: '{}',
        remoteAddress,
      })
    ).json().Response.Error.Code;
  const codes = [];
  for (let i = 0; i < 10; i++) codes.push(await junk('10.0.0.2'));
  assert.deepEqual(codes, [
    ...Array(3).fill('AuthFailure.InvalidAuthorization'),
    ...Array(7).fill('RequestLimitExceeded'),
  ]);
  assert.equal(kit.counters.errors.get('API_AUTH_FAILED'), 3, 'refused junk never reached verification');
  assert.equal(kit.counters.errors.get('API_ADDRESS_RATE_LIMITED'), 7);
  assert.equal(
    (await kit.call('Echo', {}, { remoteAddress: '10.0.0.3' })).Error,
    undefined,
    'another address is served',
  );
  assert.equal(await junk('2001:db8::1'), 'AuthFailure.InvalidAuthorization');
  for (let i = 0; i < 2; i++) await junk(`2001:db8::${i + 2}`);
  assert.equal(await junk('2001:db8::ffff'), 'RequestLimitExceeded', 'an IPv6 /64 is one address');
  kit.clock += 1000;
  assert.equal(await junk('10.0.0.2'), 'AuthFailure.InvalidAuthorization', 'refilled after a second');
});

test('repeated authentication failures from one address are answered after a random 100-600 ms delay', async (t) => {
  const kit = await apiKit({ actions: probe });
  t.after(() => kit.close());
  for (let i = 0; i < 5; i++)
    assert.equal((await kit.call('Echo', {}, { secretKey: 'wrong' })).Error?.Code, 'AuthFailure.SignatureFailure');
  assert.equal(kit.delays.length, 3, 'from the third failure on');
  assert.ok(
    kit.delays.every((ms) => ms >= 100 && ms <= 600),
    String(kit.delays),
  );
  assert.equal((await kit.call('Echo')).Error, undefined, 'the right key is not delayed');
  assert.equal(kit.delays.length, 3);
});

test('at most api.maxDelayedFailures failures wait at once, api.maxDelayedFailuresPerIp per address; the rest are answered without delay', async () => {
  const store = new MemoryStore();
  const credentials = new Credentials({ store, dataKey: randomBytes(32), now: () => 0 });
  const config = configSchema.parse({
    api: { maxDelayedFailures: 3, maxDelayedFailuresPerIp: 2 },
    log: { level: 'silent' },
  });
  const counters = new ServerCounters();
  const guard = new ApiGuard({
    config,
    credentials,
    now: () => 0,
    log: createLog('silent'),
    counters,
    sleep: () => new Promise<void>(() => {}),
  });
  const req = { method: 'POST', path: '/', query: '', headers: { authorization: 'junk' }, body: Buffer.alloc(0) };
  const settled: string[] = [];
  for (let i = 0; i < 10; i++)
    guard.authenticate(req, '10.0.0.9', `r${i}`).catch((err: { code: string }) => settled.push(err.code));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(guard.delayed, 2, 'two per address');
  assert.equal(settled.length, 8, 'two before the threshold, six past the cap');
  for (let i = 0; i < 6; i++)
    guard.authenticate(req, `10.0.1.${i}`, `o${i}`).catch((err: { code: string }) => settled.push(err.code));
  for (let i = 0; i < 6; i++)
    guard.authenticate(req, '10.0.2.1', `p${i}`).catch((err: { code: string }) => settled.push(err.code));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(guard.delayed, 3, 'three in all');
  assert.equal(settled.length, 8 + 6 + 5);
  assert.equal(counters.errors.get('API_AUTH_FAILED'), 22);
});

test('with shared counters, one address spread over two nodes is rate-limited as one; an unreachable Coordinator falls back to the local bucket, counted', async () => {
  const config = configSchema.parse({ api: { rateLimitPerIpPerSecond: 4 } });
  const cluster = new MemoryCluster(() => 0);
  const node = (nodeId: string, sharedCounters?: ConstructorParameters<typeof ApiGuard>[0]['sharedCounters']) => {
    const counters = new ServerCounters();
    const guard = new ApiGuard({
      config,
      credentials: {} as Credentials,
      now: () => 0,
      log: createLog('silent'),
      counters,
      sharedCounters:
        sharedCounters ?? new MemoryCoordinator({ cluster, nodeId, advertise: () => '', leaseMs: 5000 }).counters,
    });
    return { guard, counters };
  };
  const [a, b] = [node('a'), node('b')];
  const flush = () => new Promise((resolve) => setImmediate(resolve));
  const answers: string[] = [];
  for (let i = 0; i < 8; i++) {
    try {
      (i % 2 === 0 ? a : b).guard.admit('198.51.100.7');
      answers.push('ok');
    } catch (err) {
      answers.push((err as { code?: string }).code ?? String(err));
    }
    await flush();
  }
  // Each node alone would take 4 (its bucket's burst); together the cluster lets 4 through, plus at most one
  // per other node whose latest add the asking node had not heard of yet, and refuses the rest.
  assert.deepEqual(answers, [
    'ok',
    'ok',
    'ok',
    'ok',
    'ok',
    'RequestLimitExceeded',
    'RequestLimitExceeded',
    'RequestLimitExceeded',
  ]);
  assert.equal(a.counters.errors.get('API_ADDRESS_RATE_LIMITED'), 1);
  assert.equal(b.counters.errors.get('API_ADDRESS_RATE_LIMITED'), 2);

  const down = node('c', {
    increment: () => Promise.reject(new Error('down')),
    count: () => Promise.reject(new Error('down')),
  });
  for (let i = 0; i < 4; i++) down.guard.admit('198.51.100.8');
  assert.throws(
    () => down.guard.admit('198.51.100.8'),
    { code: 'RequestLimitExceeded' },
    'the local bucket still limits',
  );
  await flush();
  assert.equal(down.counters.errors.get('COORDINATOR_COUNTERS_UNAVAILABLE'), 5);
});
