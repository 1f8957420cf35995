import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { errorCodes, httpStatusOf, LiveError, ProtocolError, toLiveError } from './errors.ts';

test('every error code has a line in docs/errors.md with its kind', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  for (const [code, kind] of Object.entries(errorCodes)) {
    assert.match(doc, new RegExp(`\\| \`${code}\` \\| ${kind} \\|`), `docs/errors.md lacks ${code} (${kind})`);
  }
});

test('HTTP status follows the kind of the code', () => {
  assert.equal(httpStatusOf(new LiveError('STREAM_NOT_FOUND', 'x')), 404);
  assert.equal(httpStatusOf(new ProtocolError('AMF0_TRUNCATED', 'x')), 400);
  assert.equal(httpStatusOf(new LiveError('STREAM_ALREADY_PUBLISHING', 'x')), 409);
  assert.equal(httpStatusOf(new Error('boom')), 500);
});

test('unknown throwables become INTERNAL with the cause kept', () => {
  const cause = new TypeError('bad');
  const err = toLiveError(cause);
  assert.equal(err.code, 'INTERNAL');
  assert.equal(err.cause, cause);
  const same = new LiveError('ACCESS_DENIED', 'no');
  assert.equal(toLiveError(same), same);
});
