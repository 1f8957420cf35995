import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { SubscriberQueue } from './subscriber-queue.ts';

const limits = { maxQueueBytes: 1000, maxQueueMs: 500 };
const b = (n: number): Buffer => Buffer.alloc(n);

test('the byte limit counts pending bytes plus what the sink holds', () => {
  const q = new SubscriberQueue(limits);
  q.push(b(300), 0);
  assert.equal(q.fits(400, 10, true, 300), true, '300 + 300 + 400 = 1000');
  assert.equal(q.fits(401, 10, true, 300), false);
  assert.equal(q.bytes, 300);
});

test('the span runs from the oldest frame the sink has not flushed', () => {
  const q = new SubscriberQueue(limits);
  q.push(b(100), 0);
  q.push(b(100), 40);
  assert.deepEqual(q.take().length, 2); // written bytes 0..200, first frame at 0
  q.push(b(100), 300);
  q.take(); // written 200..300, first frame at 300
  // The sink holds all 300 bytes: the oldest unflushed frame is at 0.
  assert.equal(q.fits(1, 500, true, 300), true);
  assert.equal(q.fits(1, 501, true, 300), false);
  // The sink has flushed the first write: the oldest unflushed frame is at 300.
  assert.equal(q.fits(1, 800, true, 100), true);
  assert.equal(q.fits(1, 801, true, 100), false);
  // All flushed: only pending frames count (none now).
  assert.equal(q.fits(1, 99_999, true, 0), true);
});

test('headers (ts -1) and non-frame checks ignore the span; a timeline restart is not lag', () => {
  const q = new SubscriberQueue(limits);
  q.push(b(10), -1);
  assert.equal(q.fits(1, 10_000, true, 0), true, 'a header has no age');
  q.push(b(10), 5000);
  assert.equal(q.fits(1, 9999, false, 0), true, 'a header may always join');
  assert.equal(q.fits(1, 0, true, 0), true, 'a new publisher restarting at 0');
  assert.equal(q.fits(1, 5501, true, 0), false);
});

test('drop() empties the pending buffers and forgetWritten() the marks', () => {
  const q = new SubscriberQueue(limits);
  q.push(b(10), 0);
  q.take();
  q.push(b(10), 100);
  assert.equal(q.drop(), 1);
  assert.equal(q.length, 0);
  assert.equal(q.bytes, 0);
  assert.equal(q.fits(1, 600, true, 10), false, 'the written frame at 0 is still unflushed');
  q.forgetWritten();
  assert.equal(q.fits(1, 600, true, 10), true);
  assert.equal(q.written, 10);
});

test('the oldest unflushed frame stays right over many writes to a socket that never empties', () => {
  const q = new SubscriberQueue({ maxQueueBytes: 1e9, maxQueueMs: 1e9 });
  for (let i = 0; i < 10_000; i++) {
    q.push(b(100), i * 10);
    q.take();
    // The sink always holds the last two writes.
    assert.equal(q.fits(1, i * 10, true, 200), true);
  }
  assert.equal(q.fits(1, 99_990 + 10 + 1e9, true, 200), false, 'oldest unflushed is the next-to-last write');
  assert.equal(q.fits(1, 99_980 + 1e9, true, 200), true);
});
