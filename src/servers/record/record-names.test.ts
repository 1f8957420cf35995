import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { fileBase, insideRoot, safeName, streamFolder } from './record-names.ts';

test('safeName keeps Tencent names and encodes everything else', () => {
  assert.equal(safeName('live_stream-1'), 'live_stream-1');
  assert.equal(safeName('a.b'), 'a.b');
  assert.equal(safeName('..'), '%2E.');
  assert.equal(safeName('../../x'), '%2E.%2F..%2Fx');
  assert.equal(safeName(''), '%00');
  assert.equal(safeName('é'), '%C3%A9');
});

test('a name like ../../x cannot leave the record folder', () => {
  const root = '/data/record';
  const folder = streamFolder('push.example.com', '../../x', '../../../etc/passwd');
  const full = insideRoot(root, join(folder, 'f.flv'));
  assert.ok(full.startsWith(`${resolve(root)}/`), full);
  assert.equal(folder.split('/').length, 3);
  assert.throws(() => insideRoot(root, '../x'), { code: 'RECORD_WRITE_FAILED' });
  assert.throws(() => insideRoot(root, '/etc/passwd'), { code: 'RECORD_WRITE_FAILED' });
});

test('property: any domain, app and stream give three safe components under the root', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.string(), (d, a, s) => {
      const folder = streamFolder(d, a, s);
      const parts = folder.split('/');
      assert.equal(parts.length, 3);
      for (const p of parts) assert.ok(p !== '' && p !== '.' && p !== '..' && !p.includes('\\') && !p.includes('\0'));
      assert.ok(insideRoot('/r', join(folder, `${fileBase(s, 0, 1)}.flv`)).startsWith('/r/'));
    }),
  );
});

test('fileBase names the stream and its UTC start', () => {
  assert.equal(fileBase('demo', Date.UTC(2026, 11, 1, 23, 59, 59, 120), 3), 'demo_20261201T235959Z_3');
});
