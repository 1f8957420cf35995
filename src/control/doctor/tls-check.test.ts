import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tlsCheck } from './tls-check.ts';
import type { RtmpProbeResult, TlsPeer } from './push-probe.ts';

const now = Date.parse('2026-06-01T00:00:00Z');
const day = 24 * 3600_000;
const peer: TlsPeer = {
  protocol: 'TLSv1.3',
  trusted: true,
  subject: 'CN=live.example.com',
  issuer: 'CN=R11',
  names: ['live.example.com'],
  nameMatches: true,
  notBefore: now - 30 * day,
  notAfter: now + 60 * day,
};
const probe = (p: Partial<TlsPeer>): RtmpProbeResult => ({ ok: true, tcpMs: 1, tlsMs: 2, tls: { ...peer, ...p } });

test('a trusted certificate that covers the host and is valid for weeks passes', () => {
  assert.equal(tlsCheck('live.example.com', 443, probe({}), now).status, 'pass');
});

test('expired, not yet valid and name mismatch fail with their fix; under 14 days and untrusted warn', () => {
  const expired = tlsCheck('live.example.com', 443, probe({ notAfter: now - day }), now);
  assert.equal(expired.status, 'fail');
  assert.match(expired.detail, /expired 1d00h ago/);
  assert.match(expired.fix, /renew/);
  assert.equal(tlsCheck('live.example.com', 443, probe({ notBefore: now + day }), now).status, 'fail');
  const mismatch = tlsCheck('other.example.com', 443, probe({ nameMatches: false }), now);
  assert.equal(mismatch.status, 'fail');
  assert.match(mismatch.fix, /tls\.certificates with domains \[other\.example\.com\]/);
  const soon = tlsCheck('live.example.com', 443, probe({ notAfter: now + 3 * day }), now);
  assert.equal(soon.status, 'warn');
  assert.match(soon.detail, /expires in 3d00h/);
  const selfSigned = tlsCheck(
    'live.example.com',
    443,
    probe({ trusted: false, trustError: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
    now,
  );
  assert.equal(selfSigned.status, 'warn');
  assert.match(selfSigned.detail, /DEPTH_ZERO_SELF_SIGNED_CERT/);
});

test('a port that does not speak TLS fails and names the rtmps port as the fix', () => {
  const c = tlsCheck(
    'live.example.com',
    1935,
    { ok: false, failedAt: 'tls', error: 'ERR_SSL_WRONG_VERSION_NUMBER', tcpMs: 1 },
    now,
  );
  assert.equal(c.status, 'fail');
  assert.match(c.detail, /ERR_SSL_WRONG_VERSION_NUMBER/);
  assert.match(c.fix, /rtmps\.enabled/);
});
