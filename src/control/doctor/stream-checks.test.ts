import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PublishRecord } from '../../store/store.ts';
import { liveCheck, publisherFromOutside } from './stream-checks.ts';

const t0 = Date.UTC(2026, 0, 10, 12, 0, 0);
const open: PublishRecord = {
  id: 1,
  domain: 'push.localhost',
  app: 'live',
  stream: 'cam1',
  clientIp: '192.0.2.44',
  startedAt: t0 - 600_000,
  endedAt: null,
  durationMs: null,
  breakCode: null,
  reason: null,
  bytesIn: 0,
  width: null,
  height: null,
  videoCodec: null,
  audioCodec: null,
};
const where = 'the HTTP-FLV port 127.0.0.1:8080';

test('outside view: an open record the server serves is live, with who and since when', () => {
  const p = publisherFromOutside(open, { live: true }, where);
  const c = liveCheck('live', 'cam1', p, undefined, t0);
  assert.equal(c.status, 'fail');
  assert.match(
    c.detail,
    /from 192\.0\.2\.44 since 2026-01-10T11:50:00Z \(10m00s\) on push\.localhost \(open publish record; the HTTP-FLV port 127\.0\.0\.1:8080 serves it\)/,
  );
});

test('outside view: live without a record is still in use, without a name', () => {
  const c = liveCheck('live', 'cam1', publisherFromOutside(undefined, { live: true }, where), undefined, t0);
  assert.equal(c.status, 'fail');
  assert.match(
    c.detail,
    /^live\/cam1 is being published \(the HTTP-FLV port .* serves it \(no open publish record says who\)\)/,
  );
});

test('outside view: an open record the running server does not serve was left by a stopped server (warn)', () => {
  const c = liveCheck('live', 'cam1', publisherFromOutside(open, { live: false }, where), undefined, t0);
  assert.equal(c.status, 'warn');
  assert.match(
    c.detail,
    /was published from 192\.0\.2\.44 since .*; the store has an open publish record, but .* does not serve the stream: a server stopped without ending the record/,
  );
});

test('outside view: an open record and no server to ask cannot be told apart (warn, saying so)', () => {
  const c = liveCheck('live', 'cam1', publisherFromOutside(open, { error: 'ECONNREFUSED' }, where), undefined, t0);
  assert.equal(c.status, 'warn');
  assert.match(
    c.detail,
    /could not say whether it is still live \(ECONNREFUSED\), so it may be left by a server that stopped/,
  );
  const none = liveCheck('live', 'cam1', publisherFromOutside(undefined, { error: 'HTTP 403' }, where), undefined, t0);
  assert.equal(none.status, 'pass');
  assert.match(none.detail, /no open publish record \(.* could not be asked: HTTP 403\)/);
});
