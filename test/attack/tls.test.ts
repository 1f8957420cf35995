/**
 * Attacks on the TLS listeners of a real server process (docs/security.md "TLS"): garbage and plain
 * protocols sent to the RTMPS and HTTPS ports, handshakes that never finish (nothing, or half a
 * ClientHello), and one address at its per-address cap during the TLS handshake while another
 * address still gets in. Each bad socket is closed alone with its stable code; the server stays healthy.
 * SIGHUP reloads the certificates (the poll is off here, so only the signal can have done it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { connectionErrors } from '../support/metrics.ts';
import { makeCert, type TestCert } from '../support/tls-certs.ts';
import { copyFileSync } from 'node:fs';
import { waitFor } from '../support/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'openlive-tls-attack-'));
let server: ServerProcess;
let rtmpsPort = 0;
let httpsPort = 0;
let httpUrl = '';
let cert: TestCert;

before(async () => {
  cert = makeCert(dir, 'c');
  server = await startServerProcess([
    '--tls.cert',
    cert.cert,
    '--tls.key',
    cert.key,
    '--tls.handshakeTimeoutMs',
    '1000',
    '--tls.reloadIntervalMs',
    '0',
    '--rtmps.enabled',
    'true',
    '--rtmps.host',
    '127.0.0.1',
    '--rtmps.port',
    '0',
    '--https.enabled',
    'true',
    '--https.host',
    '127.0.0.1',
    '--https.port',
    '0',
    '--rtmp.maxConnectionsPerIp',
    '4',
    '--http.maxConnectionsPerIp',
    '4',
  ]);
  rtmpsPort = Number(/RTMPS :(\d+)/.exec(server.output())?.[1]);
  httpsPort = Number(/HTTPS :(\d+)/.exec(server.output())?.[1]);
  assert.ok(rtmpsPort > 0 && httpsPort > 0, server.output());
  httpUrl = `http://127.0.0.1:${server.httpPort}`;
});

after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw TCP socket that resolves `closed` when the server closes it. */
async function raw(port: number, localAddress = '127.0.0.1'): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = netConnect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => {});
  socket.resume();
  const closed = once(socket, 'close').then(() => undefined);
  await once(socket, 'connect');
  return { socket, closed };
}

/** A TLS handshake from `localAddress`: the socket, or undefined when the server closed it first. */
async function handshake(port: number, localAddress: string): Promise<TLSSocket | undefined> {
  const tcp = netConnect({ host: '127.0.0.1', port, localAddress });
  tcp.on('error', () => {});
  const socket = tlsConnect({ socket: tcp, rejectUnauthorized: false });
  socket.on('error', () => {});
  // Not events.once: it rejects on the 'error' a refused socket emits.
  const result = await new Promise<boolean>((resolve) => {
    socket.once('secureConnect', () => resolve(true));
    socket.once('close', () => resolve(false));
  });
  return result ? socket : undefined;
}

test('garbage and plain RTMP/HTTP on the TLS ports close only those sockets, counted as TLS_HANDSHAKE_FAILED', async () => {
  const before = await connectionErrors(httpUrl, 'TLS_HANDSHAKE_FAILED');
  const payloads = [
    randomBytes(2048),
    Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
    Buffer.concat([Buffer.from([3]), randomBytes(1536)]),
  ];
  const sockets = [];
  for (const port of [rtmpsPort, httpsPort]) {
    for (const p of payloads) {
      const s = await raw(port);
      s.socket.write(p);
      sockets.push(s);
    }
  }
  await Promise.all(sockets.map((s) => s.closed));
  await waitFor(
    'the failures counted',
    async () => (await connectionErrors(httpUrl, 'TLS_HANDSHAKE_FAILED')) >= before + sockets.length,
  );
  // Still healthy: a real client gets in on both ports.
  const ok = [await handshake(rtmpsPort, '127.0.0.1'), await handshake(httpsPort, '127.0.0.1')];
  assert.ok(ok.every((s) => s !== undefined));
  for (const s of ok) s!.destroy();
  assert.equal(server.child.exitCode, null);
});

test('a handshake that never finishes is cut by tls.handshakeTimeoutMs (TLS_HANDSHAKE_TIMEOUT)', async () => {
  const before = await connectionErrors(httpUrl, 'TLS_HANDSHAKE_TIMEOUT');
  // Silent sockets, and ones that sent the first bytes of a ClientHello (a record header announcing more).
  const silent = [await raw(rtmpsPort), await raw(httpsPort)];
  const half = [await raw(rtmpsPort), await raw(httpsPort)];
  for (const s of half) s.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
  await Promise.all([...silent, ...half].map((s) => s.closed));
  await waitFor(
    'the timeouts counted',
    async () => (await connectionErrors(httpUrl, 'TLS_HANDSHAKE_TIMEOUT')) >= before + 4,
  );
});

test('the per-address caps hold during the TLS handshake; another address still gets in', async () => {
  for (const [port, code] of [
    [rtmpsPort, 'RTMP_CONNECTION_LIMIT_PER_IP'],
    [httpsPort, 'HTTP_CONNECTION_LIMIT_PER_IP'],
  ] as const) {
    const before = await connectionErrors(httpUrl, code);
    const held: TLSSocket[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await handshake(port, '127.0.0.2');
      assert.ok(s, `connection ${i + 1} of 4 is admitted`);
      held.push(s);
    }
    assert.equal(
      await handshake(port, '127.0.0.2'),
      undefined,
      'the fifth from the same address is closed before its handshake',
    );
    await waitFor(`${code} counted`, async () => (await connectionErrors(httpUrl, code)) >= before + 1);
    const other = await handshake(port, '127.0.0.3');
    assert.ok(other, 'another address still gets in');
    other.destroy();
    for (const s of held) s.destroy();
    // The slots come back when the sockets close.
    await waitFor('slots released', async () => {
      const s = await handshake(port, '127.0.0.2');
      s?.destroy();
      return s !== undefined;
    });
  }
});

test('SIGHUP reloads the certificate files: the next handshake gets the new one, the process lives on', async () => {
  const fingerprint = async (): Promise<string> => {
    const s = await handshake(rtmpsPort, '127.0.0.1');
    assert.ok(s);
    const fp = s.getPeerX509Certificate()!.fingerprint256;
    s.destroy();
    return fp;
  };
  assert.equal(await fingerprint(), cert.fingerprint256);
  const next = makeCert(dir, 'next');
  copyFileSync(next.key, cert.key);
  copyFileSync(next.cert, cert.cert);
  server.child.kill('SIGHUP');
  await waitFor('the new certificate after SIGHUP', async () => (await fingerprint()) === next.fingerprint256);
  assert.equal(server.child.exitCode, null);
});

test('SIGTERM drains with TLS sockets open on every TLS port: exit 0', async () => {
  const open = [
    await handshake(rtmpsPort, '127.0.0.1'),
    await handshake(httpsPort, '127.0.0.1'),
    (await raw(rtmpsPort)).socket,
  ];
  assert.ok(open.every((s) => s !== undefined));
  assert.equal(await server.stop(15_000), 0, server.output());
  for (const s of open) s!.destroy();
});
