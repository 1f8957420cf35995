/**
 * A WebRTC session the server ends is counted by its code and logged with its id (what a viewer that saw
 * nothing is looked up by: docs/webrtc.md); a DELETE is logged too but is no error.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { LogCapture } from '../../../test/support/log-capture.ts';
import { connectionErrors } from '../../../test/support/metrics.ts';
import { startServiceWithLog, type TestService } from '../../../test/support/service.ts';

let svc: TestService | undefined;
after(async () => svc?.close());

/** A recvonly H.264 offer werift answers; its ICE never checks, so it never connects. */
const offer =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00\r\na=setup:actpass\r\na=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n';

test('a WHEP session that never connects is ended, counted as WEBRTC_ICE_TIMEOUT and logged with its id', async () => {
  const capture = new LogCapture('info');
  svc = await startServiceWithLog(capture.log, { webrtc: { enabled: true, connectTimeoutMs: 1000 } });
  svc.service.hub.claim('live/t', { id: 'pub', protocol: 'rtmp', clientIp: '127.0.0.1' });
  const post = () =>
    fetch(`${svc!.httpUrl}/live/t/whep`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: offer,
    });
  const first = await post();
  assert.equal(first.status, 201, await first.text());
  const id = first.headers.get('location')!.split('/').pop()!;
  const ended = await capture.waitFor('the end of the first session', (e) => e.session === id, 5000);
  assert.equal(ended.msg, 'WebRTC session ended');
  assert.equal(ended.code, 'WEBRTC_ICE_TIMEOUT');
  assert.match(String(ended.reason), /did not connect within 1000 ms/);
  assert.equal(ended.kind, 'whep');
  assert.equal(ended.framesSent, 0);
  assert.equal(ended.subscribed, false);
  assert.equal(await connectionErrors(svc.httpUrl, 'WEBRTC_ICE_TIMEOUT'), 1);

  const second = await post();
  assert.equal(second.status, 201);
  const location = second.headers.get('location')!;
  assert.equal((await fetch(`${svc.httpUrl}${location}`, { method: 'DELETE' })).status, 200);
  const deleted = await capture.waitFor('the DELETE', (e) => e.session === location.split('/').pop());
  assert.equal(deleted.code, undefined);
  assert.equal(deleted.reason, 'the client sent DELETE');
  assert.equal(await connectionErrors(svc.httpUrl, 'WEBRTC_ICE_TIMEOUT'), 1, 'a DELETE is no error');
});
