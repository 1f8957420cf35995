import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trimIdleMemory } from './idle-trim.ts';

/** Allocates objects nothing keeps, and returns the heap in use with them. */
function allocateGarbage(): number {
  const garbage = Array.from({ length: 200_000 }, (_, i) => ({ i }));
  return process.memoryUsage().heapUsed + garbage.length * 0;
}

test('trimIdleMemory collects garbage and leaves no global gc behind', () => {
  const heapWithGarbage = allocateGarbage();
  const { before, after } = trimIdleMemory();
  assert.ok(before > 0 && after > 0);
  assert.ok(process.memoryUsage().heapUsed < heapWithGarbage, 'the dropped objects were collected');
  assert.equal((globalThis as { gc?: unknown }).gc, undefined);
});
