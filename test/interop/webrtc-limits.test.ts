/**
 * The WHIP/WHEP signalling limits without a browser: the session caps (503 WEBRTC_SESSION_LIMIT), the SDP
 * size cap, a body that is no SDP, PATCH (trickle 204, malformed 400, stale ETag 412), DELETE of an ended and of an unknown session, and the endpoints when
 * `webrtc.enabled` is false. A server-side session whose peer never connects holds its place until DELETE.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startService, type TestService } from '../support/service.ts';

const services: TestService[] = [];
after(async () => {
  for (const s of services) await s.close();
});

/** An H.264 sendonly offer werift accepts; its peer never answers ICE, so the session waits. */
const offer =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\na=rtcp-mux\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00\r\na=setup:actpass\r\na=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n';

const post = (svc: TestService, path: string, body: string, type = 'application/sdp') =>
  fetch(`${svc.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': type }, body });

function signature(svc: TestService, stream: string): string {
  const u = svc.urls(stream).push.rtmp;
  return u.slice(u.indexOf('?') + 1);
}

test('session caps, SDP checks, PATCH and DELETE', { timeout: 60_000 }, async () => {
  const svc = await startService({
    webrtc: { enabled: true, maxSessions: 1, maxSdpBytes: 2048, connectTimeoutMs: 30_000 },
  });
  services.push(svc);
  const first = await post(svc, `/live/a/whip?${signature(svc, 'a')}`, offer);
  assert.equal(first.status, 201, await first.clone().text());
  assert.match(await first.text(), /^v=0/);
  const location = first.headers.get('location')!;
  assert.match(location, /^\/webrtc\/session\/[\w-]+$/);
  assert.equal(svc.service.hub.get('live/a')?.live, true);

  const full = await post(svc, `/live/b/whip?${signature(svc, 'b')}`, offer);
  assert.equal(full.status, 503);
  assert.equal(((await full.json()) as { code: string }).code, 'WEBRTC_SESSION_LIMIT');

  // PATCH (RFC 9725 §4.3): a trickle fragment with the session's credentials is 204 under the POST's ETag,
  // a malformed one 400, a stale ETag 412.
  const etag = first.headers.get('etag');
  assert.match(etag ?? '', /^"[\w-]+"$/);
  const patch = (body: string, ifMatch?: string) =>
    fetch(`${svc.httpUrl}${location}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/trickle-ice-sdpfrag', ...(ifMatch ? { 'if-match': ifMatch } : {}) },
      body,
    });
  const trickle = 'a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=mid:0\r\na=end-of-candidates\r\n';
  const ok = await patch(trickle, etag!);
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get('etag'), etag);
  const malformed = await patch('a=end-of-candidates\r\n');
  assert.equal(malformed.status, 400);
  assert.equal(((await malformed.json()) as { code: string }).code, 'WEBRTC_SDP_INVALID');
  const stale = await patch(trickle, '"stale"');
  assert.equal(stale.status, 412);
  assert.equal(((await stale.json()) as { code: string }).code, 'WEBRTC_ETAG_MISMATCH');

  assert.equal((await fetch(`${svc.httpUrl}${location}`, { method: 'DELETE' })).status, 200);
  assert.equal(svc.service.hub.get('live/a')?.live ?? false, false);
  // A DELETE after the session ended still succeeds (a player closing after its stream ended); an id the
  // server never had is 404.
  assert.equal((await fetch(`${svc.httpUrl}${location}`, { method: 'DELETE' })).status, 200);
  const unknown = await fetch(`${svc.httpUrl}${location.replace(/[^/]+$/, 'neverWasASession')}`, { method: 'DELETE' });
  assert.equal(unknown.status, 404);
  assert.equal(((await unknown.json()) as { code: string }).code, 'WEBRTC_SESSION_NOT_FOUND');

  const big = await post(svc, `/live/c/whip?${signature(svc, 'c')}`, offer + 'a=x\r\n'.repeat(500));
  assert.equal(big.status, 413);
  assert.equal(((await big.json()) as { code: string }).code, 'WEBRTC_SDP_INVALID');
  const notSdp = await post(svc, `/live/c/whip?${signature(svc, 'c')}`, 'hello');
  assert.equal(notSdp.status, 400);
  assert.equal(((await notSdp.json()) as { code: string }).code, 'WEBRTC_SDP_INVALID');
  const noStream = await post(svc, '/live/nothing/whep', offer.replace('a=sendonly', 'a=recvonly'));
  assert.equal(noStream.status, 404);

  // The place freed by DELETE is available again, and the first session's stream is publishable again.
  const third = await post(svc, `/live/a/whip?${signature(svc, 'a')}`, offer);
  assert.equal(third.status, 201);
  assert.equal((await fetch(`${svc.httpUrl}${third.headers.get('location')!}`, { method: 'DELETE' })).status, 200);
});

test('with webrtc.enabled false the endpoints answer 404 WEBRTC_DISABLED', async () => {
  const svc = await startService({});
  services.push(svc);
  const res = await post(svc, '/live/a/whip', offer);
  assert.equal(res.status, 404);
  assert.equal(((await res.json()) as { code: string }).code, 'WEBRTC_DISABLED');
});
