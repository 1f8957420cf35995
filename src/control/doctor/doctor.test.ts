import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StubDns } from '../../../test/support/stub-dns.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import type { Store } from '../../store/store.ts';
import { Domains } from '../domains.ts';
import { formatTxTime, txSecretOf } from '../signing.ts';
import { diagnosePushUrl, type DoctorDeps, type DoctorReport } from './doctor.ts';
import type { CheckName, CheckStatus } from './doctor-check.ts';
import type { RtmpProbeResult, SrtProbeResult } from './push-probe.ts';
import { RejectReason } from '../../protocol/srt/srt-reject.ts';
import { srtProbeReason } from '../srt-stream-id.ts';
import type { PublisherStatus } from './stream-checks.ts';

const nowMs = Date.UTC(2026, 0, 10, 12, 0, 0);
const nowS = nowMs / 1000;
const keys = {
  push: 'PushMasterKey01',
  backup: 'PushBackupKey02',
  other: 'OtherPushKey03',
  play: 'PlayKey04',
  local: 'LocalKey05',
  nocname: 'NoCnameKey06',
  direct: 'DirectKey07',
};
const reachable: RtmpProbeResult = { ok: true, tcpMs: 0.4, handshakeMs: 1.2, connectMs: 0.8, address: '127.0.0.1' };
const idle: PublisherStatus = { state: 'idle', how: 'test' };

const dns = new StubDns();
before(async () => {
  dns.set('live.example.test', { cname: 'live.example.test.cdn.test' });
  dns.set('other.example.test', { cname: 'somewhere.else.test' });
  dns.set('direct.example.test', { a: ['192.0.2.9'] });
});

interface Setup {
  store: Store;
  domains: Domains;
  deps: (over?: Partial<DoctorDeps>) => DoctorDeps;
}

/** Push domains live/other/nocname/direct.example.test, play.example.test and the default push.localhost. */
async function setup(): Promise<Setup> {
  const store = new MemoryStore();
  const domains = new Domains({
    store,
    now: () => nowMs,
    cnameSuffix: 'cdn.test',
    resolver: dns,
  });
  await domains.add({ name: 'live.example.test', type: 'push', auth: { key: keys.push, backupKey: keys.backup } });
  await domains.add({ name: 'other.example.test', type: 'push', auth: { key: keys.other } });
  await domains.add({ name: 'nocname.example.test', type: 'push', auth: { key: keys.nocname } });
  await domains.add({ name: 'direct.example.test', type: 'push', auth: { key: keys.direct } });
  await domains.add({ name: 'play.example.test', type: 'play', auth: { key: keys.play } });
  await domains.add({ name: 'push.localhost', type: 'push', auth: { key: keys.local } });
  await domains.setDefault('push', 'push.localhost');
  const deps = (over: Partial<DoctorDeps> = {}): DoctorDeps => ({
    store,
    domains,
    strict: false,
    listen: { host: '0.0.0.0', port: 1935 },
    probeRtmp: () => Promise.resolve(reachable),
    publisher: () => Promise.resolve(idle),
    now: () => nowMs,
    resolver: dns,
    ...over,
  });
  return { store, domains, deps };
}

/** A push URL for live.example.test (or `host`) signed with `key` over exactly `signed`. */
function url(
  opts: { host?: string; stream?: string; key?: string; txTime?: string; signed?: string; secret?: string } = {},
): string {
  const stream = opts.stream ?? 'cam1';
  const txTime = opts.txTime ?? formatTxTime(nowS + 24 * 3600);
  const secret = opts.secret ?? txSecretOf(opts.key ?? keys.push, '', opts.signed ?? stream + txTime);
  return `rtmp://${opts.host ?? 'live.example.test'}/live/${stream}?txSecret=${secret}&txTime=${txTime}`;
}

function statuses(r: DoctorReport): Record<string, CheckStatus> {
  return Object.fromEntries(r.checks.map((c) => [c.name, c.status]));
}

function get(r: DoctorReport, name: CheckName) {
  const found = r.checks.find((c) => c.name === name);
  assert.ok(found, `no ${name} check`);
  return found;
}

test('a good URL passes every check, in the checklist order', async () => {
  const { deps } = await setup();
  const r = await diagnosePushUrl(url(), deps());
  assert.deepEqual(
    r.checks.map((c) => c.name),
    ['url', 'domain', 'cname', 'port', 'txTime', 'txSecret', 'live', 'forbidden', 'admission'],
  );
  assert.deepEqual(r.verdict, { accepted: true, domain: 'live.example.test', replaces: false });
  assert.deepEqual(new Set(Object.values(statuses(r))), new Set(['pass']), JSON.stringify(r.checks, null, 1));
  assert.equal(r.ok, true);
  assert.equal(r.domain, 'live.example.test');
  assert.match(get(r, 'cname').detail, /CNAMEs to live\.example\.test\.cdn\.test/);
  assert.match(
    get(r, 'port').detail,
    /TCP connect 0\.4 ms to 127\.0\.0\.1, RTMP handshake 1\.2 ms, connect 0\.8 ms\); openlive listens on 0\.0\.0\.0:1935/,
  );
  assert.match(get(r, 'txSecret').detail, /master key/);
  assert.match(r.url, /txSecret=\*\*\*&txTime=/);
});

test('seeded fault: missing CNAME fails and names the record to add; a CNAME elsewhere shows where it points', async () => {
  const { deps } = await setup();
  const missing = await diagnosePushUrl(url({ host: 'nocname.example.test', key: keys.nocname }), deps());
  assert.equal(get(missing, 'cname').status, 'fail');
  assert.match(get(missing, 'cname').detail, /nocname\.example\.test has no CNAME/);
  assert.equal(
    get(missing, 'cname').fix,
    'add the DNS record nocname.example.test CNAME nocname.example.test.cdn.test',
  );
  assert.equal(missing.ok, false);
  const elsewhere = await diagnosePushUrl(url({ host: 'other.example.test', key: keys.other }), deps());
  assert.equal(get(elsewhere, 'cname').status, 'fail');
  assert.match(
    get(elsewhere, 'cname').detail,
    /CNAMEs to somewhere\.else\.test, not to other\.example\.test\.cdn\.test/,
  );
});

test('a name with an address but no CNAME warns when addresses can be resolved; DNS that does not answer warns', async () => {
  const { deps } = await setup();
  const direct = await diagnosePushUrl(
    url({ host: 'direct.example.test', key: keys.direct }),
    deps({ resolver: { resolveCname: () => Promise.resolve([]), resolve4: () => Promise.resolve(['192.0.2.9']) } }),
  );
  assert.equal(get(direct, 'cname').status, 'warn');
  assert.match(get(direct, 'cname').detail, /resolves to 192\.0\.2\.9 directly/);
  dns.set('direct.example.test', { fail: 'drop' });
  try {
    const silent = await diagnosePushUrl(url({ host: 'direct.example.test', key: keys.direct }), deps());
    assert.equal(get(silent, 'cname').status, 'warn');
    assert.match(get(silent, 'cname').detail, /could not ask DNS/);
  } finally {
    dns.set('direct.example.test', { a: ['192.0.2.9'] });
  }
});

test('seeded fault: expired txTime fails with 18/501 and the expiry; the signature is still judged on its own', async () => {
  const { deps } = await setup();
  const r = await diagnosePushUrl(url({ txTime: formatTxTime(nowS - 3600) }), deps());
  const c = get(r, 'txTime');
  assert.equal(c.status, 'fail');
  assert.equal(c.breakCode, '18/501');
  assert.match(
    c.detail,
    /expired at 2026-01-10T11:05:00Z, 55m00s ago \(txTime [0-9A-F]{8} \(hex\) = 2026-01-10T11:00:00Z, plus AuthDelta 300 s\)/,
  );
  assert.equal(
    c.fix,
    'sign a new URL 12 to 24 hours ahead: openlive url --domain live.example.test --stream cam1 --expires 24h',
  );
  assert.equal(get(r, 'txSecret').status, 'pass');
});

test('seeded fault: short validity warns (minutes, hours, txTime written as the signing time) without failing', async () => {
  const { deps } = await setup();
  const minutes = await diagnosePushUrl(url({ txTime: formatTxTime(nowS + 600) }), deps());
  assert.equal(get(minutes, 'txTime').status, 'warn');
  assert.match(get(minutes, 'txTime').detail, /made to live only minutes: it expires in 15m00s/);
  assert.equal(minutes.ok, true);
  const hours = await diagnosePushUrl(url({ txTime: formatTxTime(nowS + 3 * 3600) }), deps());
  assert.equal(get(hours, 'txTime').status, 'warn');
  assert.match(get(hours, 'txTime').detail, /^expires in 3h05m/);
  const signingTime = await diagnosePushUrl(url({ txTime: formatTxTime(nowS - 60) }), deps());
  assert.equal(get(signingTime, 'txTime').status, 'warn');
  assert.match(
    get(signingTime, 'txTime').detail,
    /txTime is 1m00s in the past: txTime is the expiry time, not the signing time/,
  );
  const day = await diagnosePushUrl(url({ txTime: String(nowS + 13 * 3600) }), deps());
  assert.equal(get(day, 'txTime').status, 'pass');
  assert.match(get(day, 'txTime').detail, /\(decimal\)/);
});

test('missing or unreadable txTime and missing txSecret fail with 18/500 and 18/502', async () => {
  const { deps } = await setup();
  const noTime = await diagnosePushUrl('rtmp://live.example.test/live/cam1?txSecret=0123', deps());
  assert.equal(get(noTime, 'txTime').breakCode, '18/500');
  assert.equal(get(noTime, 'txSecret').status, 'warn');
  const junk = await diagnosePushUrl('rtmp://live.example.test/live/cam1?txSecret=0123&txTime=soon', deps());
  assert.match(get(junk, 'txTime').detail, /neither hex .* nor decimal/);
  const noSecret = await diagnosePushUrl(
    `rtmp://live.example.test/live/cam1?txTime=${formatTxTime(nowS + 86400)}`,
    deps(),
  );
  assert.equal(get(noSecret, 'txSecret').breakCode, '18/502');
});

test('seeded fault: wrong key fails with 18/503 and says no usual mistake fits', async () => {
  const { deps } = await setup();
  const r = await diagnosePushUrl(url({ key: 'SomeOtherKey99' }), deps());
  const c = get(r, 'txSecret');
  assert.equal(c.status, 'fail');
  assert.equal(c.breakCode, '18/503');
  assert.match(
    c.detail,
    /does not match MD5\(key \+ "cam1" \+ "[0-9A-F]{8}"\) with its master or backup key of live\.example\.test, nor any usual mistake/,
  );
});

test('seeded fault: txTime signed in the other hex case (both ways) or in decimal is named', async () => {
  const { deps } = await setup();
  const tx = formatTxTime(nowS + 24 * 3600);
  const lower = await diagnosePushUrl(url({ txTime: tx, signed: `cam1${tx.toLowerCase()}` }), deps());
  assert.equal(get(lower, 'txSecret').status, 'fail');
  assert.match(
    get(lower, 'txSecret').detail,
    new RegExp(`with txTime "${tx.toLowerCase()}" \\(lowercase hex\\) while the URL carries "${tx}"`),
  );
  assert.equal(get(lower, 'txSecret').fix, 'sign the txTime string exactly as the URL carries it');
  const upper = await diagnosePushUrl(url({ txTime: tx.toLowerCase(), signed: `cam1${tx}` }), deps());
  assert.match(get(upper, 'txSecret').detail, /\(uppercase hex\) while the URL carries/);
  const decimal = await diagnosePushUrl(url({ txTime: tx, signed: `cam1${nowS + 24 * 3600}` }), deps());
  assert.match(get(decimal, 'txSecret').detail, new RegExp(`with txTime "${nowS + 24 * 3600}" \\(decimal\\)`));
});

test('seeded fault: backup key in use is a pass with a note', async () => {
  const { deps } = await setup();
  const r = await diagnosePushUrl(url({ key: keys.backup }), deps());
  const c = get(r, 'txSecret');
  assert.equal(c.status, 'pass');
  assert.match(c.detail, /backup key of live\.example\.test \(backup key in use\)/);
  assert.match(c.fix, /master key/);
  assert.equal(r.ok, true);
});

test('the key of another domain, the play key, AppName or domain in the string, whitespace and the other hash are each named', async () => {
  const { deps } = await setup();
  const cases: Array<[Parameters<typeof url>[0], RegExp, RegExp]> = [
    [{ key: keys.other }, /with the push key of push domain other\.example\.test/, /push key of live\.example\.test/],
    [{ key: keys.play }, /with the play key of play domain play\.example\.test/, /play key signs play URLs/],
    [
      { signed: `live/cam1${formatTxTime(nowS + 86400)}` },
      /over "live\/cam1": AppName was included/,
      /AppName and the domain are not part/,
    ],
    [{ signed: `live.example.test/live/cam1${formatTxTime(nowS + 86400)}` }, /the domain was included/, /not part/],
    [{ key: `${keys.push}\n` }, /the key copied with a trailing newline/, /trim the key/],
    [{ key: ` ${keys.backup}` }, /with the backup key copied with a leading space/, /trim/],
  ];
  for (const [opts, detail, fix] of cases) {
    const c = get(await diagnosePushUrl(url(opts), deps()), 'txSecret');
    assert.equal(c.status, 'fail');
    assert.match(c.detail, detail);
    assert.match(c.fix, fix);
  }
  const tx = formatTxTime(nowS + 86400);
  const both = get(
    await diagnosePushUrl(url({ key: keys.play, txTime: tx, signed: `cam1${tx.toLowerCase()}` }), deps()),
    'txSecret',
  );
  assert.match(
    both.detail,
    /with the play key of play domain play\.example\.test, and with txTime "[0-9a-f]{8}" \(lowercase hex\)/,
  );
  assert.match(both.fix, /play key signs play URLs; sign the txTime string exactly/);
  const sha = await diagnosePushUrl(url({ secret: txSecretOf(keys.push, 'cam1', tx, 'sha256'), txTime: tx }), deps());
  assert.match(get(sha, 'txSecret').detail, /hashed with SHA256 while live\.example\.test uses MD5/);
  const cut = await diagnosePushUrl(url({ secret: 'abc123' }), deps());
  assert.match(get(cut, 'txSecret').detail, /txSecret has 6 characters; an MD5 txSecret is 32 hex digits/);
});

test('seeded fault: stream already live fails with who, from where and since when; the replace policy makes it a warning', async () => {
  const { deps, domains } = await setup();
  const live: PublisherStatus = {
    state: 'live',
    clientIp: '198.51.100.7',
    startedAt: nowMs - 125_000,
    domain: 'live.example.test',
    how: 'live registry',
  };
  const r = await diagnosePushUrl(url(), deps({ publisher: () => Promise.resolve(live) }));
  const c = get(r, 'live');
  assert.equal(c.status, 'fail');
  assert.equal(c.breakCode, '18/601');
  assert.match(
    c.detail,
    /live\/cam1 is being published from 198\.51\.100\.7 since 2026-01-10T11:57:55Z \(2m05s\) on live\.example\.test/,
  );
  await domains.setReplacePublisher('live.example.test', true);
  const replaced = await diagnosePushUrl(url(), deps({ publisher: () => Promise.resolve(live) }));
  assert.equal(get(replaced, 'live').status, 'warn');
  assert.match(get(replaced, 'live').detail, /replace it \(21\/102\)/);
});

test('seeded fault: stream forbidden fails with until when and why', async () => {
  const { deps, store } = await setup();
  await store.forbidStream({
    app: 'live',
    stream: 'cam1',
    domain: '',
    until: nowMs + 2 * 86400_000,
    reason: 'terms of service',
    createdAt: nowMs,
  });
  const r = await diagnosePushUrl(url(), deps());
  const c = get(r, 'forbidden');
  assert.equal(c.status, 'fail');
  assert.equal(c.breakCode, '18/305');
  assert.match(
    c.detail,
    /live\/cam1 is forbidden on every domain until 2026-01-12T12:00:00Z \(2d00h from now\), reason: terms of service/,
  );
  assert.match(c.fix, /openlive stream resume live\/cam1 /);
  assert.equal(r.ok, false);
});

test('seeded fault: domain disabled fails with 18/303 and how to enable it; the other checks still run', async () => {
  const { deps, domains } = await setup();
  await domains.disable('live.example.test');
  const r = await diagnosePushUrl(url(), deps());
  const c = get(r, 'domain');
  assert.equal(c.status, 'fail');
  assert.equal(c.breakCode, '18/303');
  assert.match(c.detail, /push domain live\.example\.test is disabled/);
  assert.match(c.fix, /openlive domain enable live\.example\.test/);
  assert.equal(get(r, 'txSecret').status, 'pass');
});

test('hosts: a bare IP is served by the default domain (pass) or refused in strict mode; unknown names and play domains', async () => {
  const { deps } = await setup();
  const ip = await diagnosePushUrl(url({ host: '127.0.0.1', key: keys.local }), deps());
  assert.deepEqual(
    [get(ip, 'domain').status, get(ip, 'cname').status, get(ip, 'txSecret').status],
    ['pass', 'pass', 'pass'],
  );
  assert.match(get(ip, 'domain').detail, /default push domain push\.localhost serves it/);
  assert.match(get(ip, 'cname').detail, /^skipped: 127\.0\.0\.1 is an IP address/);
  const stale = await diagnosePushUrl(
    url({ host: '127.0.0.1', key: keys.local, txTime: formatTxTime(nowS - 3600) }),
    deps(),
  );
  assert.match(
    get(stale, 'txTime').fix,
    /: openlive url --stream cam1 --expires 24h$/,
    'the default domain needs no --domain',
  );
  const strict = await diagnosePushUrl(url({ host: '127.0.0.1', key: keys.local }), deps({ strict: true }));
  assert.equal(get(strict, 'domain').breakCode, '18/300');
  assert.equal(get(strict, 'txSecret').status, 'warn');
  const unknown = await diagnosePushUrl(url({ host: 'typo.example.test', key: keys.local }), deps());
  assert.equal(get(unknown, 'domain').status, 'warn');
  assert.match(get(unknown, 'domain').fix, /openlive domain add typo\.example\.test --type push/);
  const play = await diagnosePushUrl(url({ host: 'play.example.test', key: keys.play }), deps());
  assert.equal(get(play, 'domain').breakCode, '18/301');
  const local = await diagnosePushUrl(url({ host: 'push.localhost', key: keys.local }), deps());
  assert.match(get(local, 'cname').detail, /^skipped: push\.localhost is a \.localhost name/);
});

test('URL shape: not a URL, not RTMP, no StreamName, bad names, &amp;', async () => {
  const { deps } = await setup();
  const notUrl = await diagnosePushUrl('live.example.test/live/cam1', deps());
  assert.deepEqual(
    notUrl.checks.map((c) => `${c.name} ${c.status}`),
    ['url fail'],
  );
  assert.equal(notUrl.ok, false);
  assert.match(
    (await diagnosePushUrl('http://live.example.test/live/cam1.flv', deps())).checks[0]!.detail,
    /http:\/\/ is not RTMP or SRT/,
  );
  assert.match((await diagnosePushUrl('rtmp://live.example.test/live', deps())).checks[0]!.detail, /no StreamName/);
  assert.equal((await diagnosePushUrl('rtmp://live.example.test/live/a%20b', deps())).checks[0]!.breakCode, '18/308');
  const amp = await diagnosePushUrl(url().replace('&txTime', '&amp;txTime'), deps());
  assert.equal(get(amp, 'url').status, 'warn');
  assert.equal(get(amp, 'txTime').breakCode, '18/500');
});

test("the report lists the stream's last rejected publishes, newest first, without plays", async () => {
  const { deps, store } = await setup();
  const base = {
    clientIp: '203.0.113.5',
    host: 'live.example.test',
    domain: 'live.example.test',
    app: 'live',
    query: 'txSecret=***',
  };
  await store.addRejectedAttempt({
    ...base,
    at: nowMs - 2000,
    action: 'publish',
    stream: 'cam1',
    breakCode: '18/503',
    code: 'SIGNATURE_INVALID',
    reason: '18/503: bad',
  });
  await store.addRejectedAttempt({
    ...base,
    at: nowMs - 1000,
    action: 'publish',
    stream: 'cam1',
    breakCode: '18/501',
    code: 'TXTIME_EXPIRED',
    reason: '18/501: old',
  });
  await store.addRejectedAttempt({
    ...base,
    at: nowMs - 500,
    action: 'play',
    stream: 'cam1',
    breakCode: '18/503',
    code: 'SIGNATURE_INVALID',
    reason: 'play',
  });
  await store.addRejectedAttempt({
    ...base,
    at: nowMs - 100,
    action: 'publish',
    stream: 'cam2',
    breakCode: '18/503',
    code: 'SIGNATURE_INVALID',
    reason: 'other',
  });
  const r = await diagnosePushUrl(url(), deps());
  assert.deepEqual(
    r.rejectedAttempts.map((a) => `${a.breakCode} ${a.code} ${a.at - nowMs}`),
    ['18/501 TXTIME_EXPIRED -1000', '18/503 SIGNATURE_INVALID -2000'],
  );
});

test('property: whatever was signed, no report contains a key of any domain or the correct txSecret', async () => {
  const { deps } = await setup();
  const allKeys = Object.values(keys);
  const tx = formatTxTime(nowS + 86400);
  const correct = txSecretOf(keys.push, 'cam1', tx);
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...allKeys, 'x'),
      fc.constantFrom('', '\n', ' '),
      fc.constantFrom(tx, tx.toLowerCase()),
      fc.constantFrom('cam1', 'live/cam1'),
      async (key, pad, t, signed) => {
        const text = JSON.stringify(
          await diagnosePushUrl(url({ key: key + pad, txTime: tx, signed: signed + t }), deps()),
        );
        for (const k of allKeys) assert.ok(!text.includes(k), `key ${k} printed`);
        assert.ok(!text.includes(correct));
      },
    ),
    { numRuns: 40 },
  );
});

test('an rtmps:// URL gets the TLS check after the port check, probed with TLS on port 443 by default', async () => {
  const { deps } = await setup();
  const probes: unknown[] = [];
  const peer = {
    protocol: 'TLSv1.3',
    trusted: true,
    subject: 'CN=live.example.test',
    issuer: 'CN=CA',
    names: ['live.example.test'],
    nameMatches: true,
    notBefore: nowMs - 86_400_000,
    notAfter: nowMs - 3_600_000,
  };
  const report = await diagnosePushUrl(
    url().replace('rtmp://', 'rtmps://'),
    deps({
      listenTls: { host: '0.0.0.0', port: 443 },
      probeRtmp: (host, port, app, o) => (
        probes.push([host, port, app, o]),
        Promise.resolve({ ...reachable, tlsMs: 2, tls: peer })
      ),
    }),
  );
  assert.deepEqual(probes, [['live.example.test', 443, 'live', { tls: true }]]);
  assert.deepEqual(
    report.checks.map((c) => c.name),
    ['url', 'domain', 'cname', 'port', 'tls', 'txTime', 'txSecret', 'live', 'forbidden', 'admission'],
  );
  assert.match(report.url, /^rtmps:\/\/live\.example\.test\/live\/cam1\?txSecret=\*\*\*/);
  assert.equal(get(report, 'tls').status, 'fail', 'the certificate expired an hour ago');
  assert.equal(report.ok, false);
});

test('an rtmps:// URL while openlive has RTMPS off: the port check says so and names rtmps.enabled', async () => {
  const { deps } = await setup();
  const refused: RtmpProbeResult = { ok: false, failedAt: 'tcp', error: 'ECONNREFUSED' };
  const report = await diagnosePushUrl(
    url().replace('rtmp://live.example.test/', 'rtmps://live.example.test:1936/'),
    deps({ probeRtmp: () => Promise.resolve(refused) }),
  );
  const port = get(report, 'port');
  assert.equal(port.status, 'fail');
  assert.match(port.detail, /RTMPS listener is off/);
  assert.match(port.fix, /rtmps\.enabled true/);
  // A URL without TLS never gets the TLS check.
  const plain = await diagnosePushUrl(url(), deps());
  assert.equal(
    plain.checks.some((c) => c.name === 'tls'),
    false,
  );
});

const srtAnswered: SrtProbeResult = {
  ok: true,
  rejectReason: srtProbeReason,
  inductionMs: 0.5,
  conclusionMs: 0.7,
  address: '127.0.0.1',
};

/** An srt:// push URL in Tencent's stream id form for live.example.test, signed like url(). */
function srtUrl(opts: { secret?: string; port?: number; txTime?: string } = {}): string {
  const txTime = opts.txTime ?? formatTxTime(nowS + 24 * 3600);
  const secret = opts.secret ?? txSecretOf(keys.push, 'cam1', txTime);
  return `srt://127.0.0.1:${opts.port ?? 9000}?streamid=#!::h=live.example.test,r=live/cam1,txSecret=${secret},txTime=${txTime}&latency=200000`;
}

test('an srt:// URL runs the same checks with the SRT handshake for the network; the probe gets the stream id', async () => {
  const { deps } = await setup();
  const probes: unknown[] = [];
  const r = await diagnosePushUrl(
    srtUrl(),
    deps({
      listenSrt: { host: '0.0.0.0', port: 9000 },
      probeSrt: (host, port, streamId) => (probes.push([host, port, streamId]), Promise.resolve(srtAnswered)),
    }),
  );
  assert.deepEqual(
    r.checks.map((c) => c.name),
    ['url', 'domain', 'cname', 'udp', 'txTime', 'txSecret', 'live', 'forbidden', 'admission'],
  );
  assert.deepEqual(new Set(Object.values(statuses(r))), new Set(['pass']), JSON.stringify(r.checks, null, 1));
  assert.equal(r.domain, 'live.example.test');
  assert.match(get(r, 'udp').detail, /127\.0\.0\.1:9000 answers SRT \(induction 0\.5 ms, conclusion 0\.7 ms\)/);
  assert.match(get(r, 'url').detail, /stream id host live\.example\.test, AppName live, StreamName cam1/);
  assert.match(r.url, /txSecret=\*\*\*,txTime=/);
  assert.equal((probes[0] as unknown[])[0], '127.0.0.1');
  assert.match(
    String((probes[0] as unknown[])[2]),
    /^#!::h=live\.example\.test,r=live\/cam1,txSecret=[0-9a-f]{32},txTime=/,
  );
});

test('srt:// faults: a wrong txSecret names txSecret, silence is "UDP unreachable", a refusal is named with its meaning', async () => {
  const { deps } = await setup();
  const listenSrt = { host: '0.0.0.0', port: 9000 };
  const wrong = await diagnosePushUrl(
    srtUrl({ secret: '0'.repeat(32) }),
    deps({ listenSrt, probeSrt: () => Promise.resolve(srtAnswered) }),
  );
  assert.equal(get(wrong, 'txSecret').status, 'fail');
  assert.equal(get(wrong, 'txSecret').breakCode, '18/503');
  assert.equal(get(wrong, 'admission').status, 'fail');
  const silent: SrtProbeResult = {
    ok: false,
    failedAt: 'induction',
    error: 'timeout: no answer to the induction within 3000 ms',
  };
  const closed = await diagnosePushUrl(srtUrl(), deps({ listenSrt, probeSrt: () => Promise.resolve(silent) }));
  assert.equal(get(closed, 'udp').status, 'fail');
  assert.match(get(closed, 'udp').detail, /cannot reach 127\.0\.0\.1:9000: UDP unreachable: no SRT answer/);
  assert.match(get(closed, 'udp').fix, /open UDP port 9000/);
  const refused: SrtProbeResult = {
    ok: false,
    failedAt: 'conclusion',
    rejectReason: RejectReason.unauthorized,
    inductionMs: 1,
    conclusionMs: 1,
  };
  const unauthorized = await diagnosePushUrl(srtUrl(), deps({ listenSrt, probeSrt: () => Promise.resolve(refused) }));
  assert.match(get(unauthorized, 'udp').detail, /SRT_REJX_UNAUTHORIZED \(1401\): the signature/);
  const off = await diagnosePushUrl(srtUrl(), deps({ probeSrt: () => Promise.resolve(silent) }));
  assert.match(get(off, 'udp').detail, /SRT listener is off \(srt\.enabled\)/);
  assert.match(get(off, 'udp').fix, /srt\.enabled true/);
});

test('srt:// shapes: m=publish and the plain live/stream form are push URLs; m=request, no streamid and no stream are not', async () => {
  const { deps } = await setup();
  const probeSrt = () => Promise.resolve(srtAnswered);
  const txTime = formatTxTime(nowS + 24 * 3600);
  const secret = txSecretOf(keys.local, 'cam2', txTime);
  const plain = await diagnosePushUrl(
    `srt://127.0.0.1:9000?streamid=live/cam2?txSecret=${secret}&txTime=${txTime}`,
    deps({ probeSrt }),
  );
  assert.equal(get(plain, 'url').status, 'pass');
  assert.match(get(plain, 'domain').detail, /names no host \(h=\); the default push domain push\.localhost serves it/);
  assert.equal(get(plain, 'cname').status, 'pass');
  const publish = await diagnosePushUrl(srtUrl().replace('#!::', '#!::m=publish,'), deps({ probeSrt }));
  assert.equal(get(publish, 'txSecret').status, 'pass');
  const play = await diagnosePushUrl('srt://127.0.0.1:9000?streamid=#!::r=live/cam1,m=request', deps({ probeSrt }));
  assert.match(play.checks[0]!.detail, /m=request: that plays/);
  assert.match((await diagnosePushUrl('srt://127.0.0.1:9000', deps({ probeSrt }))).checks[0]!.detail, /no streamid=/);
  assert.match(
    (await diagnosePushUrl('srt://127.0.0.1:9000?streamid=#!::h=x', deps({ probeSrt }))).checks[0]!.detail,
    /names no AppName\/StreamName/,
  );
});
