import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../config/config-schema.ts';
import { apiExposureWarning, isLoopbackHost, startBanner } from './banner.ts';

const noDomains = { created: false, push: undefined, play: undefined };

test('the admin listener is loopback by default, and the banner says how to open it', () => {
  const config = configSchema.parse({});
  assert.equal(config.api.host, '127.0.0.1');
  const text = startBanner(config, noDomains, 1935, 8080, 0, { port: 8081, created: undefined });
  assert.match(text, /Cloud API .*http:\/\/127\.0\.0\.1:8081\//);
  assert.match(
    text,
    /listens on 127\.0\.0\.1 only; to open it to the network: --api\.host 0\.0\.0\.0 or OPENLIVE_API__HOST=0\.0\.0\.0/,
  );
  assert.equal(apiExposureWarning(config.api.host), undefined);
});

test('a non-loopback admin bind gets a warning naming the missing TLS', () => {
  const config = configSchema.parse({ api: { host: '0.0.0.0' } });
  const text = startBanner(config, noDomains, 1935, 8080, 0, { port: 8081, created: undefined });
  assert.match(text, /http:\/\/127\.0\.0\.1:8081\/ .*\n.*reachable from the network over plain HTTP/);
  for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com'])
    assert.match(apiExposureWarning(host) ?? '', /without TLS/, host);
});

test('isLoopbackHost knows 127/8, ::1 and localhost, and nothing else', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1'])
    assert.ok(isLoopbackHost(h), h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '127.0.0.1.example.com', ''])
    assert.ok(!isLoopbackHost(h), h);
});
