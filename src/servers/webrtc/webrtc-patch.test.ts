import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IceSession } from './mux-transport.ts';
import { patchIce, sessionIce, type PatchReply } from './webrtc-patch.ts';

const candidates = ['a=candidate:1 1 udp 2130706431 192.0.2.9 8189 typ host'];

function setup() {
  const restarts: { ufrag: string; pwd: string }[] = [];
  const session = {
    send: () => true,
    addresses: 0,
    touch: () => {},
    rekey: () => {},
    close: () => {},
    restart: (client: { ufrag: string; pwd: string }) => {
      restarts.push(client);
      return { ufrag: `srv${restarts.length}`, pwd: `server-password-number-${restarts.length}` };
    },
  } satisfies IceSession;
  const ice = sessionIce(
    { sdp: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:v0\r\n', mux: session, candidates },
    { ufrag: 'cli1', pwd: 'clientpasswordfirstx22xxxx' },
  )!;
  return { ice, restarts };
}

const frag = (ufrag: string, pwd: string) =>
  `a=ice-ufrag:${ufrag}\r\na=ice-pwd:${pwd}\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:v0\r\na=candidate:1 1 udp 2122260223 192.0.2.1 61764 typ host\r\n`;

const code = (r: PatchReply) => ('error' in r ? r.error.code : undefined);

test('trickle with the current credentials is 204 with the ETag; the ETag guards it (412)', () => {
  const { ice, restarts } = setup();
  assert.match(ice.etag, /^"[\w-]+"$/);
  const ok = patchIce(ice, frag('cli1', 'clientpasswordfirstx22xxxx'), undefined);
  assert.deepEqual(ok, { status: 204, etag: ice.etag });
  assert.equal(patchIce(ice, frag('cli1', 'clientpasswordfirstx22xxxx'), ice.etag).status, 204);
  assert.equal(patchIce(ice, frag('cli1', 'clientpasswordfirstx22xxxx'), '*').status, 204);
  const stale = patchIce(ice, frag('cli1', 'clientpasswordfirstx22xxxx'), '"not-the-tag"');
  assert.equal(stale.status, 412);
  assert.equal(code(stale), 'WEBRTC_ETAG_MISMATCH');
  assert.equal(restarts.length, 0);
});

test('malformed is 400, wrong credentials 409, no single port 405', () => {
  const { ice } = setup();
  for (const body of ['hello', 'a=end-of-candidates\r\n', undefined, 42]) {
    const r = patchIce(ice, body, undefined);
    assert.equal(r.status, 400);
    assert.equal(code(r), 'WEBRTC_SDP_INVALID');
  }
  const otherPwd = patchIce(ice, frag('cli1', 'anotherpasswordof22cxxx'), undefined);
  assert.equal(otherPwd.status, 409);
  assert.equal(code(otherPwd), 'WEBRTC_ICE_MISMATCH');
  // A new ufrag with the old password is no restart.
  assert.equal(patchIce(ice, frag('cli2', 'clientpasswordfirstx22xxxx'), '*').status, 409);
  // New credentials under a specific (matching) ETag: a trickle for a generation the server never saw.
  assert.equal(patchIce(ice, frag('cli2', 'clientpasswordsecondx2xxxx'), ice.etag).status, 409);
  const lite = patchIce(undefined, frag('cli1', 'clientpasswordfirstx22xxxx'), undefined);
  assert.equal(lite.status, 405);
  assert.equal(code(lite), 'WEBRTC_PATCH_UNSUPPORTED');
});

test('ICE restart: new server credentials, the answer fragment, a new ETag; the old generation is then 409', () => {
  const { ice, restarts } = setup();
  const first = ice.etag;
  const r = patchIce(ice, frag('cli2', 'clientpasswordsecondx2xxxx'), '*');
  assert.equal(r.status, 200);
  assert.ok('fragment' in r);
  assert.deepEqual(restarts, [{ ufrag: 'cli2', pwd: 'clientpasswordsecondx2xxxx' }]);
  assert.equal(
    r.fragment,
    `a=ice-lite\r\na=ice-ufrag:srv1\r\na=ice-pwd:server-password-number-1\r\na=mid:v0\r\n${candidates[0]}\r\na=end-of-candidates\r\n`,
  );
  assert.notEqual(r.etag, first);
  assert.equal(ice.etag, r.etag);
  // Trickle for the new generation is fine; for the old one, or under the old ETag, it is not.
  assert.equal(patchIce(ice, frag('cli2', 'clientpasswordsecondx2xxxx'), r.etag).status, 204);
  assert.equal(patchIce(ice, frag('cli1', 'clientpasswordfirstx22xxxx'), undefined).status, 409);
  assert.equal(patchIce(ice, frag('cli2', 'clientpasswordsecondx2xxxx'), first).status, 412);
  // Without If-Match a restart is accepted too (lenient: RFC 9725 clients send `*`).
  assert.equal(patchIce(ice, frag('cli3', 'clientpasswordthirdx22xxxx'), undefined).status, 200);
  assert.equal(restarts.length, 2);
  // Many restarts keep only the last few old ufrags.
  for (let i = 4; i < 30; i++) patchIce(ice, frag(`cli${i}`, `clientpasswordnumberx${i}xxxx`), '*');
  assert.ok(ice.earlierUfrags.size <= 8);
});
