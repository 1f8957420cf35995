/**
 * The worker side of the IPC Coordinator in this process: an IpcCoordinator and the real IpcCoordinatorHost
 * joined by an in-memory channel that copies each message as JSON and delivers it a turn later (as the IPC
 * channel does), and a scripted primary for the failures a real one rarely shows (an error answer, a send
 * that fails or throws, answers nobody asked for). The forked-process suite is ipc-coordinator.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { StreamCommand } from './coordinator.ts';
import { IpcCoordinator } from './ipc-coordinator.ts';
import { IpcCoordinatorHost } from './ipc-coordinator-host.ts';
import { ipcTag } from './ipc-protocol.ts';

const drop = { kind: 'drop', app: 'live', stream: 'cam', domain: '' } as const;

/** A worker port and a host channel wired to each other. */
function channelPair() {
  const toWorker = new EventEmitter();
  const toHost = new EventEmitter();
  const post = (target: EventEmitter, message: unknown, callback: (err: Error | null) => void): boolean => {
    const copy: unknown = JSON.parse(JSON.stringify(message));
    setImmediate(() => {
      target.emit('message', copy);
      callback(null);
    });
    return true;
  };
  const port = {
    send: (m: unknown, cb: (err: Error | null) => void) => post(toHost, m, cb),
    on: (e: 'message', l: (m: unknown) => void) => toWorker.on(e, l),
    off: (e: 'message', l: (m: unknown) => void) => toWorker.off(e, l),
  };
  const channel = {
    send: (m: unknown, cb: (err: Error | null) => void) => post(toWorker, m, cb),
    on: (e: string, l: (m: unknown) => void) => toHost.on(e, l),
  };
  return { port, channel, exit: () => toHost.emit('exit') };
}

test('ipc in one process: claims, registry, nodes, counters and replays go through the host', async () => {
  const host = new IpcCoordinatorHost({ leaseMs: 5000 });
  const a = channelPair();
  const b = channelPair();
  host.attach(a.channel);
  host.attach(b.channel);
  const w1 = new IpcCoordinator({ port: a.port, nodeId: 'w1', advertise: () => '127.0.0.1:2001', leaseMs: 5000 });
  const w2 = new IpcCoordinator({ port: b.port, nodeId: 'w2', advertise: () => '127.0.0.1:2002', leaseMs: 5000 });
  await Promise.all([w1.start(), w2.start()]);
  await w1.start(); // idempotent
  assert.equal((await w1.claim('live/cam')).ok, true);
  assert.deepEqual(w1.held(), ['live/cam']);
  const refused = await w2.claim('live/cam');
  assert.equal(refused.ok, false);
  assert.equal((await w2.holder('live/cam'))?.advertise, '127.0.0.1:2001');
  assert.equal(await w2.holder('live/none'), undefined);
  assert.deepEqual([...(await w2.holders()).keys()], ['live/cam']);
  assert.deepEqual((await w1.nodes()).map((n) => n.nodeId).sort(), ['w1', 'w2']);
  assert.equal(await w1.counters.increment('k', 60_000), 1);
  assert.equal(await w2.counters.increment('k', 60_000, 4), 5);
  assert.equal(await w2.counters.count('k'), 5);
  const replay = w1.replayCache(100);
  const first = await replay.claim('sig', Date.now() + 60_000);
  const again = await w2.replayCache(100).claim('sig', Date.now() + 60_000);
  assert.deepEqual([first, again], ['fresh', 'replayed'], 'a signature is claimed once across the workers');
  replay.close();
  assert.equal(await w1.release('live/cam'), true);
  assert.deepEqual(w1.held(), []);
  assert.equal((await w2.claim('live/cam')).ok, true);
  await Promise.all([w1.close(), w2.close()]);
});

test('ipc in one process: a broadcast reaches every worker before it resolves; a listener that throws is reported', async () => {
  const host = new IpcCoordinatorHost({ leaseMs: 5000 });
  const a = channelPair();
  const b = channelPair();
  host.attach(a.channel);
  host.attach(b.channel);
  const errors: unknown[] = [];
  const w1 = new IpcCoordinator({ port: a.port, nodeId: 'w1', advertise: () => 'x:1', leaseMs: 5000 });
  const w2 = new IpcCoordinator({
    port: b.port,
    nodeId: 'w2',
    advertise: () => 'x:2',
    leaseMs: 5000,
    onListenerError: (err) => errors.push(err),
  });
  await Promise.all([w1.start(), w2.start()]);
  const got: StreamCommand[] = [];
  const off = w1.onCommand((c) => got.push(c));
  w2.onCommand(() => {
    throw new Error('listener failed');
  });
  w2.onLost(() => undefined)();
  w2.onReconnect()();
  await w2.broadcast(drop);
  assert.equal(got.length, 1, 'delivered before broadcast() resolved');
  assert.equal(got[0]!.from, 'w2');
  assert.equal(errors.length, 1);
  off();
  await w2.broadcast(drop);
  assert.equal(got.length, 1, 'an unsubscribed listener hears nothing');
  await Promise.all([w1.close(), w2.close()]);
});

/** A primary the test scripts: it records what the worker sends and answers by hand. */
function scriptedPrimary(send?: (message: { t: string; id?: number }, cb: (err: Error | null) => void) => void) {
  const events = new EventEmitter();
  const sent: { t: string; id?: number; op?: string }[] = [];
  const port = {
    send: (m: unknown, cb: (err: Error | null) => void) => {
      sent.push(m as { t: string; id?: number });
      if (send) send(m as { t: string; id?: number }, cb);
      // The hello's round trip and close's goodbye; every other call the test answers itself.
      else if (['count', 'close'].includes((m as { op?: string }).op ?? ''))
        answer(events, (m as { id: number }).id, { value: 0 });
    },
    on: (e: 'message', l: (m: unknown) => void) => events.on(e, l),
    off: (e: 'message', l: (m: unknown) => void) => events.off(e, l),
  };
  return { port, sent, events };
}

function answer(events: EventEmitter, id: number, reply: object): void {
  setImmediate(() => events.emit('message', { openlive: ipcTag, t: 'res', id, ...reply }));
}

test('ipc worker: an error answer is its LiveError; strangers, unknown ids and failed sends are handled', async () => {
  const p = scriptedPrimary();
  const c = new IpcCoordinator({ port: p.port, nodeId: 'x', advertise: () => 'x:1', leaseMs: 100, timeoutMs: 200 });
  await c.start();
  const claim = c.claim('live/cam');
  const req = p.sent.at(-1)!;
  // Someone else's traffic on the channel, and an answer nobody waits for, change nothing.
  p.events.emit('message', { cmd: 'NODE_CLUSTER' });
  p.events.emit('message', null);
  answer(p.events, 9999, { value: true });
  answer(p.events, req.id!, { error: { code: 'STREAM_ALREADY_PUBLISHING', message: 'held by y' } });
  await assert.rejects(claim, { code: 'STREAM_ALREADY_PUBLISHING', message: 'held by y' });
  assert.deepEqual(c.held(), []);
  // A command from the primary is acknowledged even with no listener.
  p.events.emit('message', { openlive: ipcTag, t: 'cmd', id: 7, command: { ...drop, from: 'y' } });
  assert.deepEqual(p.sent.at(-1), { openlive: ipcTag, t: 'ack', id: 7 });
  // close() fails what is still waiting.
  const waiting = c.holders();
  await c.close();
  await assert.rejects(waiting, { code: 'COORDINATOR_UNAVAILABLE', message: 'the coordinator is closed' });
  await c.close();
});

test('ipc worker: a send that reports an error or throws is COORDINATOR_UNAVAILABLE at once', async () => {
  let mode: 'ok' | 'callback' | 'throw' = 'ok';
  const p = scriptedPrimary((m, cb) => {
    if (mode === 'throw') throw new Error('channel closed');
    if (mode === 'callback') return setImmediate(() => cb(new Error('EPIPE')));
    if (m.t === 'req') answer(p.events, m.id!, { value: 0 });
    // An ack's send to a gone primary throws: the worker ignores it (node:cluster ends it).
  });
  const c = new IpcCoordinator({ port: p.port, nodeId: 'x', advertise: () => 'x:1', leaseMs: 100, timeoutMs: 5000 });
  await c.start();
  mode = 'callback';
  await assert.rejects(c.nodes(), {
    code: 'COORDINATOR_UNAVAILABLE',
    message: 'the primary process cannot be reached',
  });
  mode = 'throw';
  await assert.rejects(c.broadcast(drop), {
    code: 'COORDINATOR_UNAVAILABLE',
    message: 'the primary process cannot be reached',
  });
  p.events.emit('message', { openlive: ipcTag, t: 'cmd', id: 1, command: { ...drop, from: 'y' } });
  await c.close();

  // A primary that cannot be reached at all: start() fails and stops listening.
  const dead = scriptedPrimary(() => {
    throw new Error('no channel');
  });
  const d = new IpcCoordinator({ port: dead.port, nodeId: 'y', advertise: () => 'x:2', leaseMs: 100 });
  await assert.rejects(d.start(), { code: 'COORDINATOR_UNAVAILABLE' });
  assert.equal(dead.events.listenerCount('message'), 0);
});
