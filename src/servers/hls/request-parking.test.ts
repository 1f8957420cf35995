import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { ChangeWaiters, type WaitTimers } from './change-waiters.ts';
import { RequestParking, type ParkedClient } from './request-parking.ts';

/** Timers that fire only when the test says so. */
function fakeTimers(): WaitTimers & { fire(): void; pending: number } {
  const timers = new Set<() => void>();
  return {
    setTimeout: (fn) => (timers.add(fn), fn),
    clearTimeout: (h) => void timers.delete(h as () => void),
    fire: () => [...timers].forEach((fn) => (timers.delete(fn), fn())),
    get pending() {
      return timers.size;
    },
  };
}

/** A client whose socket records its idle timeout and whose response can close. */
function client(ip: string): ParkedClient & { timeouts: number[]; leave(): void } {
  const timeouts: number[] = [];
  const socket = Object.assign(new EventEmitter(), {
    destroyed: false,
    server: { timeout: 60_000 },
    setTimeout: (ms: number) => timeouts.push(ms),
  });
  const response = Object.assign(new EventEmitter(), { closed: false });
  return {
    ip,
    socket: socket as unknown as Socket,
    response,
    timeouts,
    leave() {
      socket.destroyed = true;
      response.closed = true;
      response.emit('close');
    },
  };
}

const never = (): boolean => false;

test('a parked request resolves when ready, and its slot and idle timeout come back', async () => {
  const timers = fakeTimers();
  const waiters = new ChangeWaiters(timers);
  const parking = new RequestParking({ maxTotal: 10, maxPerIp: 2, trusted: [] });
  let ready = false;
  const c = client('10.0.0.1');
  const result = parking.park(waiters, () => ready, 5000, c);
  assert.equal(parking.parked, 1);
  assert.deepEqual(c.timeouts, [0], 'the idle timeout is lifted while parked');
  ready = true;
  waiters.notify();
  assert.equal(await result, 'ready');
  assert.equal(parking.parked, 0);
  assert.equal(timers.pending, 0);
  assert.deepEqual(c.timeouts, [0, 60_000]);
  assert.equal(c.response.listenerCount('close'), 0);
});

test('past the per-address cap: HLS_WAITERS_PER_IP; past the total: HLS_WAITERS_FULL; trusted addresses skip the first', async () => {
  const waiters = new ChangeWaiters(fakeTimers());
  const parking = new RequestParking({ maxTotal: 4, maxPerIp: 2, trusted: ['10.9.0.0/16'] });
  const a = [client('10.0.0.1'), client('10.0.0.1')];
  for (const c of a) void parking.park(waiters, never, 5000, c);
  await assert.rejects(parking.park(waiters, never, 5000, client('10.0.0.1')), { code: 'HLS_WAITERS_PER_IP' });
  const t = [client('10.9.1.1'), client('10.9.1.1')];
  for (const c of t) void parking.park(waiters, never, 5000, c);
  await assert.rejects(parking.park(waiters, never, 5000, client('10.9.1.1')), { code: 'HLS_WAITERS_FULL' });
  await assert.rejects(parking.park(waiters, never, 5000, client('10.0.0.2')), { code: 'HLS_WAITERS_FULL' });
  assert.equal(parking.parked, 4);
  assert.equal(parking.addresses, 2);
  assert.equal(waiters.size, 4, 'refused requests never became waiters');
  a[0]!.leave();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(parking.parked, 3);
  assert.ok(await parking.park(waiters, () => true, 5000, client('10.0.0.1')), 'ready requests never need a slot');
});

test('5000 requests whose clients leave leave nothing behind: no waiter, no timer, no slot, no listener', async () => {
  const timers = fakeTimers();
  const waiters = new ChangeWaiters(timers);
  const parking = new RequestParking({ maxTotal: 10_000, maxPerIp: 0, trusted: [] });
  const clients = Array.from({ length: 5000 }, (_, i) => client(`10.0.${i >> 8}.${i & 255}`));
  const results = clients.map((c) => parking.park(waiters, never, 10_000, c));
  assert.equal(waiters.size, 5000);
  for (const c of clients) c.leave();
  assert.deepEqual(new Set(await Promise.all(results)), new Set(['gone']));
  assert.equal(waiters.size, 0);
  assert.equal(timers.pending, 0);
  assert.equal(parking.parked, 0);
  assert.equal(parking.addresses, 0);
  assert.ok(clients.every((c) => c.response.listenerCount('close') === 0));
});

test('a wait that runs out is a timeout; a client already gone is not parked at all', async () => {
  const timers = fakeTimers();
  const waiters = new ChangeWaiters(timers);
  const parking = new RequestParking({ maxTotal: 10, maxPerIp: 1, trusted: [] });
  const result = parking.park(waiters, never, 1000, client('10.0.0.1'));
  timers.fire();
  assert.equal(await result, 'timeout');
  const gone = client('10.0.0.1');
  gone.leave();
  assert.equal(await parking.park(waiters, never, 1000, gone), 'gone');
  assert.equal(waiters.size, 0);
  assert.equal(parking.parked, 0);
});

test('ChangeWaiters: an aborted signal settles its waiter false at once and only that one', async () => {
  const waiters = new ChangeWaiters(fakeTimers());
  const ac = new AbortController();
  const mine = waiters.wait(never, 1000, ac.signal);
  const other = waiters.wait(never, 1000);
  ac.abort();
  assert.equal(await mine, false);
  assert.equal(waiters.size, 1);
  waiters.close();
  assert.equal(await other, false);
  assert.equal(await waiters.wait(never, 1000, ac.signal), false, 'an already aborted signal never parks');
  assert.equal(waiters.size, 0);
});
