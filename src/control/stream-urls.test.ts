import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthSettings } from '../store/store.ts';
import { streamUrls } from './stream-urls.ts';

const on: AuthSettings = {
  enabled: true,
  key: 'e12c46f2612d5106e2034781ab261ca3',
  backupKey: '',
  authDelta: 300,
  algorithm: 'md5',
};
const off: AuthSettings = { ...on, enabled: false };

test('push and play URLs on named domains with default ports, signed as Tencent signs them', () => {
  const urls = streamUrls({
    app: 'live',
    stream: 'test',
    expiresAt: 1546064025,
    push: { host: 'livepush.tcloud.com', auth: on },
    play: { host: 'play.example.com', auth: { ...on, key: 'k' } },
  });
  const sig = 'txSecret=f85a2ab363fe4deaffef9754d79da6fe&txTime=5C271099';
  assert.equal(urls.push.rtmp, `rtmp://livepush.tcloud.com/live/test?${sig}`);
  assert.equal(urls.push.obsServer, 'rtmp://livepush.tcloud.com/live/');
  assert.equal(urls.push.obsStreamKey, `test?${sig}`);
  assert.equal(urls.txTime, '5C271099');
  assert.match(
    urls.play?.flv ?? '',
    /^http:\/\/play\.example\.com\/live\/test\.flv\?txSecret=[0-9a-f]{32}&txTime=5C271099$/,
  );
  assert.ok(!urls.play?.flv.includes('f85a2ab3'), 'the play URL is signed with the play key');
});

test('unsigned when authentication is off; ports and IPv6 hosts are written correctly', () => {
  const urls = streamUrls({
    app: 'app',
    stream: 's',
    expiresAt: 1,
    push: { host: '::1', auth: off },
    play: { host: '::1', auth: off },
    rtmpPort: 1936,
    httpPort: 8080,
  });
  assert.equal(urls.push.rtmp, 'rtmp://[::1]:1936/app/s');
  assert.deepEqual(urls.play, {
    rtmp: 'rtmp://[::1]:1936/app/s',
    flv: 'http://[::1]:8080/app/s.flv',
    hls: 'http://[::1]:8080/app/s.m3u8',
  });
  assert.equal(
    streamUrls({ app: 'a', stream: 's', expiresAt: 1, push: { host: 'h.example.com', auth: off } }).play,
    undefined,
  );
});
