import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpPlayRequest, rtmpRequest, srtRequest, whipRequest } from './admission-request.ts';

test('RTMP(S): the host comes from the tcUrl, normalised', () => {
  const r = rtmpRequest({
    tls: true,
    tcUrl: 'rtmps://Push.Example.COM:443/live',
    app: 'live',
    stream: 'cam',
    query: new URLSearchParams('a=1'),
    clientIp: '10.0.0.1',
  });
  assert.deepEqual(
    { ...r, query: r.query.toString() },
    { protocol: 'rtmps', host: 'push.example.com', app: 'live', stream: 'cam', query: 'a=1', clientIp: '10.0.0.1' },
  );
  assert.equal(
    rtmpRequest({ tcUrl: 'not a url', app: 'live', stream: 'x', query: new URLSearchParams(), clientIp: '' }).host,
    '',
  );
});

test('HTTP: the Host header loses its port and brackets', () => {
  assert.equal(
    httpPlayRequest('flv', {
      hostHeader: 'Play.example.com:8080',
      app: 'live',
      stream: 'x',
      query: new URLSearchParams(),
      clientIp: '',
    }).host,
    'play.example.com',
  );
  assert.equal(
    httpPlayRequest('hls', {
      hostHeader: '[::1]:8080',
      app: 'live',
      stream: 'x',
      query: new URLSearchParams(),
      clientIp: '',
    }).host,
    '::1',
  );
});

test('SRT: h= is the host, r= the app/stream (with a query), m= the mode; other keys join the query', () => {
  const r = srtRequest('#!::h=Push.Example.com,r=live/cam?txSecret=abc&txTime=6A000000,m=publish,u=obs', '10.0.0.2');
  assert.ok(r);
  assert.deepEqual(
    [r.protocol, r.host, r.app, r.stream, r.mode, r.clientIp],
    ['srt', 'push.example.com', 'live', 'cam', 'publish', '10.0.0.2'],
  );
  assert.deepEqual(
    [...r.query],
    [
      ['u', 'obs'],
      ['txSecret', 'abc'],
      ['txTime', '6A000000'],
    ],
  );
  const bare = srtRequest('live/cam?txTime=1', '');
  assert.deepEqual(bare && [bare.host, bare.app, bare.stream, bare.mode, bare.query.get('txTime')], [
    '',
    'live',
    'cam',
    'request',
    '1',
  ]);
  assert.equal(srtRequest('#!::h=x,m=publish', ''), undefined, 'no resource');
  assert.equal(srtRequest('live', ''), undefined, 'no stream');
});

test('WHIP/WHEP: the URL host, path /whip/app/stream or /app/stream, and its query', () => {
  const r = whipRequest('https://Push.example.com/whip/live/cam?txSecret=abc', '10.0.0.3');
  assert.deepEqual(r && [r.protocol, r.host, r.app, r.stream, r.query.get('txSecret')], [
    'webrtc',
    'push.example.com',
    'live',
    'cam',
    'abc',
  ]);
  assert.equal(whipRequest('https://h/live/cam', '')?.app, 'live');
  assert.equal(whipRequest('https://h/whip/live', ''), undefined);
  assert.equal(whipRequest('not a url', ''), undefined);
  assert.equal(whipRequest('https://h/live/%zz', ''), undefined);
});
