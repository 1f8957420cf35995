/**
 * The troubleshooter against a running openlive: the probe really connects and handshakes, a stream
 * really published by ffmpeg is "in use" both for the Cloud API action (live registry) and for the
 * CLI in its own process (open record + HEAD on HTTP-FLV), and the CLI diagnoses a missing CNAME
 * through a loopback DNS server with exit status 2.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startService, type TestService } from '../support/service.ts';
import { publish } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';
import { TestDnsServer } from '../dns/dns-server.ts';
import { doctorActions } from '../../src/servers/api/actions/doctor-actions.ts';
import type { ApiDeps } from '../../src/servers/api/api-deps.ts';
import type { DoctorReport } from '../../src/control/doctor/doctor.ts';

const run = promisify(execFile);
const main = new URL('../../src/main.ts', import.meta.url).pathname;

let svc: TestService;
let dns: TestDnsServer;
before(async () => {
  dns = await TestDnsServer.start();
  svc = await startService({ domains: { dnsServers: [dns.address] } });
});
after(async () => {
  await svc.close();
  await dns.close();
});

/** Runs `openlive doctor` as its own process over the service's data dir and ports. */
async function doctorCli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const s = svc.service;
  const config = [
    '--data-dir',
    svc.dataDir,
    '--rtmp.host',
    '127.0.0.1',
    '--rtmp.port',
    String(s.rtmpPort),
    '--http.host',
    '127.0.0.1',
    '--http.port',
    String(s.httpPort),
    '--domains.dns-servers',
    dns.address,
  ];
  try {
    const { stdout, stderr } = await run(process.execPath, [main, 'doctor', ...args, ...config], { timeout: 30_000 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

/** The action as the router would call it, with deps from the running service. */
async function doctorApi(
  url: string,
): Promise<{ Checks: Array<{ Name: string; Status: string; Detail: string; BreakCode: string }>; Ok: boolean }> {
  const s = svc.service;
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
  };
  const answer = await doctorActions(deps).OpenLiveDiagnosePushUrl!(
    { PushUrl: url },
    { requestId: 'r', secretId: 's', clientIp: '127.0.0.1', now: s.now() },
  );
  return answer as never;
}

test('a good URL against the running server: the probe handshakes for real and every check passes', async () => {
  const api = await doctorApi(svc.urls('idle').push.rtmp);
  assert.deepEqual(
    api.Checks.map((c) => c.Status),
    Array(9).fill('pass'),
    JSON.stringify(api.Checks, null, 1),
  );
  assert.match(
    api.Checks.find((c) => c.Name === 'port')!.Detail,
    /answers RTMP \(TCP connect [\d.]+ ms, RTMP handshake [\d.]+ ms, connect [\d.]+ ms\)/,
  );
  const cli = await doctorCli(svc.urls('idle').push.rtmp);
  assert.equal(cli.code, 0, cli.stderr + cli.stdout);
  assert.match(
    cli.stdout,
    /^PASS {2}Stream in use {5}no one publishes live\/idle: no open publish record, and the HTTP-FLV port 127\.0\.0\.1:\d+ does not serve it$/m,
  );
  assert.match(cli.stdout, /^No check failed\.$/m);
});

test("seeded fault: stream already live (real ffmpeg) fails in the API and in the CLI, with the publisher's IP", async () => {
  const url = svc.urls('busy').push.rtmp;
  const ff = publish(url);
  try {
    await waitFor('live', () => svc.service.hub.get('live/busy')?.live === true);
    const api = await doctorApi(url);
    const live = api.Checks.find((c) => c.Name === 'live')!;
    assert.equal(live.Status, 'fail');
    assert.equal(live.BreakCode, '18/601');
    assert.match(
      live.Detail,
      /live\/busy is being published from 127\.0\.0\.1 since \S+ \(\d+s\) on push\.localhost \(the server's live publishers\)/,
    );
    assert.equal(api.Ok, false);

    const cli = await doctorCli('--json', url);
    assert.equal(cli.code, 2, cli.stderr);
    const report = JSON.parse(cli.stdout) as DoctorReport;
    const cliLive = report.checks.find((c) => c.name === 'live')!;
    assert.equal(cliLive.status, 'fail');
    assert.match(
      cliLive.detail,
      /from 127\.0\.0\.1 since .* \(open publish record; the HTTP-FLV port 127\.0\.0\.1:\d+ serves it\)/,
    );
    assert.ok(!cli.stdout.includes(svc.service.defaults.push!.auth.key), 'no key printed');
  } finally {
    await ff.stop();
  }
  await waitFor(
    'the record to end',
    async () => (await svc.service.store.listPublishRecords({ stream: 'busy', open: true })).total === 0,
  );
  assert.equal((await doctorApi(url)).Checks.find((c) => c.Name === 'live')!.Status, 'pass');
});

test('seeded fault via the CLI: a push domain without its CNAME exits 2 and names the record to add', async () => {
  await svc.service.domains.add({ name: 'cam.example.test', type: 'push', auth: { key: 'CamKey1' } });
  const url = `rtmp://cam.example.test:${svc.service.rtmpPort}/live/cam?txSecret=00000000000000000000000000000000&txTime=FFFFFFFF`;
  const cli = await doctorCli(url, '--timeout-ms', '1000');
  assert.equal(cli.code, 2, cli.stderr);
  assert.match(
    cli.stdout,
    /^FAIL {2}CNAME +cam\.example\.test has no CNAME \(and no address\): encoders cannot find the server$/m,
  );
  assert.match(
    cli.stdout,
    /fix: add the DNS record cam\.example\.test CNAME cam\.example\.test\.live\.openlive\.local$/m,
  );
  assert.match(cli.stdout, /^FAIL {2}RTMP port +cam\.example\.test does not resolve from here/m);
  assert.match(cli.stdout, /^FAIL {2}txSecret +\[18\/503\]/m);
  assert.match(cli.stdout, /^\d checks failed, \d warnings?\.$/m);

  dns.set('cam.example.test', { cname: 'cam.example.test.live.openlive.local' });
  const fixed = await doctorCli('--json', url);
  const report = JSON.parse(fixed.stdout) as DoctorReport;
  assert.equal(report.checks.find((c) => c.name === 'cname')!.status, 'pass');
});

test('the CLI refuses a missing URL and unknown options with exit 1', async () => {
  const none = await doctorCli();
  assert.equal(none.code, 1);
  assert.match(none.stderr, /CONFIG_INVALID: missing the push URL/);
  const extra = await doctorCli('rtmp://127.0.0.1/live/x', '--verbose');
  assert.equal(extra.code, 1);
  assert.match(extra.stderr, /doctor does not take --verbose/);
});
