import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataKeyFileIn, loadDataKey } from './data-key-file.ts';

test('the data key is created once with mode 0600 and read back the same', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'openlive-key-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  const key = loadDataKey(data);
  assert.equal(key.length, 32);
  assert.equal(statSync(dataKeyFileIn(data)).mode & 0o777, 0o600);
  assert.deepEqual(loadDataKey(data), key);
});

test('a corrupt data key file is refused with CREDENTIAL_UNREADABLE, never replaced', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'openlive-key-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(dataKeyFileIn(dir), 'not hex\n');
  assert.throws(() => loadDataKey(dir), { code: 'CREDENTIAL_UNREADABLE' });
  assert.throws(() => loadDataKey(dir), { code: 'CREDENTIAL_UNREADABLE' });
});

test('the folder is created 0700, and a key file others can read is tightened to 0600', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'openlive-key-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  const key = loadDataKey(data);
  assert.equal(statSync(data).mode & 0o777, 0o700);
  chmodSync(dataKeyFileIn(data), 0o644);
  assert.deepEqual(loadDataKey(data), key);
  assert.equal(statSync(dataKeyFileIn(data)).mode & 0o777, 0o600);
});
