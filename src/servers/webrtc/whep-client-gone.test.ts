/**
 * A WHEP offer for a stream that is not live waits for it (stream-demand.ts, `http.playWaitMs`); a client
 * that closes its connection during that wait ends it at once: the demand (which would keep an edge pull
 * running) and the session's place under `webrtc.maxSessions` are free again long before the wait runs out.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startService, type TestService } from '../../../test/support/service.ts';
import { waitFor } from '../../../test/support/wait.ts';

let svc: TestService | undefined;
after(async () => svc?.close());

/** A recvonly H.264 offer werift accepts. */
const offer =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00\r\na=setup:actpass\r\na=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n';

test('a WHEP client that leaves during the wait for its stream frees the demand and its place at once', async () => {
  svc = await startService({ webrtc: { enabled: true, maxSessions: 1 }, http: { playWaitMs: 30_000 } });
  const hub = svc.service.hub;
  const sessions = svc.service.webrtc!.sessions;
  const req = request(`${svc.httpUrl}/live/later/whep`, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/sdp' },
  });
  req.on('error', () => {});
  req.end(offer);
  await waitFor('the offer to wait (a viewer tap on live/later)', () => hub.get('live/later')?.demand === 1);
  assert.throws(
    () => sessions.reserve('127.0.0.2'),
    /WEBRTC_SESSION_LIMIT|webrtc.maxSessions/,
    'the wait holds the place',
  );
  const left = Date.now();
  req.destroy();
  await waitFor('the tap to go', () => hub.get('live/later') === undefined, 5_000);
  assert.ok(Date.now() - left < 5_000, 'well before http.playWaitMs (30 s)');
  // The place is free again: a new session can reserve it.
  const place = sessions.reserve('127.0.0.2');
  place.release();
  // A publisher that starts now finds nobody waiting for it.
  const stream = hub.claim('live/later', { id: 'late', protocol: 'rtmp', clientIp: '127.0.0.1' });
  assert.equal(stream.demand, 0);
});
