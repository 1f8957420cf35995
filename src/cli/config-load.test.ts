import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config-load.ts';
import { configSchema } from '../config/config-schema.ts';
import { parseArgs } from './args.ts';

const sample = new URL('../../config.sample.yml', import.meta.url).pathname;

test('config.sample.yml holds exactly the defaults of the schema', () => {
  assert.deepEqual(loadConfig({ file: sample }), configSchema.parse({}));
});

test('file, then environment, then flags: the last one wins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openlive-config-'));
  const file = join(dir, 'c.yml');
  writeFileSync(file, 'rtmp:\n  port: 1000\nhttp:\n  port: 1001\nfanout:\n  mergeWindowMs: 5\n');
  const config = loadConfig({
    file,
    env: { OPENLIVE_HTTP__PORT: '2001', OPENLIVE_FANOUT__MERGE_WINDOW_MS: '7', HOME: '/x' },
    flags: { 'fanout.mergeWindowMs': '0' },
  });
  assert.equal(config.rtmp.port, 1000);
  assert.equal(config.http.port, 2001);
  assert.equal(config.fanout.mergeWindowMs, 0);
});

test('a wrong value stops start-up with CONFIG_INVALID naming the key', () => {
  assert.throws(
    () => loadConfig({ flags: { 'rtmp.port': '70000' } }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.match(err.message, /rtmp\.port/);
      return true;
    },
  );
  assert.throws(() => loadConfig({ flags: { 'fanout.gopCache': 'maybe' } }), /fanout\.gopCache/);
  assert.throws(() => loadConfig({ flags: { 'http.bogus': '1' } }), /http\.bogus: unknown key/);
});

test('booleans from text: "false" really is false', () => {
  assert.equal(loadConfig({ flags: { 'fanout.gopCache': 'false' } }).fanout.gopCache, false);
});

test('a broken YAML file is reported with its path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openlive-config-'));
  const file = join(dir, 'bad.yml');
  writeFileSync(file, 'rtmp: [unclosed\n');
  assert.throws(
    () => loadConfig({ file }),
    (err: Error) => err.message.includes(file),
  );
});

test('command-line flags: kebab-case becomes the schema key, both flag forms work', () => {
  const args = parseArgs(['start', '--data-dir', '/d', '--fanout.merge-window-ms=0', '--verbose']);
  assert.equal(args.command, 'start');
  assert.deepEqual(args.flags, { dataDir: '/d', 'fanout.mergeWindowMs': '0', verbose: 'true' });
});
