import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostOfHeader, hostOfTcUrl, isBareIp, nameProblem } from './names.ts';

test('AppName and StreamName allow letters, digits and _ - . ~ up to 256 characters', () => {
  for (const ok of ['live', 'demo_1-2.3~', 'a'.repeat(256), 'a.b', '.hidden'])
    assert.equal(nameProblem(ok), undefined, ok);
  for (const bad of ['', 'a'.repeat(257), 'a b', 'a/b', 'a?b', '.', '..', '...', 'é']) assert.ok(nameProblem(bad), bad);
});

test('hosts from tcUrl and Host headers are lowercase, without port, brackets or root dot', () => {
  assert.equal(hostOfTcUrl('rtmp://Push.Example.com:1935/live'), 'push.example.com');
  assert.equal(hostOfTcUrl('rtmp://push.example.com./live?x=1'), 'push.example.com');
  assert.equal(hostOfTcUrl('rtmp://[::1]:1935/live'), '::1');
  assert.equal(hostOfTcUrl('garbage'), '');
  assert.equal(hostOfHeader('Play.Example.com:8080'), 'play.example.com');
  assert.equal(hostOfHeader('[::1]:8080'), '::1');
  assert.equal(hostOfHeader('::1'), '::1');
  assert.equal(hostOfHeader('127.0.0.1'), '127.0.0.1');
  assert.ok(isBareIp('::1') && isBareIp('127.0.0.1') && !isBareIp('push.example.com') && !isBareIp(''));
});
