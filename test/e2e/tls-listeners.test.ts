/**
 * RTMPS, HTTPS playback and the admin API over TLS on one openlive, with certificates made by openssl
 * in a temp dir: ffmpeg publishes to rtmps://…?txSecret=…, ffprobe reads it back over RTMPS, HTTPS-FLV
 * and HTTPS-HLS; Tencent's SDK calls the API over https://; SNI picks the certificate per name; a
 * certificate replaced on disk is served to the next connection while open ones go on; a broken file
 * keeps the old one (TLS_CERT_RELOAD_FAILED); the doctor judges rtmps:// URLs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { once } from 'node:events';
import { startService, type TestService } from '../support/service.ts';
import { probe, publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { liveClient, type LiveClient } from '../support/api-client.ts';
import { makeCert, type TestCert } from '../support/tls-certs.ts';
import { waitFor } from '../support/wait.ts';
import { connectionErrors } from '../support/metrics.ts';

const dir = mkdtempSync(join(tmpdir(), 'openlive-tls-'));
let svc: TestService;
let main: TestCert;
let sni: TestCert;
let client: LiveClient & { close(): void };
let ff: FfmpegProcess | undefined;

before(async () => {
  main = makeCert(dir, 'main');
  sni = makeCert(dir, 'sni', { cn: 'live.example.com', altNames: ['DNS:*.example.com'] });
  // The served files are copies, so the test can replace them.
  copyFileSync(main.cert, join(dir, 'served.pem'));
  copyFileSync(main.key, join(dir, 'served-key.pem'));
  svc = await startService({
    tls: {
      cert: join(dir, 'served.pem'),
      key: join(dir, 'served-key.pem'),
      certificates: [{ domains: ['*.example.com'], cert: sni.cert, key: sni.key }],
      reloadIntervalMs: 100,
    },
    rtmps: { enabled: true, host: '127.0.0.1', port: 0 },
    https: { enabled: true, host: '127.0.0.1', port: 0 },
    api: { tls: true },
  });
  const key = svc.service.createdCredential;
  assert.ok(key);
  client = liveClient(svc.apiEndpoint, key, { reqTimeout: 15, ca: readFileSync(main.cert) });
});

after(async () => {
  await ff?.stop();
  client?.close();
  await svc?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a TLS connection and resolves with the certificate the server presented. */
async function handshake(port: number, servername?: string): Promise<TLSSocket> {
  const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername && { servername }) });
  await once(socket, 'secureConnect');
  return socket;
}

const fingerprintOf = (s: TLSSocket): string => s.getPeerX509Certificate()!.fingerprint256;

test('ffmpeg publishes over RTMPS; ffprobe plays it back over RTMPS, HTTPS-FLV and HTTPS-HLS', async () => {
  const urls = svc.urls('x');
  assert.match(urls.push.rtmps ?? '', /^rtmps:\/\/127\.0\.0\.1:\d+\/live\/x\?txSecret=/);
  ff = publish(urls.push.rtmps!);
  await waitFor('live/x live', () => svc.service.publishers.get('live', 'x') !== undefined, 20_000);
  for (const url of [urls.play!.rtmps!, urls.play!.httpsFlv!, urls.play!.httpsHls!]) {
    const result = await probe(url, 2);
    const video = result.streams.find((s) => s.codec_type === 'video');
    assert.equal(video?.codec_name, 'h264', url);
    assert.ok(Number(video?.nb_read_frames) > 0, `${url} decodes frames`);
  }
  // The publish went through the admission path as rtmps (the request's protocol).
  assert.ok(svc.service.rtmp.connectionCount >= 1);
});

test("Tencent's SDK calls the Cloud API over HTTPS (api.tls), trusting the test certificate", async () => {
  const res = await client.DescribeLiveDomains({});
  assert.ok((res.AllCount ?? 0) >= 2);
  const info = (await client.request('OpenLiveDescribeServerInfo', {})) as { RtmpsPort: number; HttpsPort: number };
  assert.equal(info.RtmpsPort, svc.service.rtmpsPort);
  assert.equal(info.HttpsPort, svc.service.httpsPort);
  // The admin port speaks no plain HTTP.
  await assert.rejects(fetch(`http://${svc.apiEndpoint}/`));
});

test('SNI picks the certificate per name: a wildcard entry, else the default', async () => {
  for (const port of [svc.service.rtmpsPort, svc.service.httpsPort]) {
    const a = await handshake(port, 'push.example.com');
    const b = await handshake(port, 'other.test');
    const c = await handshake(port);
    assert.equal(fingerprintOf(a), sni.fingerprint256);
    assert.equal(fingerprintOf(b), main.fingerprint256);
    assert.equal(fingerprintOf(c), main.fingerprint256);
    // One label only (RFC 6125): a.b.example.com is not covered by *.example.com.
    const d = await handshake(port, 'a.b.example.com');
    assert.equal(fingerprintOf(d), main.fingerprint256);
    for (const s of [a, b, c, d]) s.destroy();
  }
});

test('a certificate replaced on disk is served to the next connection; open ones go on; a broken file keeps the old one', async () => {
  const open = await handshake(svc.service.httpsPort);
  const before = svc.service.certificates!.reloads;
  const next = makeCert(dir, 'next');
  copyFileSync(next.key, join(dir, 'served-key.pem'));
  copyFileSync(next.cert, join(dir, 'served.pem'));
  await waitFor(
    'the new certificate',
    async () => {
      const s = await handshake(svc.service.rtmpsPort);
      const fp = fingerprintOf(s);
      s.destroy();
      return fp === next.fingerprint256;
    },
    10_000,
  );
  assert.ok(svc.service.certificates!.reloads > before);
  // The connection opened before still speaks HTTP with its old session.
  assert.equal(fingerprintOf(open), main.fingerprint256);
  open.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const [reply] = (await once(open, 'data')) as [Buffer];
  assert.match(reply.toString(), /^HTTP\/1\.1 200/);
  open.destroy();
  // The publisher over RTMPS is still live across the reload.
  assert.ok(svc.service.publishers.get('live', 'x'));

  // A broken certificate: the reload fails with its code, the last good certificate stays.
  writeFileSync(join(dir, 'served.pem'), '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
  await waitFor(
    'the failed reload counted',
    async () => (await connectionErrors(svc.httpUrl, 'TLS_CERT_RELOAD_FAILED')) >= 1,
    10_000,
  );
  const still = await handshake(svc.service.rtmpsPort);
  assert.equal(fingerprintOf(still), next.fingerprint256);
  still.destroy();
  // SIGHUP's path: a reload by hand with the files fixed swaps them in.
  copyFileSync(next.cert, join(dir, 'served.pem'));
  assert.equal(svc.service.reloadCertificates('test'), true);
});

test('the doctor checks an rtmps:// URL: handshake, certificate dates, name match, trust', async () => {
  const push = svc.urls('doc').push.rtmps!;
  type Report = { Checks: { Name: string; Status: string; Detail: string; Fix: string }[] };
  const tlsOf = async (url: string): Promise<{ Status: string; Detail: string; Fix: string }> => {
    const report = (await client.request('OpenLiveDiagnosePushUrl', { PushUrl: url })) as Report;
    const found = report.Checks.find((c) => c.Name === 'tls');
    assert.ok(found, JSON.stringify(report.Checks));
    return found;
  };
  // Self-signed, valid, names 127.0.0.1: works but is not trusted by a verifying encoder.
  const ok = await tlsOf(push);
  assert.equal(ok.Status, 'warn', ok.Detail);
  assert.match(ok.Detail, /not signed by a CA/);
  // The plain RTMP port behind an rtmps:// URL: the TLS handshake fails and the fix says which port.
  const plain = await tlsOf(push.replace(`:${svc.service.rtmpsPort}/`, `:${svc.service.rtmpPort}/`));
  assert.equal(plain.Status, 'fail');
  assert.match(plain.Fix, /rtmps/);
});

test('the doctor fails an rtmps:// URL whose certificate does not name the host, then one that has expired', async () => {
  const other = mkdtempSync(join(tmpdir(), 'openlive-tls-other-'));
  const named = makeCert(other, 'named', { cn: 'other.example', altNames: ['DNS:other.example'] });
  const expired = makeCert(other, 'expired', { days: -1 });
  const second = await startService({
    tls: { cert: named.cert, key: named.key, reloadIntervalMs: 0 },
    rtmps: { enabled: true, host: '127.0.0.1', port: 0 },
  });
  try {
    const api = liveClient(second.apiEndpoint, second.service.createdCredential!, { reqTimeout: 15 });
    const tlsCheck = async (): Promise<{ Status: string; Detail: string; Fix: string }> => {
      const report = (await api.request('OpenLiveDiagnosePushUrl', { PushUrl: second.urls('doc').push.rtmps! })) as {
        Checks: { Name: string; Status: string; Detail: string; Fix: string }[];
      };
      return report.Checks.find((c) => c.Name === 'tls')!;
    };
    const mismatch = await tlsCheck();
    assert.equal(mismatch.Status, 'fail', mismatch.Detail);
    assert.match(mismatch.Detail, /does not cover 127\.0\.0\.1/);
    assert.match(mismatch.Fix, /subjectAltName includes 127\.0\.0\.1/);
    copyFileSync(expired.key, named.key);
    copyFileSync(expired.cert, named.cert);
    assert.equal(second.service.reloadCertificates('test'), true);
    const old = await tlsCheck();
    assert.equal(old.Status, 'fail', old.Detail);
    assert.match(old.Detail, /expired/);
    assert.match(old.Fix, /renew/);
    api.close();
  } finally {
    await second.close();
    rmSync(other, { recursive: true, force: true });
  }
});

test("Tencent's certificate actions over the SDK: list, a domain's certificate, bindings on and off, unbind", async () => {
  await svc.service.domains.add({ name: 'cam.example.com', type: 'push' });
  const call = (action: string, params: Record<string, unknown>): Promise<any> => client.request(action, params);
  const { CertInfoSet } = await call('DescribeLiveCerts', {});
  assert.deepEqual(
    CertInfoSet.map((c: { CertId: number; CertName: string }) => [c.CertId, c.CertName]),
    [
      [1, 'served.pem'],
      [2, 'sni.pem'],
    ],
  );
  assert.deepEqual(CertInfoSet[1].DomainList, ['cam.example.com']);
  assert.match(CertInfoSet[1].HttpsCrt, /BEGIN CERTIFICATE/);
  const info = (await call('DescribeLiveDomainCert', { DomainName: 'cam.example.com' })).DomainCertInfo;
  assert.deepEqual([info.CertId, info.Status, info.CertDomains], [2, 1, ['*.example.com']]);

  // HTTPS rule off: handshakes for the name get the default certificate; on again: the SNI one.
  let res = await call('ModifyLiveDomainCertBindings', { DomainInfos: [{ DomainName: 'cam.example.com', Status: 0 }] });
  assert.deepEqual(res.Errors, []);
  const served = async (): Promise<string> => {
    const s = await handshake(svc.service.rtmpsPort, 'cam.example.com');
    const fp = fingerprintOf(s);
    s.destroy();
    return fp;
  };
  assert.notEqual(await served(), sni.fingerprint256);
  assert.equal((await call('DescribeLiveDomainCert', { DomainName: 'cam.example.com' })).DomainCertInfo.Status, 0);
  await call('ModifyLiveDomainCertBindings', { DomainInfos: [{ DomainName: 'cam.example.com', Status: 1 }] });
  assert.equal(await served(), sni.fingerprint256);

  // A certificate that does not name the domain is skipped and reported; an unknown domain too.
  res = await call('ModifyLiveDomainCertBindings', {
    CloudCertId: '2',
    DomainInfos: [
      { DomainName: 'push.localhost', Status: 1 },
      { DomainName: 'nope.example.org', Status: 1 },
    ],
  });
  assert.deepEqual(res.MismatchedDomainNames, ['push.localhost']);
  assert.deepEqual(
    res.Errors.map((e: { Code: string }) => e.Code),
    ['InvalidParameterValue.CrtDomainNotMatch', 'ResourceNotFound.DomainNotExist'],
  );
  // Keys are files, not API uploads.
  await assert.rejects(
    call('ModifyLiveDomainCertBindings', {
      CertificatePublicKey: 'x',
      CertificatePrivateKey: 'y',
      DomainInfos: [{ DomainName: 'cam.example.com', Status: 1 }],
    }),
    { code: 'UnsupportedOperation' },
  );

  await call('ModifyLiveDomainCertBindings', { DomainInfos: [{ DomainName: 'cam.example.com', Status: 0 }] });
  await call('UnBindLiveDomainCert', { DomainName: 'cam.example.com' });
  assert.equal(await served(), sni.fingerprint256, 'unbound: tls.certificates decides again');
});
