import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../store/memory-store.ts';
import { bootstrap } from '../../control/bootstrap.ts';
import { verifySignature } from '../../control/signing.ts';
import { configSchema } from '../../config/config-schema.ts';
import { urlCommand } from './url-command.ts';

const now = Date.UTC(2026, 10, 25, 10, 0, 0);
const config = configSchema.parse({});

test('prints a push URL that the default domain accepts, its OBS split and the play URLs', async () => {
  const store = new MemoryStore();
  const boot = await bootstrap({ store, now: () => now });
  const text = await urlCommand(config, store, { stream: 'cam1', expires: '2h' }, now);
  const push = /Push URL +(\S+)/.exec(text)![1]!;
  const url = new URL(push);
  assert.equal(url.pathname, '/live/cam1');
  assert.equal(url.searchParams.get('txTime'), (now / 1000 + 7200).toString(16).toUpperCase());
  const auth = boot.push!.auth;
  const check = verifySignature({
    streamName: 'cam1',
    txSecret: url.searchParams.get('txSecret') ?? undefined,
    txTime: url.searchParams.get('txTime') ?? undefined,
    key: auth.key,
    backupKey: auth.backupKey,
    authDelta: auth.authDelta,
    algorithm: auth.algorithm,
    nowMs: now,
  });
  assert.equal(check.ok, true);
  assert.match(text, /OBS Server +rtmp:\/\/127\.0\.0\.1\/live\/\n/);
  assert.match(text, /OBS Key +cam1\?txSecret=[0-9a-f]{32}&txTime=/);
  assert.match(text, /Play FLV +http:\/\/127\.0\.0\.1:8080\/live\/cam1\.flv/);
});

test('--json prints the same URLs for machines; a bad --expires names the flag', async () => {
  const store = new MemoryStore();
  await bootstrap({ store, now: () => now });
  const json = JSON.parse(await urlCommand(config, store, { stream: 's', json: 'true' }, now)) as {
    push: { rtmp: string };
  };
  assert.match(json.push.rtmp, /^rtmp:\/\/127\.0\.0\.1\/live\/s\?txSecret=/);
  await assert.rejects(urlCommand(config, store, { expires: 'soon' }, now), /--expires/);
  await assert.rejects(urlCommand(config, store, { domain: 'play.localhost' }, now), { code: 'DOMAIN_TYPE_MISMATCH' });
});
