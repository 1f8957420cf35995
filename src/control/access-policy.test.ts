import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import type { Store } from '../store/store.ts';
import type { AccessDecision, PlayRequest, PublishRequest } from './access.ts';
import { rtmpRequest } from './admission-request.ts';
import { AccessPolicy } from './access-policy.ts';
import { Domains } from './domains.ts';
import { duplicatePublisher } from './reasons.ts';
import { signQuery } from './signing.ts';

// The official vector (tencent-css.md §1.3): key, stream "test", txTime 5C271099 = 1546064025.
const key = 'e12c46f2612d5106e2034781ab261ca3';
const txTime = 1546064025;
const officialQuery = 'txSecret=f85a2ab363fe4deaffef9754d79da6fe&txTime=5C271099';

interface Setup {
  store: Store;
  policy: AccessPolicy;
  domains: Domains;
  clock: { now: number };
  sleeps: number[];
}

async function setup(strict = false, store: Store = new MemoryStore()): Promise<Setup> {
  const clock = { now: txTime * 1000 };
  const sleeps: number[] = [];
  const domains = new Domains({ store, now: () => clock.now, generateKey: () => key });
  await domains.add({ name: 'push.example.com', type: 'push' });
  await domains.add({ name: 'play.example.com', type: 'play' });
  await domains.add({ name: 'default-push.example.com', type: 'push', auth: { key: 'defaultkey' } });
  await domains.add({ name: 'default-play.example.com', type: 'play' });
  await domains.setDefault('push', 'default-push.example.com');
  await domains.setDefault('play', 'default-play.example.com');
  const policy = new AccessPolicy({
    store,
    now: () => clock.now,
    strict,
    random: () => 0.5,
    sleep: async (ms) => void sleeps.push(ms),
  });
  return { store, policy, domains, clock, sleeps };
}

/** An RTMP publish as the RTMP glue builds it: the host comes from the tcUrl. */
const publish = ({
  tcUrl = 'rtmp://push.example.com/live',
  q,
  ...over
}: Partial<PublishRequest> & { q?: string; tcUrl?: string } = {}): PublishRequest => ({
  ...rtmpRequest({
    tcUrl,
    app: 'live',
    stream: 'test',
    query: new URLSearchParams(q ?? officialQuery),
    clientIp: '203.0.113.9',
  }),
  ...over,
});

const play = (over: Partial<PlayRequest> & { q?: string } = {}): PlayRequest => ({
  protocol: 'flv',
  app: 'live',
  stream: 'test',
  query: new URLSearchParams(over.q ?? ''),
  host: 'play.example.com:8080',
  clientIp: '198.51.100.4',
  ...over,
});

/** Asserts a refusal with its codes and that the sentence starts with the break code. */
function refused(d: AccessDecision, code: string, breakCode: string, text?: RegExp): string {
  assert.equal(d.allowed, false, 'refused');
  if (d.allowed) return '';
  assert.deepEqual([d.code, d.breakCode], [code, breakCode]);
  assert.ok(d.reason.startsWith(`${breakCode}: `), d.reason);
  assert.ok(Buffer.byteLength(d.reason) <= 255, 'fits ffmpeg');
  if (text) assert.match(d.reason, text);
  return d.reason;
}

test('a correctly signed push to a push domain is allowed and attributed to it', async () => {
  const { policy } = await setup(true);
  assert.deepEqual(await policy.checkPublish(publish()), {
    allowed: true,
    domain: 'push.example.com',
    replacePublisher: false,
  });
});

test('18/300: a bare IP is refused in strict mode and served by the default push domain otherwise', async () => {
  const strict = await setup(true);
  refused(
    await strict.policy.checkPublish(publish({ tcUrl: 'rtmp://127.0.0.1/live' })),
    'HOST_BARE_IP',
    '18/300',
    /127\.0\.0\.1/,
  );
  refused(await strict.policy.checkPublish(publish({ tcUrl: 'rtmp://[::1]:1935/live' })), 'HOST_BARE_IP', '18/300');
  refused(await strict.policy.checkPublish(publish({ tcUrl: 'not a url' })), 'HOST_BARE_IP', '18/300');
  const loose = await setup(false);
  const q = signQuery({ streamName: 'test', key: 'defaultkey', expiresAt: txTime });
  assert.deepEqual(await loose.policy.checkPublish(publish({ tcUrl: 'rtmp://127.0.0.1/live', q })), {
    allowed: true,
    domain: 'default-push.example.com',
    replacePublisher: false,
  });
  // The default domain's own key signs: the named domain's key does not.
  refused(await loose.policy.checkPublish(publish({ tcUrl: 'rtmp://127.0.0.1/live' })), 'SIGNATURE_INVALID', '18/503');
  await loose.store.setSetting('domain.default.push', 'gone.example.com');
  refused(
    await loose.policy.checkPublish(publish({ tcUrl: 'rtmp://127.0.0.1/live', q })),
    'HOST_BARE_IP',
    '18/300',
    /no default push domain/,
  );
});

test('18/301: unknown hosts are refused in strict mode, and a play domain never takes a push', async () => {
  const strict = await setup(true);
  refused(
    await strict.policy.checkPublish(publish({ tcUrl: 'rtmp://who.example.org/live' })),
    'DOMAIN_UNKNOWN',
    '18/301',
    /who\.example\.org/,
  );
  const loose = await setup(false);
  const q = signQuery({ streamName: 'test', key: 'defaultkey', expiresAt: txTime });
  assert.equal((await loose.policy.checkPublish(publish({ tcUrl: 'rtmp://who.example.org/live', q }))).allowed, true);
  for (const { policy } of [strict, loose]) {
    refused(
      await policy.checkPublish(publish({ tcUrl: 'rtmp://PLAY.example.com/live' })),
      'DOMAIN_UNKNOWN',
      '18/301',
      /is a play domain/,
    );
    refused(await policy.checkPlay(play({ host: 'push.example.com' })), 'DOMAIN_UNKNOWN', '18/301', /is a push domain/);
  }
});

test('18/303: a disabled domain is refused, named or default', async () => {
  const { policy, domains } = await setup(false);
  await domains.disable('push.example.com');
  refused(await policy.checkPublish(publish()), 'DOMAIN_DISABLED', '18/303', /push\.example\.com is disabled/);
  await domains.disable('default-push.example.com');
  refused(await policy.checkPublish(publish({ tcUrl: 'rtmp://10.0.0.1/live' })), 'DOMAIN_DISABLED', '18/303');
  await domains.disable('play.example.com');
  refused(await policy.checkPlay(play()), 'DOMAIN_DISABLED', '18/303');
});

test('18/309 and 18/308: illegal AppName and StreamName characters and lengths', async () => {
  const { policy } = await setup(true);
  for (const app of ['', 'li ve', 'live/x', '..', 'ライブ']) {
    refused(await policy.checkPublish(publish({ app })), 'APP_NAME_INVALID', '18/309', /AppName/);
  }
  for (const stream of ['', 'a/b', 'a?b', '.', 'x'.repeat(257), 'demo%20']) {
    refused(await policy.checkPublish(publish({ stream })), 'STREAM_NAME_INVALID', '18/308', /StreamName/);
  }
  refused(await policy.checkPlay(play({ stream: 'a b' })), 'STREAM_NAME_INVALID', '18/308');
});

test('18/305: a forbidden stream is refused until its time, with the time and reason in the sentence', async () => {
  const { policy, store, clock } = await setup(true);
  const until = clock.now + 3600_000;
  await store.forbidStream({
    app: 'live',
    stream: 'test',
    domain: 'push.example.com',
    until,
    reason: 'copyright',
    createdAt: clock.now,
  });
  refused(
    await policy.checkPublish(publish()),
    'STREAM_FORBIDDEN',
    '18/305',
    /"live\/test" is forbidden until 2018-12-29T07:13:45Z: copyright/,
  );
  await store.forbidStream({
    app: 'live',
    stream: 'test',
    domain: 'push.example.com',
    until,
    reason: 'x'.repeat(2048),
    createdAt: clock.now,
  });
  refused(await policy.checkPublish(publish()), 'STREAM_FORBIDDEN', '18/305', /\.\.\.$/);
  clock.now = until;
  await store.forbidStream({
    app: 'live',
    stream: 'test',
    domain: 'other.example.com',
    until: until + 1e6,
    reason: '',
    createdAt: 0,
  });
  refused(await policy.checkPublish(publish({ q: '' })), 'TXTIME_MISSING', '18/500'); // forbid over: next check runs
  await store.forbidStream({ app: 'live', stream: 'test', domain: '', until: until + 1000, reason: '', createdAt: 0 });
  refused(await policy.checkPublish(publish()), 'STREAM_FORBIDDEN', '18/305');
});

test('18/500–18/503: the signature checks, with the sentences an encoder log shows', async () => {
  const { policy, clock } = await setup(true);
  refused(await policy.checkPublish(publish({ q: '' })), 'TXTIME_MISSING', '18/500', /push URL has no txTime/);
  refused(
    await policy.checkPublish(publish({ q: 'txSecret=abc&txTime=soon' })),
    'TXTIME_INVALID',
    '18/500',
    /"soon" is not a Unix time/,
  );
  clock.now = (txTime + 301) * 1000;
  const expired = refused(await policy.checkPublish(publish()), 'TXTIME_EXPIRED', '18/501');
  assert.equal(
    expired,
    '18/501: the push URL expired at 2018-12-29T06:18:45Z (txTime 5C271099 + 300 s); generate a new URL',
  );
  clock.now = (txTime + 300) * 1000;
  assert.equal((await policy.checkPublish(publish())).allowed, true, 'valid at txTime + AuthDelta exactly');
  refused(await policy.checkPublish(publish({ q: 'txTime=5C271099' })), 'TXSECRET_MISSING', '18/502', /no txSecret/);
  refused(
    await policy.checkPublish(publish({ q: 'txSecret=00&txTime=5C271099' })),
    'SIGNATURE_INVALID',
    '18/503',
    /MD5\(key \+ "test" \+ "5C271099"\)/,
  );
  refused(await policy.checkPublish(publish({ stream: 'test2' })), 'SIGNATURE_INVALID', '18/503');
});

test('the backup key, SHA-256 and disabled authentication', async () => {
  const { policy, domains } = await setup(true);
  await domains.setAuth('push.example.com', { key: 'rotated', backupKey: key });
  assert.equal((await policy.checkPublish(publish())).allowed, true);
  await domains.setAuth('push.example.com', { algorithm: 'sha256' });
  refused(await policy.checkPublish(publish()), 'SIGNATURE_INVALID', '18/503', /SHA256/);
  const q = signQuery({ streamName: 'test', key: 'rotated', expiresAt: txTime, algorithm: 'sha256' });
  assert.equal((await policy.checkPublish(publish({ q }))).allowed, true);
  await domains.setAuth('push.example.com', { enabled: false });
  assert.equal((await policy.checkPublish(publish({ q: '' }))).allowed, true);
});

test('play: open unless play auth is on, then signed with the play key; the Host port is ignored', async () => {
  const { policy, domains } = await setup(true);
  assert.deepEqual(await policy.checkPlay(play()), { allowed: true, domain: 'play.example.com' });
  await domains.setAuth('play.example.com', { enabled: true, key: 'playkey' });
  refused(await policy.checkPlay(play()), 'TXTIME_MISSING', '18/500', /play URL has no txTime/);
  refused(await policy.checkPlay(play({ q: officialQuery })), 'SIGNATURE_INVALID', '18/503');
  const q = signQuery({ streamName: 'test', key: 'playkey', expiresAt: txTime });
  assert.equal((await policy.checkPlay(play({ q, host: '[::1]:8080' }))).allowed, false, 'strict: bare IP');
  assert.equal((await policy.checkPlay(play({ q, protocol: 'rtmp', host: 'PLAY.example.com' }))).allowed, true);
  const loose = await setup(false);
  assert.deepEqual(await loose.policy.checkPlay(play({ host: '127.0.0.1:8080' })), {
    allowed: true,
    domain: 'default-play.example.com',
  });
});

test('replacing a live publisher is offered only by a domain with the policy and authentication on', async () => {
  const { policy, domains } = await setup(true);
  await domains.setReplacePublisher('push.example.com', true);
  assert.deepEqual(await policy.checkPublish(publish()), {
    allowed: true,
    domain: 'push.example.com',
    replacePublisher: true,
  });
  await domains.setAuth('push.example.com', { enabled: false });
  assert.deepEqual(await policy.checkPublish(publish()), {
    allowed: true,
    domain: 'push.example.com',
    replacePublisher: false,
  });
});

test('every refusal is recorded with the secret masked; admissions are not', async () => {
  const { policy, store, clock } = await setup(true);
  await policy.checkPublish(publish());
  await policy.checkPublish(publish({ q: 'txSecret=deadbeef&txTime=5C271099&obs=1' }));
  await policy.checkPlay(play({ host: 'nope.example.com' }));
  const { items, total } = await store.listRejectedAttempts();
  assert.equal(total, 2);
  assert.deepEqual(
    items.map((a) => ({ ...a, id: 0, reason: a.reason.slice(0, 7) })),
    [
      {
        id: 0,
        at: clock.now,
        action: 'play',
        clientIp: '198.51.100.4',
        host: 'nope.example.com',
        domain: '',
        app: 'live',
        stream: 'test',
        breakCode: '18/301',
        code: 'DOMAIN_UNKNOWN',
        reason: '18/301:',
        query: '',
        count: 1,
        lastAt: clock.now,
      },
      {
        id: 0,
        at: clock.now,
        action: 'publish',
        clientIp: '203.0.113.9',
        host: 'push.example.com',
        domain: 'push.example.com',
        app: 'live',
        stream: 'test',
        breakCode: '18/503',
        code: 'SIGNATURE_INVALID',
        reason: '18/503:',
        query: 'txSecret=***&txTime=5C271099&obs=1',
        count: 1,
        lastAt: clock.now,
      },
    ],
  );
  assert.ok(!JSON.stringify(items).includes('deadbeef'));
  await policy.recordRejection('publish', publish(), duplicatePublisher('live', 'test'), 'push.example.com');
  const dup = (await store.listRejectedAttempts({ limit: 1 })).items[0];
  assert.deepEqual(
    [dup?.breakCode, dup?.code, dup?.query],
    ['18/601', 'STREAM_ALREADY_PUBLISHING', `txSecret=***&txTime=5C271099`],
  );
  assert.match(dup?.reason ?? '', /^18\/601: "live\/test" is already being published/);
});

test('repeated signature failures from one IP are slowed by a random 100–600 ms delay that decays', async () => {
  const { policy, sleeps, clock } = await setup(true);
  const bad = publish({ q: 'txSecret=00&txTime=5C271099' });
  for (let i = 0; i < 4; i++) await policy.checkPublish(bad);
  assert.deepEqual(sleeps, [350, 350], 'no delay for the first two failures, then 100 + 0.5 * 500 ms');
  await policy.checkPublish({ ...bad, clientIp: '192.0.2.55' });
  await policy.checkPublish(publish({ q: '' })); // not a signature failure
  assert.equal(sleeps.length, 2, 'other IPs and other refusals are not delayed');
  clock.now += 10 * 60_000; // ten half-lives later the score is forgotten
  await policy.checkPublish(bad);
  assert.equal(sleeps.length, 2);
});

test('a store that fails refuses with 18/100 instead of throwing', async () => {
  const store = new MemoryStore();
  await setup(true, store);
  const errors: unknown[] = [];
  const broken = new AccessPolicy({ store, now: () => 0, strict: true, onStoreError: (e) => errors.push(e) });
  await store.close();
  refused(await broken.checkPublish(publish()), 'STORE_FAILED', '18/100', /try again/);
  assert.equal(errors.length, 2, 'the failed decision and the failed record are both reported');
});

test('a dry run (the doctor) decides the same, but records nothing and neither counts nor slows signature failures', async () => {
  const { policy, sleeps, store } = await setup(true);
  const wrong = publish({ q: 'txSecret=00000000000000000000000000000000&txTime=5C271099' });
  for (let i = 0; i < 5; i++)
    refused(await policy.checkPublish(wrong, { dryRun: true }), 'SIGNATURE_INVALID', '18/503');
  refused(await policy.checkPlay(play({ host: 'nowhere.example.org' }), { dryRun: true }), 'DOMAIN_UNKNOWN', '18/301');
  assert.deepEqual(sleeps, []);
  assert.equal((await store.listRejectedAttempts()).total, 0);
  const real = await policy.checkPublish(wrong);
  assert.deepEqual(real, await policy.checkPublish(wrong, { dryRun: true }), 'the same decision');
  await waitForRecords(store, 1);
});

async function waitForRecords(store: Store, n: number): Promise<void> {
  for (let i = 0; i < 50 && (await store.listRejectedAttempts()).total < n; i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.equal((await store.listRejectedAttempts()).total, n);
}
