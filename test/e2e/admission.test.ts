/**
 * The doctor and a real publish agree (issue 10, "one admission path"): for every row of a table of push
 * URLs, the doctor's verdict (asked the server's way, Admission.dryRunPublish, and the CLI's way, the
 * store's policy with the live registry as the claim view) equals what a real RTMP publish of that URL
 * hears from the same running server: accepted, or the same refusal sentence with its break code. The
 * dry run records nothing; the real refusal is recorded once. Two rows also run real ffmpeg.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { Buffer } from 'node:buffer';
import { startService, type TestService } from '../support/service.ts';
import { publish as ffmpegPublish } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';
import { TestDnsServer } from '../dns/dns-server.ts';
import { ClientSession, type ClientSessionEvent } from '../../src/protocol/rtmp/client-session.ts';
import { diagnosePushUrl, type DoctorDeps, type DoctorVerdict } from '../../src/control/doctor/doctor.ts';
import { doctorActions } from '../../src/servers/api/actions/doctor-actions.ts';
import type { ApiDeps } from '../../src/servers/api/api-deps.ts';
import type { PublisherLookup } from '../../src/control/doctor/stream-checks.ts';
import { formatTxTime, txSecretOf } from '../../src/control/signing.ts';
import type { Service } from '../../src/cli/service.ts';

const key = 'AdmissionKey01';
const replaceKey = 'ReplaceKey02';
let loose: TestService;
let strict: TestService;
let dns: TestDnsServer;

before(async () => {
  // The doctor's CNAME step asks DNS: a loopback server that knows none of these names answers at once.
  dns = await TestDnsServer.start();
  const dnsServers = [dns.address];
  [loose, strict] = await Promise.all([
    startService({ domains: { strict: false, dnsServers } }),
    startService({ domains: { strict: true, dnsServers } }),
  ]);
  for (const svc of [loose, strict]) {
    const d = svc.service.domains;
    await d.add({ name: 'push.example.test', type: 'push', auth: { key } });
    await d.add({ name: 'replace.example.test', type: 'push', auth: { key: replaceKey }, replacePublisher: true });
    await d.add({ name: 'off.example.test', type: 'push', auth: { key }, enabled: false });
    await d.add({ name: 'play.example.test', type: 'play' });
  }
});
after(async () => {
  await Promise.all([loose.close(), strict.close()]);
  await dns.close();
});

const nowS = (): number => Math.floor(Date.now() / 1000);

/** A push URL for `host`, signed with `signKey` (no signature when undefined) and expiring `validS` from now. */
function pushUrl(
  svc: TestService,
  host: string,
  stream: string,
  signKey: string | undefined,
  validS = 24 * 3600,
): string {
  const txTime = formatTxTime(nowS() + validS);
  const query = signKey === undefined ? '' : `?txSecret=${txSecretOf(signKey, stream, txTime)}&txTime=${txTime}`;
  return `rtmp://${host}:${svc.service.rtmpPort}/live/${stream}${query}`;
}

/** What a real publish heard: accepted (NetStream.Publish.Start) or the error status's description. */
type RealAnswer = { accepted: true } | { accepted: false; description: string };

/** A real RTMP publisher of `url`: TCP to the server (names need not resolve), the URL's host in tcUrl, as OBS and ffmpeg send it. */
class Publisher {
  readonly session = new ClientSession({ digest: false });
  readonly socket;
  private readonly events: ClientSessionEvent[] = [];
  private wake: (() => void) | undefined;
  private readonly connected: Promise<unknown>;

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.connected = once(this.socket, 'connect');
    this.socket.on('error', () => {});
    this.socket.on('data', (data: Buffer) => {
      this.events.push(...this.session.receive(data));
      this.flush();
      this.wake?.();
    });
    this.socket.on('close', () => this.wake?.());
  }

  private flush(): void {
    const out = this.session.drain();
    if (out.length > 0 && !this.socket.destroyed) this.socket.write(Buffer.concat(out));
  }

  private async until<T extends ClientSessionEvent>(
    what: string,
    match: (e: ClientSessionEvent) => e is T,
  ): Promise<T> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (this.socket.destroyed || Date.now() > deadline) throw new Error(`no ${what} before the socket closed`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 200);
      });
    }
  }

  /** connect, createStream, publish; resolves with the server's answer to the publish. */
  async publish(url: string): Promise<RealAnswer> {
    await this.connected;
    const u = new URL(url);
    const [app, ...rest] = u.pathname.split('/').filter((s) => s !== '');
    const connectTx = this.session.connect(`rtmp://${u.host}/${app}`, app!);
    this.flush();
    await this.until(
      'connect result',
      (e): e is Extract<ClientSessionEvent, { type: 'result' }> => e.type === 'result' && e.transactionId === connectTx,
    );
    const streamTx = this.session.call('createStream', null);
    this.flush();
    const created = await this.until(
      'createStream result',
      (e): e is Extract<ClientSessionEvent, { type: 'result' }> => e.type === 'result' && e.transactionId === streamTx,
    );
    const streamId = created.args[0] as number;
    this.session.publish(streamId, decodeURIComponent(rest.join('/')) + u.search);
    this.flush();
    const status = await this.until(
      'publish status',
      (e): e is Extract<ClientSessionEvent, { type: 'status' }> =>
        e.type === 'status' && e.streamId === streamId && (e.code === 'NetStream.Publish.Start' || e.level === 'error'),
    );
    return status.code === 'NetStream.Publish.Start'
      ? { accepted: true }
      : { accepted: false, description: status.description };
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The doctor's publisher lookup over the service's live registry (the Cloud API's view). */
function registryLookup(service: Service): PublisherLookup {
  return (app, stream) => {
    const info = service.publishers.get(app, stream)?.info();
    return Promise.resolve(
      info
        ? { state: 'live', clientIp: info.clientIp, startedAt: info.startedAt, how: 'registry' }
        : { state: 'idle', how: 'registry' },
    );
  };
}

/** The doctor's verdict for `url`, asked through the server's admission (`server`) or the CLI's way (`cli`). */
async function doctorVerdict(svc: TestService, url: string, how: 'server' | 'cli'): Promise<DoctorVerdict> {
  const s = svc.service;
  const deps: DoctorDeps = {
    store: s.store,
    domains: s.domains,
    strict: s.config.domains.strict,
    listen: { host: '127.0.0.1', port: s.rtmpPort },
    // The network is not the question here: every row reaches the server.
    probeRtmp: () => Promise.resolve({ ok: true, tcpMs: 0, handshakeMs: 0, connectMs: 0 }),
    publisher: registryLookup(s),
    resolver: { resolveCname: () => Promise.resolve([]) },
    now: s.now,
    ...(how === 'server' && { verdict: (req) => s.admission.dryRunPublish(req) }),
  };
  const report = await diagnosePushUrl(url, deps);
  assert.ok(report.verdict, `no verdict for ${url}`);
  return report.verdict;
}

/** The verdict and the real answer say the same: both accept, or both refuse with the same sentence. */
function assertAgree(row: string, verdict: DoctorVerdict, real: RealAnswer, expected: string): void {
  if (verdict.accepted) {
    assert.deepEqual(
      real,
      { accepted: true },
      `${row}: the doctor says accepted, the server said ${JSON.stringify(real)}`,
    );
    assert.equal(expected, 'accepted', `${row}: accepted, but ${expected} was expected`);
    return;
  }
  assert.equal(real.accepted, false, `${row}: the doctor says ${verdict.reason}, the server accepted`);
  assert.equal(verdict.breakCode, expected, `${row}: ${verdict.reason}`);
  if (!real.accepted) assert.equal(real.description, verdict.reason, `${row}: the same sentence`);
}

interface Row {
  readonly name: string;
  readonly svc: () => TestService;
  readonly url: (svc: TestService) => string;
  /** The break code both must give, or 'accepted'. */
  readonly expected: string;
  /** Makes the state the row needs (a forbid, a live publisher); returns the undo. */
  readonly arrange?: (svc: TestService, url: string) => Promise<() => Promise<void>>;
}

/** Holds the URL's stream with a real publisher (signed with `signKey`) for the row. */
const holdStream = (signKey: string) => async (svc: TestService, url: string) => {
  const holder = new Publisher(svc.service.rtmpPort);
  const u = new URL(url);
  const stream = u.pathname.split('/').pop()!;
  assert.deepEqual(await holder.publish(pushUrl(svc, u.hostname, stream, signKey)), { accepted: true });
  return async () => holder.close();
};

const rows: Row[] = [
  {
    name: 'good URL',
    svc: () => strict,
    url: (s) => pushUrl(s, 'push.example.test', 'good', key),
    expected: 'accepted',
  },
  {
    name: 'expired',
    svc: () => strict,
    url: (s) => pushUrl(s, 'push.example.test', 'old', key, -3600),
    expected: '18/501',
  },
  {
    name: 'wrong signature',
    svc: () => strict,
    url: (s) => pushUrl(s, 'push.example.test', 'wrong', 'NotTheKey'),
    expected: '18/503',
  },
  {
    name: 'no signature',
    svc: () => strict,
    url: (s) => pushUrl(s, 'push.example.test', 'bare', undefined),
    expected: '18/500',
  },
  {
    name: 'txTime without txSecret',
    svc: () => strict,
    url: (s) => `rtmp://push.example.test:${s.service.rtmpPort}/live/half?txTime=${formatTxTime(nowS() + 3600)}`,
    expected: '18/502',
  },
  {
    name: 'forbidden',
    svc: () => strict,
    url: (s) => pushUrl(s, 'push.example.test', 'banned', key),
    expected: '18/305',
    arrange: async (s) => {
      await s.service.streams.forbid({ app: 'live', stream: 'banned', reason: 'terms violation' });
      return async () => void (await s.service.streams.resume('live', 'banned'));
    },
  },
  {
    name: 'stream already live',
    svc: () => strict,
    url: (s) => pushUrl(s, 'push.example.test', 'busy', key),
    expected: '18/601',
    arrange: holdStream(key),
  },
  {
    name: 'already live, replace policy on',
    svc: () => strict,
    url: (s) => pushUrl(s, 'replace.example.test', 'taken', replaceKey),
    expected: 'accepted',
    arrange: holdStream(replaceKey),
  },
  {
    name: 'unknown domain (strict)',
    svc: () => strict,
    url: (s) => pushUrl(s, 'nobody.example.test', 'x', key),
    expected: '18/301',
  },
  {
    name: 'a play domain',
    svc: () => strict,
    url: (s) => pushUrl(s, 'play.example.test', 'x', key),
    expected: '18/301',
  },
  {
    name: 'disabled domain',
    svc: () => strict,
    url: (s) => pushUrl(s, 'off.example.test', 'x', key),
    expected: '18/303',
  },
  {
    name: 'bare IP in strict mode',
    svc: () => strict,
    url: (s) => pushUrl(s, '127.0.0.1', 'ip', key),
    expected: '18/300',
  },
  {
    name: 'name too long',
    svc: () => strict,
    url: (s) => pushUrl(s, 'push.example.test', 'n'.repeat(300), key),
    expected: '18/308',
  },
  {
    name: 'name with a space',
    svc: () => strict,
    url: (s) => pushUrl(s, 'push.example.test', 'a%20b', key),
    expected: '18/308',
  },
  {
    name: 'bare IP, non-strict: the default domain and its key',
    svc: () => loose,
    url: (s) => pushUrl(s, '127.0.0.1', 'ipok', s.service.defaults.push!.auth.key),
    expected: 'accepted',
  },
  {
    name: 'unknown domain, non-strict: the default domain refuses another key',
    svc: () => loose,
    url: (s) => pushUrl(s, 'nobody.example.test', 'x', key),
    expected: '18/503',
  },
];

for (const row of rows) {
  test(`doctor and real publish agree: ${row.name}`, { timeout: 30_000 }, async () => {
    const svc = row.svc();
    const url = row.url(svc);
    const undo = await row.arrange?.(svc, url);
    const real = new Publisher(svc.service.rtmpPort);
    try {
      // Every refusal of the service (a 300-character name is stored cut short, so not by stream).
      const recorded = async () => (await svc.service.store.listRejectedAttempts({ limit: 1 })).total;
      const before = await recorded();
      const viaServer = await doctorVerdict(svc, url, 'server');
      const viaCli = await doctorVerdict(svc, url, 'cli');
      assert.deepEqual(viaCli, viaServer, 'the CLI and the server ask the same decision');
      assert.equal(await recorded(), before, 'a dry run records nothing');
      const answer = await real.publish(url);
      assertAgree(row.name, viaServer, answer, row.expected);
      if (!answer.accepted) await waitFor('the refusal recorded once', async () => (await recorded()) === before + 1);
    } finally {
      real.close();
      await undo?.();
    }
  });
}

test(
  "the Cloud API action asks the server's admission: a live stream is 18/601 in its Verdict, then accepted",
  { timeout: 30_000 },
  async () => {
    const s = loose.service;
    const deps: ApiDeps = {
      config: s.config,
      store: s.store,
      domains: s.domains,
      streams: s.streams,
      records: s.records,
      publishers: s.publishers,
      hub: s.hub,
      log: s.log,
      now: s.now,
      admission: s.admission,
    };
    const url = pushUrl(loose, '127.0.0.1', 'apibusy', s.defaults.push!.auth.key);
    const ask = async () =>
      (
        (await doctorActions(deps).OpenLiveDiagnosePushUrl!(
          { PushUrl: url },
          { requestId: 'r', secretId: 's', clientIp: '127.0.0.1', now: s.now() },
        )) as { Verdict: { Accepted: boolean; BreakCode?: string } }
      ).Verdict;
    const undo = await holdStream(s.defaults.push!.auth.key)(loose, url);
    try {
      const busy = (await ask()) as { Accepted: boolean; Code?: string; BreakCode?: string; Reason?: string };
      assert.equal(busy.Accepted, false);
      assert.equal(busy.Code, 'STREAM_ALREADY_PUBLISHING');
      assert.equal(busy.BreakCode, '18/601');
      assert.match(busy.Reason ?? '', /^18\/601: "live\/apibusy" is already being published/);
    } finally {
      await undo();
    }
    await waitFor('the stream released', () => s.hub.get('live/apibusy')?.publisher === undefined);
    assert.equal((await ask()).Accepted, true);
  },
);

test(
  "real ffmpeg agrees with the doctor: a good banner URL publishes, an expired one hears the verdict's sentence",
  { timeout: 60_000 },
  async () => {
    const s = loose.service;
    const good = loose.urls('ffgood').push.rtmp;
    assert.equal((await doctorVerdict(loose, good, 'server')).accepted, true);
    const ff = ffmpegPublish(good);
    try {
      await waitFor('live', () => s.hub.get('live/ffgood')?.live === true, 20_000);
    } finally {
      await ff.stop();
    }
    const expired = pushUrl(loose, '127.0.0.1', 'ffold', s.defaults.push!.auth.key, -3600);
    const verdict = await doctorVerdict(loose, expired, 'server');
    assert.equal(verdict.accepted, false);
    const refused = ffmpegPublish(expired, { seconds: 10 });
    assert.notEqual(await refused.exited, 0);
    if (!verdict.accepted) {
      assert.equal(verdict.breakCode, '18/501');
      // ffmpeg prints "Server error: <description>" (its first 255 bytes): the doctor's sentence, word for word.
      assert.ok(refused.stderr().includes(`Server error: ${verdict.reason.slice(0, 200)}`), refused.stderr());
    }
  },
);
