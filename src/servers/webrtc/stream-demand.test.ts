import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyframe, testHub, videoHeader } from '../../hub/hub-test-kit.ts';
import { awaitLiveStream, type DemandTimers } from './stream-demand.ts';

/** Timers fired by hand. */
function manualTimers(): DemandTimers & { fire(): void } {
  let fn: (() => void) | undefined;
  return {
    setTimeout: (f) => ((fn = f), 1),
    clearTimeout: () => (fn = undefined),
    fire: () => fn?.(),
  };
}

test('a live stream answers at once; no wait allowed answers at once too', async () => {
  const { hub } = testHub();
  assert.equal((await awaitLiveStream(hub, 'live/a', 0)).live, false);
  hub.claim('live/a', { id: 'p' });
  const d = await awaitLiveStream(hub, 'live/a', 5000);
  assert.equal(d.live, true);
  d.release();
});

test('a stream held elsewhere: the wait is demand (the edge pull starts) until live with its video header', async () => {
  const { hub } = testHub();
  const timers = manualTimers();
  let settled = false;
  const wait = awaitLiveStream(hub, 'live/b', 5000, timers).then((d) => ((settled = true), d));
  assert.equal(hub.get('live/b')?.demand, 1, 'a viewer tap: the edge puller sees demand');
  const stream = hub.claim('live/b', { id: 'edge' });
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'live but no video header yet');
  stream.publish(videoHeader());
  stream.publish(keyframe(0));
  const d = await wait;
  assert.equal(d.live, true);
  assert.equal(hub.get('live/b')?.demand, 1, 'held until the viewer subscribes');
  d.release();
  d.release();
  assert.equal(hub.get('live/b')?.demand ?? 0, 0);
});

test('nobody publishes within the wait: not live, and the demand goes', async () => {
  const { hub } = testHub();
  const timers = manualTimers();
  const wait = awaitLiveStream(hub, 'live/c', 5000, timers);
  timers.fire();
  const d = await wait;
  assert.equal(d.live, false);
  d.release();
  assert.equal(hub.get('live/c'), undefined, 'the entry left with its tap');
});

test('a publisher that leaves before its header does not count; the hub closing ends the wait', async () => {
  const { hub } = testHub();
  const wait = awaitLiveStream(hub, 'live/d', 5000, manualTimers());
  const stream = hub.claim('live/d', { id: 'p' });
  hub.release(stream, 'p', { grace: false });
  hub.close();
  const d = await wait;
  assert.equal(d.live, false);
  d.release();
});
