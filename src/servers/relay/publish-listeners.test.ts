import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PublishListener, PublishStart } from '../ingest/publish-session.ts';
import { publishListeners } from './publish-listeners.ts';
import { keyframe } from '../../hub/hub-test-kit.ts';

const start: PublishStart = {
  domain: 'd',
  app: 'live',
  stream: 's',
  clientIp: '',
  serverIp: '',
  query: '',
  startedAt: 0,
};

test('every listener hears of the publish; every observer follows it', () => {
  const calls: string[] = [];
  const observing = (name: string): PublishListener => ({
    onPublish: () => ({
      onMedia: () => void calls.push(`${name}:media`),
      onChunkSize: () => void calls.push(`${name}:chunk`),
      onEnd: () => void calls.push(`${name}:end`),
    }),
  });
  const silent: PublishListener = { onPublish: () => void calls.push('silent:publish') };
  const both = publishListeners(observing('a'), silent, observing('b'));
  const o = both.onPublish(start)!;
  o.onMedia(keyframe(0), 0, undefined);
  o.onChunkSize?.(4096, 0);
  o.onEnd({ breakCode: '0', reason: '', endedAt: 0 });
  assert.deepEqual(calls, ['silent:publish', 'a:media', 'b:media', 'a:chunk', 'b:chunk', 'a:end', 'b:end']);
});

test('one observer is passed through as it is; none gives undefined', () => {
  const observer = { onMedia() {}, onEnd() {} };
  assert.equal(
    publishListeners({ onPublish: () => observer }, { onPublish: () => undefined }).onPublish(start),
    observer,
  );
  assert.equal(publishListeners({ onPublish: () => undefined }).onPublish(start), undefined);
});
