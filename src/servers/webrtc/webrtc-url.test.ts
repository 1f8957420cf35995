import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webrtcEndpoint } from './webrtc-url.ts';
import { whipRequest } from '../../control/admission-request.ts';

test('a Tencent webrtc:// push URL maps onto WHIP with its signature, and admission reads the same names', () => {
  const url = webrtcEndpoint('webrtc://push.example.com/live/demo?txSecret=abc&txTime=65F0A1B2', 'publish', {
    scheme: 'https',
    port: 443,
  });
  assert.equal(url, 'https://push.example.com/live/demo/whip?txSecret=abc&txTime=65F0A1B2');
  const r = whipRequest(url!.replace('/whip?', '?'), '1.2.3.4')!;
  assert.deepEqual([r.host, r.app, r.stream, r.query.get('txSecret')], ['push.example.com', 'live', 'demo', 'abc']);
  assert.equal(
    webrtcEndpoint('webrtc://play.example.com/live/demo', 'play', { scheme: 'http', port: 8080 }),
    'http://play.example.com:8080/live/demo/whep',
  );
  assert.equal(webrtcEndpoint('webrtc://x/live', 'play', { scheme: 'http', port: 80 }), undefined);
  assert.equal(webrtcEndpoint('rtmp://x/live/a', 'play', { scheme: 'http', port: 80 }), undefined);
});
