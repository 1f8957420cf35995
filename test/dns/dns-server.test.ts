import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { TestDnsServer } from './dns-server.ts';

let server: TestDnsServer;
let resolver: Resolver;
before(async () => {
  server = await TestDnsServer.start();
  server.set('www.example.test', { cname: 'www.example.test.cdn.test' });
  server.set('www.example.test.cdn.test', { a: ['192.0.2.7'] });
  server.set('plain.example.test', { a: ['192.0.2.1', '192.0.2.2'] });
  server.set('broken.example.test', { fail: 'servfail' });
  resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([server.address]);
});
after(() => server.close());

test('CNAME and A queries are answered from the table, through the chain', async () => {
  assert.deepEqual(await resolver.resolveCname('www.example.test'), ['www.example.test.cdn.test']);
  assert.deepEqual(await resolver.resolve4('WWW.example.test'), ['192.0.2.7']);
  assert.deepEqual((await resolver.resolve4('plain.example.test')).sort(), ['192.0.2.1', '192.0.2.2']);
  assert.ok(server.queries.includes('www.example.test/5'));
});

test('unknown names are NXDOMAIN, names without the type are NODATA, failures are SERVFAIL', async () => {
  await assert.rejects(resolver.resolveCname('nope.example.test'), { code: 'ENOTFOUND' });
  await assert.rejects(resolver.resolveCname('plain.example.test'), { code: 'ENODATA' });
  await assert.rejects(resolver.resolveCname('broken.example.test'), { code: 'ESERVFAIL' });
});

test('malformed packets get FORMERR or no answer, never a crash', () => {
  assert.equal(server.answer(Buffer.alloc(5)), undefined);
  const bad = Buffer.from('0001010000010000000000000a61', 'hex'); // label runs past the end
  assert.equal((server.answer(bad)?.readUInt16BE(2) ?? 0) & 0xf, 1);
});
