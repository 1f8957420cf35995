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
  const wait = awaitLiveStream(hub, 'live/b', 5000, { timers }).then((d) => ((settled = true), d));
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
  const wait = awaitLiveStream(hub, 'live/c', 5000, { timers });
  timers.fire();
  const d = await wait;
  assert.equal(d.live, false);
  d.release();
  assert.equal(hub.get('live/c'), undefined, 'the entry left with its tap');
});

test('a publisher that leaves before its header does not count; the hub closing ends the wait', async () => {
  const { hub } = testHub();
  const wait = awaitLiveStream(hub, 'live/d', 5000, { timers: manualTimers() });
  const stream = hub.claim('live/d', { id: 'p' });
  hub.release(stream, 'p', { grace: false });
  hub.close();
  const d = await wait;
  assert.equal(d.live, false);
  d.release();
});

test('the client leaving during the wait ends it at once and releases the demand', async () => {
  const { hub } = testHub();
  const timers = manualTimers();
  const gone = new AbortController();
  const wait = awaitLiveStream(hub, 'live/e', 5000, { timers, signal: gone.signal });
  assert.equal(hub.get('live/e')?.demand, 1);
  gone.abort();
  const d = await wait;
  assert.deepEqual([d.live, d.aborted], [false, true]);
  assert.equal(hub.get('live/e'), undefined, 'the tap left at the abort, not after the 5 s wait');
  timers.fire();
  d.release();
  // A stream that goes live later is not held for the client that left.
  const stream = hub.claim('live/e', { id: 'edge' });
  stream.publish(videoHeader());
  assert.equal(hub.get('live/e')?.demand ?? 0, 0);
});

test('a client that left before the wait began takes no demand; a signal after the wait changes nothing', async () => {
  const { hub } = testHub();
  const gone = new AbortController();
  gone.abort();
  const d = await awaitLiveStream(hub, 'live/f', 5000, { timers: manualTimers(), signal: gone.signal });
  assert.deepEqual([d.live, d.aborted], [false, true]);
  assert.equal(hub.get('live/f'), undefined);
  const later = new AbortController();
  const wait = awaitLiveStream(hub, 'live/g', 5000, { timers: manualTimers(), signal: later.signal });
  const stream = hub.claim('live/g', { id: 'p' });
  stream.publish(videoHeader());
  stream.publish(keyframe(0));
  const held = await wait;
  later.abort();
  assert.deepEqual([held.live, held.aborted], [true, false]);
  assert.equal(hub.get('live/g')?.demand, 1, 'the abort after the wait leaves the demand to release()');
  held.release();
});
