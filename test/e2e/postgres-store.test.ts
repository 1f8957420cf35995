/**
 * The PostgreSQL store against a real PostgreSQL (test/support/postgres-server.ts): the same conformance
 * suites as SQLite, one database per store, plus what only PostgreSQL has: node ids on rows, leased callback
 * deliveries, the schema version check, sealed keys and writes that wait while the server is down.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import pg from 'pg';
import { storeConformance, sampleDomain } from '../store-conformance.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { postgresLatestVersion } from '../../src/store/postgres-migrations.ts';
import { unseal } from '../../src/store/sealing.ts';
import { postgresBin, startPostgres, type PostgresServer } from '../support/postgres-server.ts';

const skip = postgresBin() === undefined ? 'PostgreSQL is not installed (scripts/test.sh installs it)' : false;
let server: PostgresServer;
// One PostgreSQL for the file, one database per store; stopped (and its folder removed) at the end.
before(async () => {
  if (!skip) server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

describe('PostgreSQL store', { skip }, () => {
  storeConformance('postgres', async () => {
    const store = new PostgresStore({ url: await server.createDatabase(), poolSize: 4 });
    await store.ready();
    return store;
  });
  storeConformance('postgres (sealed keys)', async () => {
    const store = new PostgresStore({ url: await server.createDatabase(), poolSize: 4, dataKey: randomBytes(32) });
    await store.ready();
    return store;
  });
});

const end = { endedAt: 2000, breakCode: '1/0', reason: 'stopped', bytesIn: 1 };
const rec = (stream: string) => ({
  domain: 'd.example.com',
  app: 'live',
  stream,
  clientIp: '10.0.0.1',
  startedAt: 1000,
});
const push = (sequence: string) => ({
  sequence,
  url: 'http://hooks.example.com/end',
  callbackKey: 'k3y',
  appId: 1,
  domain: 'd.example.com',
  app: 'live',
  stream: 's',
  clientIp: '10.0.0.1',
  serverIp: '127.0.0.1',
  query: '',
  width: 0,
  height: 0,
  startedAt: 1000,
});
const delivery = (sequence: string) => ({
  eventType: 1,
  eventTime: 1000,
  stream: 's',
  sequence,
  url: 'http://hooks.example.com/begin',
  body: '{}',
  createdAt: 1000,
  nextAt: 1000,
});

describe('PostgreSQL store in a cluster', { skip }, () => {
  let url: string;
  const stores: PostgresStore[] = [];
  const clock = { a: 1000, b: 1000 };
  const open = async (
    nodeId: 'a' | 'b',
    extra: Partial<ConstructorParameters<typeof PostgresStore>[0]> = {},
  ): Promise<PostgresStore> => {
    const store = new PostgresStore({
      url,
      nodeId,
      poolSize: 2,
      callbackLeaseMs: 10_000,
      now: () => clock[nodeId],
      ...extra,
    });
    stores.push(store);
    await store.ready();
    return store;
  };
  before(async () => {
    url = await server.createDatabase();
  });
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  test("a node closes only its own open publish records; another closes a dead node's by its id", async () => {
    const a = await open('a');
    const b = await open('b');
    const ra = await a.addPublishRecord(rec('on-a'));
    const rb = await b.addPublishRecord(rec('on-b'));
    assert.deepEqual(await a.listOpenPublishNodes(), ['a', 'b'], 'both nodes own an open session');
    assert.equal(await b.endOpenPublishRecords(end), 1);
    assert.equal((await a.getPublishRecord(ra))?.endedAt, null, "b left a's session open");
    assert.equal((await a.getPublishRecord(rb))?.endedAt, 2000);
    assert.equal(
      await b.endOpenPublishRecords({ ...end, breakCode: '21/100' }, 'a'),
      1,
      "a's lease expired: b closes its records",
    );
    assert.equal((await b.getPublishRecord(ra))?.breakCode, '21/100');
    assert.equal((await a.listPublishRecords({ open: true })).total, 0);
    assert.deepEqual(await a.listOpenPublishNodes(), []);
  });

  test('open pushes are replayed only by their node', async () => {
    const a = await open('a');
    const b = await open('b');
    await a.callbacks.addOpenPush(push('pa'));
    await b.callbacks.addOpenPush(push('pb'));
    assert.deepEqual(
      (await a.callbacks.listOpenPushes()).map((p) => p.sequence),
      ['pa'],
    );
    assert.deepEqual(
      (await b.callbacks.listOpenPushes()).map((p) => p.sequence),
      ['pb'],
    );
    assert.equal((await b.callbacks.listOpenPushes())[0]?.callbackKey, 'k3y');
  });

  test('a delivery is leased to one node: another takes it only once the lease ran out, never both at once', async () => {
    const a = await open('a');
    const b = await open('b');
    for (const d of await a.callbacks.listCallbackDeliveries(1000))
      await a.callbacks.recordCallbackAttempt({ ...attemptOf(d.id) }, 'done');
    const id = await a.callbacks.addCallbackDelivery(delivery('1'));
    assert.deepEqual(
      (await a.callbacks.listCallbackDeliveries(10)).map((d) => d.id),
      [id],
      'the queuing node holds it',
    );
    assert.deepEqual(await b.callbacks.listCallbackDeliveries(10), [], 'held by a');
    clock.b = 1000 + 10_001;
    assert.deepEqual(
      (await b.callbacks.listCallbackDeliveries(10)).map((d) => d.id),
      [id],
      "a's lease ran out: b takes it",
    );
    assert.deepEqual(await a.callbacks.listCallbackDeliveries(10), [], 'now held by b');
    // Many expired deliveries taken by both nodes at once: each goes to exactly one.
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) ids.push(await a.callbacks.addCallbackDelivery(delivery(`m${i}`)));
    clock.a = clock.b = 1_000_000;
    const [ta, tb] = await Promise.all([
      a.callbacks.listCallbackDeliveries(1000),
      b.callbacks.listCallbackDeliveries(1000),
    ]);
    const taken = [...ta, ...tb].map((d) => d.id).sort((x, y) => x - y);
    assert.deepEqual(
      taken,
      [id, ...ids].sort((x, y) => x - y),
      'every delivery taken once',
    );
    clock.a = clock.b = 1000;
  });

  test('a database with a newer schema is refused with STORE_SCHEMA_NEWER', async () => {
    const newer = await server.createDatabase();
    const first = new PostgresStore({ url: newer });
    await first.ready();
    await first.close();
    const client = new pg.Client({ connectionString: newer });
    await client.connect();
    await client.query('INSERT INTO schema_version (version) VALUES ($1)', [postgresLatestVersion + 1]);
    await client.end();
    const second = new PostgresStore({ url: newer });
    await assert.rejects(second.ready(), { code: 'STORE_SCHEMA_NEWER' });
    await assert.rejects(second.getSetting('x'), { code: 'STORE_SCHEMA_NEWER' });
    await second.close();
  });

  test('domain keys are sealed in the row, bound to the row as in SQLite', async () => {
    const dataKey = randomBytes(32);
    const a = await open('a', { dataKey });
    await a.addDomain(sampleDomain('sealed.example.com'));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query("SELECT auth_key, keys_sealed FROM domains WHERE name = 'sealed.example.com'");
    await client.end();
    assert.equal(rows[0].keys_sealed, 1);
    assert.doesNotMatch(rows[0].auth_key, /e12c46f2612d5106e2034781ab261ca3/);
    assert.equal(
      unseal(dataKey, 'auth_key/sealed.example.com', rows[0].auth_key, 'k'),
      'e12c46f2612d5106e2034781ab261ca3',
    );
    assert.deepEqual(await a.getDomain('sealed.example.com'), sampleDomain('sealed.example.com'));
  });
});

function attemptOf(deliveryId: number) {
  return {
    deliveryId,
    eventType: 1,
    eventTime: 1000,
    stream: 's',
    url: 'u',
    request: '{}',
    response: '',
    status: 200,
    resultCode: 0,
    at: 1000,
    durationMs: 1,
  };
}

describe('PostgreSQL store while PostgreSQL is down', { skip }, () => {
  test('writes wait and land once it is back; past store.maxQueuedWrites a write fails with STORE_UNAVAILABLE, counted', async () => {
    const proxy = await tcpProxy(server.port);
    const target = new URL(await server.createDatabase());
    target.port = String(proxy.port);
    const store = new PostgresStore({ url: target.href, poolSize: 2, maxQueuedWrites: 2 });
    try {
      await store.ready();
      await store.setSetting('before', '1');
      proxy.down();
      const waiting = [store.addPublishRecord(rec('during-1')), store.addPublishRecord(rec('during-2'))];
      await waitUntil(() => store.stats().queuedWrites === 2);
      await assert.rejects(store.setSetting('past-the-cap', '1'), { code: 'STORE_UNAVAILABLE' });
      assert.equal(store.stats().refusedWrites, 1);
      proxy.up();
      const ids = await Promise.all(waiting);
      assert.equal(ids.length, 2);
      assert.equal(
        (await store.listPublishRecords({ streamContains: 'during' })).total,
        2,
        'both queued writes landed',
      );
      assert.equal(store.stats().queuedWrites, 0);
      assert.ok(store.stats().busyRetries >= 2);
    } finally {
      await store.close();
      proxy.close();
    }
  });
});

/** Polls a condition (real sockets and timers are involved) for up to 20 s. */
async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A loopback TCP proxy to a port that can refuse (and cut) connections, standing in for a PostgreSQL outage. */
async function tcpProxy(to: number): Promise<{ port: number; down(): void; up(): void; close(): void }> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) return client.destroy();
    const upstream = connect(to, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    down() {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    up() {
      refusing = false;
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
