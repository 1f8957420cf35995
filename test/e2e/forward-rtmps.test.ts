/**
 * A push relay to an RTMPS target: a TLS terminator (as stunnel or a cloud load balancer in front of an
 * RTMP ingest) with a self-signed certificate for `localhost` in front of a real openlive; the forwarder
 * dials `rtmps://localhost:<port>/…` through node:tls, trusting that certificate, and the stream goes live
 * behind it with the media the publisher sent. A wrong CA is refused at the TLS handshake (FORWARD_UNREACHABLE).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { Hub } from '../../src/hub/hub.ts';
import { PushForwarder, rtmpDialer } from '../../src/servers/relay/push-forwarder.ts';
import type { ForwardOptions } from '../../src/servers/relay/forward-session.ts';
import { startService, type TestService } from '../support/service.ts';
import { fixtureMedia } from '../support/media-feed.ts';
import { waitFor } from '../support/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'openlive-rtmps-'));
let target: TestService;
let terminator: Server;
let tlsPort = 0;
let cert: Buffer;
const options: ForwardOptions = {
  connectTimeoutMs: 5000,
  backoffInitialMs: 200,
  backoffMaxMs: 1000,
  refusedRetryMs: 60_000,
  maxQueueBytes: 8 << 20,
};
const quiet = { warn() {}, info() {}, debug() {} };

before(async () => {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'cert.pem'));
  target = await startService();
  terminator = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (tls) => {
    const plain = connect(target.service.rtmpPort, '127.0.0.1');
    tls.pipe(plain).pipe(tls);
    const end = (): void => void (tls.destroy(), plain.destroy());
    tls.on('error', end).on('close', end);
    plain.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => terminator.listen(0, '127.0.0.1', resolve));
  tlsPort = (terminator.address() as { port: number }).port;
});

after(async () => {
  terminator?.close();
  await target?.close();
  rmSync(dir, { recursive: true, force: true });
});

function forwarder(hub: Hub, ca: Buffer): PushForwarder {
  const push = new URL(target.urls('cam').push.rtmp);
  const url = `rtmps://localhost:${tlsPort}${push.pathname}${push.search}`;
  return new PushForwarder({
    hub,
    targets: [{ domain: '*', app: 'live', url, name: 'tls' }],
    options,
    log: quiet,
    now: Date.now,
    countError: () => undefined,
    dial: rtmpDialer({ ca }),
  });
}

test('a stream is forwarded over RTMPS and goes live behind the TLS terminator', async () => {
  const hub = new Hub();
  const fwd = forwarder(hub, cert);
  const stream = hub.claim('live/cam', { id: 'enc' });
  fwd.onPublish({
    domain: 'push.example',
    app: 'live',
    stream: 'cam',
    clientIp: '',
    serverIp: '',
    query: '',
    startedAt: Date.now(),
  });
  const media = fixtureMedia().filter((m) => !(m.type === 9 && m.payload[1] === 2));
  for (const m of media) stream.publish(m);
  await waitFor('the target has the stream live', () => target.service.hub.get('live/cam')?.live === true, 15_000);
  const sent = media.reduce((n, m) => n + m.payload.length, 0);
  await waitFor(
    'the GOP arrived',
    () => (target.service.hub.get('live/cam')?.stats().bytesIn ?? 0) >= sent * 0.9,
    15_000,
  );
  const [st] = fwd.list();
  assert.equal(st?.state, 'forwarding');
  assert.ok(st!.bytes > sent, `bytes ${st?.bytes}`);
  assert.ok(target.service.hub.get('live/cam')?.videoHeader, 'the sequence header went first');
  hub.release(stream, 'enc');
  assert.equal(fwd.list()[0]?.state, 'stopped');
  await waitFor('the target ended the stream', () => target.service.hub.get('live/cam')?.live !== true, 15_000);
  fwd.close();
  hub.close();
});

test('a certificate the forwarder does not trust fails the TLS handshake: FORWARD_UNREACHABLE, retried', async () => {
  const hub = new Hub();
  const other = execFileSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=other',
    '-keyout',
    join(dir, 'k2.pem'),
  ]);
  const fwd = forwarder(hub, other);
  hub.claim('live/cam2', { id: 'enc' });
  fwd.onPublish({
    domain: 'push.example',
    app: 'live',
    stream: 'cam2',
    clientIp: '',
    serverIp: '',
    query: '',
    startedAt: Date.now(),
  });
  await waitFor('the handshake failed', () => fwd.list()[0]?.lastError !== undefined, 15_000);
  const st = fwd.list()[0]!;
  assert.equal(st.lastError?.code, 'FORWARD_UNREACHABLE');
  assert.equal(st.state, 'backing-off');
  fwd.close();
  hub.close();
});
