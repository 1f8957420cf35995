import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RejectReason } from '../../protocol/srt/srt-reject.ts';
import { srtProbeReason } from '../srt-stream-id.ts';
import { srtPortCheck, srtRejection } from './srt-port-check.ts';

const listen = { host: '0.0.0.0', port: 9000 };
const answered = { ok: true, rejectReason: srtProbeReason, inductionMs: 1, conclusionMs: 2 };

test('answered on openlive port passes; on another port, or by a listener that accepted, warns', () => {
  assert.equal(srtPortCheck('10.0.0.1', 9000, answered, listen).status, 'pass');
  const other = srtPortCheck('10.0.0.1', 9001, answered, listen);
  assert.equal(other.status, 'warn');
  assert.match(other.fix, /forwards to openlive's port 9000/);
  const foreign = srtPortCheck(
    '10.0.0.1',
    9000,
    { ok: true, connected: true, inductionMs: 1, conclusionMs: 1 },
    listen,
  );
  assert.equal(foreign.status, 'warn');
  assert.match(foreign.detail, /a listener other than openlive/);
  const off = srtPortCheck('10.0.0.1', 9000, answered, undefined);
  assert.equal(off.status, 'warn');
  assert.match(off.detail, /SRT listener is off/);
});

test('encryption refusals: a fail with the passphrase fix, a warning when the URL sets a passphrase', () => {
  const unsecure = { ok: false, failedAt: 'conclusion' as const, rejectReason: RejectReason.unsecure, inductionMs: 1 };
  const clear = srtPortCheck('h', 9000, unsecure, listen);
  assert.equal(clear.status, 'fail');
  assert.match(clear.detail, /SRT_REJ_UNSECURE \(11\): one side encrypts and the other does not/);
  assert.match(clear.fix, /srt\.passphrase/);
  assert.equal(srtPortCheck('h', 9000, unsecure, listen, true).status, 'warn');
});

test('silence after the induction and a name that does not resolve fail with their own words', () => {
  const late = srtPortCheck(
    'h',
    9000,
    { ok: false, failedAt: 'conclusion', error: 'timeout: x', inductionMs: 3 },
    listen,
  );
  assert.match(late.detail, /answered the SRT induction in 3 ms but not the conclusion/);
  const unknown = srtPortCheck('nx.test', 9000, { ok: false, failedAt: 'resolve', error: 'ENOTFOUND' }, listen);
  assert.match(unknown.detail, /nx\.test does not resolve from here \(ENOTFOUND\)/);
});

test('every rejection reason is named; unknown ones by number', () => {
  for (const reason of Object.values(RejectReason)) assert.match(srtRejection(reason), /^SRT_REJX?_[A-Z_]+ \(\d+\): /);
  assert.equal(srtRejection(2042), 'an application reason (2042)');
  assert.equal(srtRejection(77), 'reason 77');
});
