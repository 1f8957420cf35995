import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { packageRoot } from './package-root.ts';

test('packageRoot is the directory of openlive’s package.json', () => {
  const manifest = JSON.parse(readFileSync(`${packageRoot}package.json`, 'utf8')) as { name: string };
  assert.equal(manifest.name, 'openlive');
  assert.ok(packageRoot.endsWith('/'));
});
