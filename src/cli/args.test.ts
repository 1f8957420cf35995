import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from './args.ts';

test('a command, positionals, --key value, --key=value and bare flags', () => {
  const args = parseArgs(['domain', 'add', 'push.example.com', '--type', 'push', '--rtmp.port=1936', '--json']);
  assert.equal(args.command, 'domain');
  assert.deepEqual(args.positionals, ['add', 'push.example.com']);
  assert.deepEqual(args.flags, { type: 'push', 'rtmp.port': '1936', json: 'true' });
});

test('kebab-case segments become camelCase keys; an empty value after = stays empty', () => {
  const args = parseArgs(['--data-dir', '/d', '--fanout.merge-window-ms=0', '--tls.cert-file=', '--verbose']);
  assert.equal(args.command, undefined);
  assert.deepEqual(args.flags, { dataDir: '/d', 'fanout.mergeWindowMs': '0', 'tls.certFile': '', verbose: 'true' });
});

test('a flag before another flag is "true"; one-dash words are values; -- ends the flags', () => {
  const args = parseArgs(['start', '--verbose', '--limit', '-1', '-xy', '--rotate', '--', '--not-a-flag', 'x']);
  assert.deepEqual(args.flags, { verbose: 'true', limit: '-1', rotate: 'true' });
  assert.deepEqual(args.positionals, ['-xy', '--not-a-flag', 'x']);
});

test('the last of a repeated flag wins', () => {
  assert.deepEqual(parseArgs(['--rtmp.port', '1', '--rtmp.port=2']).flags, { 'rtmp.port': '2' });
});
