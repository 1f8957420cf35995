import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStreamId, probeStreamId, unescapeStreamId } from './srt-stream-id.ts';

test("Tencent's push stream id publishes: h is the host, r the app/stream, the rest the query", () => {
  const r = parseStreamId('#!::h=Push.Example.com,r=live/cam,txSecret=abc,txTime=6A000000', '10.0.0.2')!;
  assert.deepEqual(
    [r.mode, r.request.protocol, r.request.host, r.request.app, r.request.stream],
    ['publish', 'srt', 'push.example.com', 'live', 'cam'],
  );
  assert.deepEqual(
    [r.request.query.get('txSecret'), r.request.query.get('txTime'), r.request.clientIp],
    ['abc', '6A000000', '10.0.0.2'],
  );
});

test('m=request plays, m=publish publishes, a bare app/stream?query publishes; no stream is undefined', () => {
  assert.equal(parseStreamId('#!::r=live/cam,m=request', '')!.mode, 'request');
  assert.equal(parseStreamId('#!::m=publish,r=live/cam', '')!.mode, 'publish');
  const bare = parseStreamId('live/cam?txSecret=x&txTime=1', '')!;
  assert.deepEqual(
    [bare.mode, bare.request.host, bare.request.stream, bare.request.query.get('txSecret')],
    ['publish', '', 'cam', 'x'],
  );
  assert.equal(parseStreamId('#!::h=x,m=publish', ''), undefined);
  assert.equal(parseStreamId('', ''), undefined);
});

test('a percent-encoded #!:: stream id (as URL builders write it) is decoded; others are left alone', () => {
  assert.equal(unescapeStreamId(encodeURIComponent('#!::r=live/cam,txSecret=a')), '#!::r=live/cam,txSecret=a');
  assert.equal(unescapeStreamId('%23!%zz'), '%23!%zz', 'a malformed escape is kept as it is');
  assert.equal(unescapeStreamId('live/a%20b'), 'live/a%20b');
});

test('the probe form keeps every key, replaces m= and turns a bare stream id into the #!:: form', () => {
  const tencent = probeStreamId('#!::h=push.example.com,r=live/cam,txSecret=abc,txTime=6A000000,m=publish');
  assert.equal(tencent, '#!::h=push.example.com,r=live/cam,txSecret=abc,txTime=6A000000,m=probe');
  const probed = parseStreamId(tencent, '')!;
  assert.deepEqual(
    [probed.mode, probed.request.host, probed.request.stream, probed.request.query.get('txSecret')],
    ['probe', 'push.example.com', 'cam', 'abc'],
  );
  const bare = parseStreamId(probeStreamId('live/cam?txSecret=x&txTime=1'), '')!;
  assert.deepEqual(
    [bare.mode, bare.request.app, bare.request.stream, bare.request.query.get('txTime')],
    ['probe', 'live', 'cam', '1'],
  );
  assert.equal(parseStreamId(probeStreamId(encodeURIComponent('#!::r=live/a')), '')!.mode, 'probe');
});
