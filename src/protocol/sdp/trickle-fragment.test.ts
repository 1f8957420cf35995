import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerFragment, parseTrickleFragment } from './trickle-fragment.ts';

/** A fragment as Chromium-driven WHIP clients send it (RFC 9725 §4.3.1 example shape). */
const chromeFragment = [
  'a=ice-ufrag:EsAw',
  'a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=mid:0',
  'a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1',
  'a=candidate:3471623853 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0',
  'a=end-of-candidates',
  '',
].join('\r\n');

test('a trickle fragment: credentials, mid, candidates', () => {
  const f = parseTrickleFragment(chromeFragment);
  assert.ok(f);
  assert.equal(f.ufrag, 'EsAw');
  assert.equal(f.pwd, 'P2uYro0UCOQ4zxjKXaWCBui1');
  assert.deepEqual(f.mids, ['0']);
  assert.equal(f.candidates.length, 2);
  assert.equal(f.endOfCandidates, true);
  // LF line ends and credentials only (an end-of-candidates notice with no new candidate) are fine.
  assert.deepEqual(parseTrickleFragment('a=ice-ufrag:EsAw\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\n')?.candidates, []);
});

test('malformed fragments', () => {
  const bad = [
    '',
    'hello',
    'a=end-of-candidates\r\n',
    chromeFragment.replace('a=ice-ufrag:EsAw\r\n', ''),
    chromeFragment.replace('a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n', ''),
    chromeFragment.replace('ice-ufrag:EsAw', 'ice-ufrag:a b'),
    chromeFragment.replace('ice-ufrag:EsAw', 'ice-ufrag:abc'),
    chromeFragment.replace('P2uYro0UCOQ4zxjKXaWCBui1', 'short'),
    chromeFragment + 'a=ice-ufrag:Other\r\n',
    chromeFragment.replace('udp 2122260223', 'udp x'),
    chromeFragment.replace('typ host generation', 'typ bogus generation'),
    chromeFragment + 'not a line\r\n',
  ];
  for (const b of bad) assert.equal(parseTrickleFragment(b), undefined, JSON.stringify(b));
});

test('the answer fragment of a restart', () => {
  const out = answerFragment({
    ufrag: 'NewU',
    pwd: 'NewPasswordOfTheServer22',
    mid: '0',
    candidates: ['a=candidate:1 1 udp 2130706431 192.0.2.9 8189 typ host'],
  });
  assert.equal(
    out,
    'a=ice-lite\r\na=ice-ufrag:NewU\r\na=ice-pwd:NewPasswordOfTheServer22\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 192.0.2.9 8189 typ host\r\na=end-of-candidates\r\n',
  );
  // What the server answers, the client's parser reads back.
  assert.equal(parseTrickleFragment(out)?.ufrag, 'NewU');
});
