import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardMarker, isForwarded, matchTargets, redactUrl, targetName, targetUrl } from './forward-targets.ts';

test('targets match by domain (or *) and app (or *), in configuration order', () => {
  const targets = [
    { domain: '*', app: 'live', url: 'rtmp://a/x/{stream}' },
    { domain: 'push.example.com', app: '*', url: 'rtmp://b/x/{stream}' },
    { domain: 'other.example.com', app: 'live', url: 'rtmp://c/x/{stream}' },
  ];
  assert.deepEqual(
    matchTargets(targets, 'Push.Example.com', 'live').map((t) => t.url),
    ['rtmp://a/x/{stream}', 'rtmp://b/x/{stream}'],
  );
  assert.deepEqual(
    matchTargets(targets, 'push.example.com', 'game').map((t) => t.url),
    ['rtmp://b/x/{stream}'],
  );
  assert.deepEqual(matchTargets(targets, 'x.example.com', 'game'), []);
});

test('the URL gets its placeholders filled, URL-encoded, and the loop marker', () => {
  const url = targetUrl('rtmp://cdn.example.com:1936/{app}/{stream}?key=s3cret', 'live', 'a b');
  assert.equal(url, `rtmp://cdn.example.com:1936/live/a%20b?key=s3cret&${forwardMarker}=1`);
  assert.ok(
    targetUrl('rtmps://a.rtmp.youtube.com/live2/KEY', 'live', 'x').startsWith('rtmps://a.rtmp.youtube.com/live2/KEY?'),
  );
  assert.throws(() => targetUrl('http://x/y/z', 'live', 'x'), { code: 'CONFIG_INVALID' });
  assert.throws(() => targetUrl('nope', 'live', 'x'), { code: 'CONFIG_INVALID' });
});

test('a publish carrying the marker is recognised as forwarded (no loop)', () => {
  assert.equal(isForwarded(`txSecret=a&${forwardMarker}=1`), true);
  assert.equal(isForwarded(`?${forwardMarker}=1`), true);
  assert.equal(isForwarded(new URLSearchParams('txSecret=a')), false);
  assert.equal(isForwarded(''), false);
});

test('status URLs never show the key: no query, the last segment masked unless it is a placeholder', () => {
  assert.equal(redactUrl('rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl'), 'rtmp://a.rtmp.youtube.com/live2/ab***');
  assert.equal(redactUrl('rtmp://cdn/live/{stream}?key=secret'), 'rtmp://cdn/live/{stream}');
  assert.equal(
    targetName({ domain: '*', app: 'live', url: 'rtmp://cdn.example.com:1936/live/{stream}' }),
    'cdn.example.com:1936',
  );
  assert.equal(targetName({ domain: '*', app: 'live', url: 'rtmp://x/y/z', name: 'youtube' }), 'youtube');
});
