import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostCandidateLines, iceCredentials, withHostCandidates, withoutCandidates } from './ice-candidates.ts';

const answer = [
  'v=0',
  'o=- 1 0 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'm=video 43247 UDP/TLS/RTP/SAVPF 102',
  'c=IN IP4 127.0.0.1',
  'a=ice-ufrag:d21c',
  'a=ice-pwd:78b34467a37d3cced6697a',
  'a=ice-lite',
  'a=mid:0',
  'a=candidate:626 1 udp 2116026367 127.0.0.1 43247 typ host generation 0 ufrag d21c',
  'a=end-of-candidates',
  'm=audio 43247 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 127.0.0.1',
  'a=mid:1',
  'm=application 0 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  '',
].join('\r\n');

test('the answer gets exactly the announced candidates, the shared port and default address in every live section', () => {
  const out = withHostCandidates(answer, [{ ip: '203.0.113.7', port: 8189 }]);
  const lines = out.split('\r\n');
  const candidates = lines.filter((l) => l.startsWith('a=candidate:'));
  // One per media section (video, audio, and the rejected one keeps port 0 but gets the same lines).
  assert.ok(candidates.every((c) => c === 'a=candidate:1 1 udp 2130706431 203.0.113.7 8189 typ host'));
  assert.equal(new Set(candidates).size, 1);
  assert.ok(lines.includes('m=video 8189 UDP/TLS/RTP/SAVPF 102'));
  assert.ok(lines.includes('m=audio 8189 UDP/TLS/RTP/SAVPF 111'));
  assert.ok(lines.includes('m=application 0 UDP/DTLS/SCTP webrtc-datachannel'));
  assert.ok(!out.includes('127.0.0.1'));
  assert.ok(out.endsWith('\r\n'));
  assert.deepEqual(iceCredentials(out), { ufrag: 'd21c', pwd: '78b34467a37d3cced6697a' });
  const two = withHostCandidates(answer, [
    { ip: '203.0.113.7', port: 8189 },
    { ip: '198.51.100.1', port: 8189 },
  ]);
  assert.match(two, /a=candidate:2 1 udp 2130706175 198\.51\.100\.1 8189 typ host/);
});

test('the offer loses its candidates (mDNS names included) and keeps everything else', () => {
  const offer =
    'v=0\na=ice-ufrag:1UN6\na=ice-pwd:Jrfvg8OUOHzx6gpjDLOz1lX5\na=candidate:1 1 udp 2113937151 03236cba.local 51495 typ host\na=end-of-candidates\na=mid:0\n';
  const out = withoutCandidates(offer);
  assert.ok(!out.includes('candidate'));
  assert.match(out, /a=ice-ufrag:1UN6\r\n/);
  assert.deepEqual(iceCredentials(offer), { ufrag: '1UN6', pwd: 'Jrfvg8OUOHzx6gpjDLOz1lX5' });
  assert.equal(iceCredentials('v=0\r\na=ice-ufrag:x\r\n'), undefined);
});

test('with a TCP port: a passive ICE-TCP candidate per address after the UDP ones, with a lower priority', () => {
  const out = withHostCandidates(answer, [{ ip: '203.0.113.7', port: 8189 }], 8189);
  const candidates = [...new Set(out.split('\r\n').filter((l) => l.startsWith('a=candidate:')))];
  assert.deepEqual(candidates, [
    'a=candidate:1 1 udp 2130706431 203.0.113.7 8189 typ host',
    'a=candidate:2 1 tcp 1520435199 203.0.113.7 8189 typ host tcptype passive',
  ]);
  const [udp, tcp] = candidates.map((c) => Number(c.split(' ')[3]));
  assert.ok(tcp! < udp!);
  // The default candidate (m= port, c=) stays the UDP one.
  assert.ok(out.split('\r\n').includes('m=video 8189 UDP/TLS/RTP/SAVPF 102'));
  assert.deepEqual(
    hostCandidateLines(
      [
        { ip: '192.0.2.1', port: 1 },
        { ip: '192.0.2.2', port: 1 },
      ],
      2,
    ).slice(2),
    [
      'a=candidate:3 1 tcp 1520435199 192.0.2.1 2 typ host tcptype passive',
      'a=candidate:4 1 tcp 1520434943 192.0.2.2 2 typ host tcptype passive',
    ],
  );
});
