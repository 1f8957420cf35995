/**
 * The one interop test of real DNS: the node:dns resolver against the loopback UDP server of test/dns,
 * through the CNAME and TXT checks, with the codes they branch on. Every other CNAME/TXT test uses
 * test/support/stub-dns.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestDnsServer } from '../../../test/dns/dns-server.ts';
import { checkCname } from '../../control/cname-check.ts';
import { hasTxtRecord } from '../../control/txt-check.ts';
import { nodeDnsResolver } from './node-dns-resolver.ts';

let dns: TestDnsServer;
before(async () => {
  dns = await TestDnsServer.start();
  dns.set('ok.example.test', { cname: 'ok.example.test.cdn.test.' });
  dns.set('other.example.test', { cname: 'somewhere.else.test' });
  dns.set('plain.example.test', { a: ['192.0.2.1'] });
  dns.set('broken.example.test', { fail: 'servfail' });
  dns.set('silent.example.test', { fail: 'drop' });
});
after(() => dns.close());

const resolver = () => nodeDnsResolver({ servers: [dns.address], timeoutMs: 300, tries: 1 });

test('CNAME answers from a real DNS server: configured, elsewhere, missing (NXDOMAIN and no CNAME)', async () => {
  const r = resolver();
  assert.deepEqual(await checkCname('OK.example.test', 'ok.example.test.cdn.test', r), {
    status: 'configured',
    target: 'ok.example.test.cdn.test',
    current: 'ok.example.test.cdn.test',
  });
  assert.equal((await checkCname('other.example.test', 'other.example.test.cdn.test', r)).status, 'elsewhere');
  assert.equal((await checkCname('none.example.test', 'x.cdn.test', r)).status, 'missing', 'NXDOMAIN');
  assert.equal((await checkCname('plain.example.test', 'x.cdn.test', r)).status, 'missing', 'A only');
  assert.ok(dns.queries.includes('ok.example.test/5'), 'the query reached the configured server');
});

test('a SERVFAIL or a silent server is CNAME_LOOKUP_FAILED with node:dns code; a missing TXT is false', async () => {
  const r = resolver();
  await assert.rejects(checkCname('broken.example.test', 'x', r), {
    code: 'CNAME_LOOKUP_FAILED',
    message: /ESERVFAIL/,
  });
  await assert.rejects(checkCname('silent.example.test', 'x', r), { code: 'CNAME_LOOKUP_FAILED', message: /ETIMEOUT/ });
  // The test server answers no TXT: NOERROR without answers (ENODATA) for a known name, NXDOMAIN otherwise.
  assert.equal(await hasTxtRecord('plain.example.test', 'x', r), false);
  assert.equal(await hasTxtRecord('none.example.test', 'x', r), false);
  await assert.rejects(hasTxtRecord('broken.example.test', 'x', r), { code: 'TXT_LOOKUP_FAILED' });
});
