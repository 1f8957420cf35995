import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect, type TLSSocket } from 'node:tls';
import { once } from 'node:events';
import { CertificateStore, type CertificateConfig } from './certificate-store.ts';
import { matchesServerName } from './server-name.ts';
import { makeCert } from '../../../test/support/tls-certs.ts';
import type { ErrorCode } from '../../errors.ts';

const quiet = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child() {
    return quiet;
  },
} as never;

function setup(config: Partial<CertificateConfig>) {
  const errors: ErrorCode[] = [];
  let tick: (() => void) | undefined;
  const store = new CertificateStore(
    { cert: '', key: '', certificates: [], reloadIntervalMs: 1000, minVersion: 'TLSv1.2', ...config },
    {
      log: quiet,
      countError: (c) => errors.push(c),
      setInterval: (fn) => (tick = fn),
      clearInterval: () => (tick = undefined),
    },
  );
  return { store, errors, tick: () => tick?.() };
}

test('wildcards cover one label (RFC 6125 §6.4.3); names compare without case', () => {
  assert.equal(matchesServerName('*.example.com', 'a.example.com'), true);
  assert.equal(matchesServerName('*.example.com', 'A.Example.COM'), true);
  assert.equal(matchesServerName('*.example.com', 'a.b.example.com'), false);
  assert.equal(matchesServerName('*.example.com', 'example.com'), false);
  assert.equal(matchesServerName('live.example.com', 'live.example.com.'), true);
  assert.equal(matchesServerName('live.example.com', 'xlive.example.com'), false);
});

test('a bad file at start throws TLS_CERT_INVALID; nothing configured or a cert without its key too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certstore-'));
  try {
    const a = makeCert(dir, 'a');
    const b = makeCert(dir, 'b');
    assert.throws(() => setup({}).store.start(), { code: 'TLS_CERT_INVALID' });
    assert.throws(() => setup({ cert: a.cert }).store.start(), { code: 'TLS_CERT_INVALID' });
    assert.throws(() => setup({ cert: join(dir, 'missing.pem'), key: a.key }).store.start(), {
      code: 'TLS_CERT_INVALID',
    });
    // A key of another certificate.
    assert.throws(() => setup({ cert: a.cert, key: b.key }).store.start(), { code: 'TLS_CERT_INVALID' });
    assert.doesNotThrow(() => setup({ cert: a.cert, key: a.key }).store.start());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SNI: exact names before wildcards, the default otherwise; a poll reloads changed files and a bad one keeps the old set', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'certstore-'));
  const server = createServer({});
  try {
    const def = makeCert(dir, 'def');
    const wild = makeCert(dir, 'wild', { altNames: ['DNS:*.example.com'] });
    const exact = makeCert(dir, 'exact', { altNames: ['DNS:live.example.com'] });
    const { store, errors, tick } = setup({
      cert: def.cert,
      key: def.key,
      certificates: [
        { domains: ['*.example.com'], cert: wild.cert, key: wild.key },
        { domains: ['live.example.com'], cert: exact.cert, key: exact.key },
      ],
    });
    store.start();
    const tlsServer = createServer({ ...store.defaultOptions(), SNICallback: store.sniCallback });
    store.onReload((o) => tlsServer.setSecureContext(o));
    tlsServer.listen(0, '127.0.0.1');
    await once(tlsServer, 'listening');
    const port = (tlsServer.address() as { port: number }).port;
    const served = async (servername?: string): Promise<string> => {
      const s: TLSSocket = connect({
        host: '127.0.0.1',
        port,
        rejectUnauthorized: false,
        ...(servername && { servername }),
      });
      await once(s, 'secureConnect');
      const fp = s.getPeerX509Certificate()!.fingerprint256;
      s.destroy();
      return fp;
    };
    assert.equal(await served('live.example.com'), exact.fingerprint256);
    assert.equal(await served('cam.example.com'), wild.fingerprint256);
    assert.equal(await served('other.test'), def.fingerprint256);
    assert.equal(await served(), def.fingerprint256);
    assert.deepEqual(
      store.list().map((c) => c.domains),
      [['*'], ['*.example.com'], ['live.example.com']],
    );

    // Unchanged files: a poll does nothing.
    tick();
    assert.equal(store.reloads, 0);
    const next = makeCert(dir, 'next');
    copyFileSync(next.cert, def.cert);
    copyFileSync(next.key, def.key);
    tick();
    assert.equal(store.reloads, 1);
    assert.equal(await served(), next.fingerprint256);

    writeFileSync(wild.cert, 'garbage');
    tick();
    assert.deepEqual(errors, ['TLS_CERT_RELOAD_FAILED']);
    assert.equal(store.reloads, 1);
    assert.equal(await served('cam.example.com'), wild.fingerprint256, 'the old set stays');
    // The same broken files are not retried on every poll, only when they change again.
    tick();
    assert.equal(errors.length, 1);
    store.close();
    tlsServer.close();
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
