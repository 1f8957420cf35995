import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config-load.ts';

test('relay.forward from YAML: a list of targets, domain defaults to *', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'openlive-fwd-')), 'c.yml');
  writeFileSync(
    file,
    'relay:\n  forward:\n    - app: live\n      url: rtmp://cdn.example.com/live/{stream}?key=k\n      name: cdn\n',
  );
  assert.deepEqual(loadConfig({ file }).relay.forward, [
    { domain: '*', app: 'live', url: 'rtmp://cdn.example.com/live/{stream}?key=k', name: 'cdn' },
  ]);
});

test('relay.forward from the environment or a flag: a JSON array', () => {
  const json = '[{"domain":"push.example.com","app":"*","url":"rtmps://a.rtmp.youtube.com/live2/KEY"}]';
  const want = [{ domain: 'push.example.com', app: '*', url: 'rtmps://a.rtmp.youtube.com/live2/KEY' }];
  assert.deepEqual(loadConfig({ env: { OPENLIVE_RELAY__FORWARD: json } }).relay.forward, want);
  assert.deepEqual(loadConfig({ flags: { 'relay.forward': json } }).relay.forward, want);
});

test('a target that is not rtmp(s)://host/app, or lacks its app, stops start-up with CONFIG_INVALID', () => {
  for (const bad of [
    '[{"app":"live","url":"http://x/live/y"}]',
    '[{"app":"live","url":"rtmp://x"}]',
    '[{"url":"rtmp://x/live/y"}]',
    'not json',
    '[{"app":"live","url":"rtmp://x/a/b","extra":1}]',
  ]) {
    assert.throws(
      () => loadConfig({ env: { OPENLIVE_RELAY__FORWARD: bad } }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.match(err.message, /relay\.forward/);
        return true;
      },
      bad,
    );
  }
});
