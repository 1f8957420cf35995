import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { coordinatorConformance, type CoordinatorHarness, type TestNode } from '../../test/coordinator-conformance.ts';
import { waitFor } from '../../test/support/wait.ts';
import type { ClaimResult, ClusterNode, StreamCommand, StreamHolder } from './coordinator.ts';
import { deliver } from './coordinator.ts';
import { LiveError, type ErrorCode } from '../errors.ts';
import { IpcCoordinatorHost } from './ipc-coordinator-host.ts';
import { MemoryCluster } from './memory-coordinator.ts';

const childScript = new URL('../../test/support/ipc-coordinator-child.ts', import.meta.url).pathname;

interface Reply {
  test: 'res';
  id: number;
  value?: unknown;
  error?: { code: string; message: string };
  held: string[];
}

/**
 * A node whose IpcCoordinator runs in a forked child process, talking to the host in this process over the
 * real IPC channel; this proxy runs the suite's calls there. abandon() is a real kill -9 of the child.
 */
async function childNode(
  host: IpcCoordinatorHost,
  nodeId: string,
  advertise: string,
  leaseMs: number,
): Promise<TestNode & { child: ChildProcess }> {
  const child = fork(childScript, [nodeId, advertise, String(leaseMs)], {
    execPath: process.execPath,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  host.attach(child);
  const exited = once(child, 'exit');
  const pending = new Map<number, (r: Reply) => void>();
  const commandListeners = new Set<(c: StreamCommand) => void>();
  let held: string[] = [];
  let nextId = 1;
  let ready = false;
  child.on('message', (m: { test?: string; command?: StreamCommand; id?: number; held?: string[] }) => {
    if (m.test === 'ready') ready = true;
    if (m.test === 'cmd') deliver(commandListeners, [m.command!], () => undefined);
    if (m.test === 'res') {
      held = m.held ?? held;
      pending.get(m.id!)?.(m as unknown as Reply);
      pending.delete(m.id!);
    }
  });
  const call = async <T>(op: string, args: unknown[] = []): Promise<T> => {
    const id = nextId++;
    const reply = await new Promise<Reply>((resolve) => {
      pending.set(id, resolve);
      child.send({ test: 'call', id, op, args });
    });
    if (reply.error) throw new LiveError(reply.error.code as ErrorCode, reply.error.message);
    return reply.value as T;
  };
  await waitFor('the child', () => ready, 30_000);
  await call('start');
  let closed = false;
  return {
    child,
    nodeId,
    leaseMs,
    counters: {
      increment: (key, ttlMs, by = 1) => call<number>('increment', [key, ttlMs, by]),
      count: (key) => call<number>('count', [key]),
    },
    start: () => Promise.resolve(),
    async close() {
      if (closed || child.exitCode !== null || child.signalCode !== null) return;
      await call('close');
      closed = true;
    },
    claim: (stream, options = {}) => call<ClaimResult>('claim', [stream, options]),
    release: (stream) => call<boolean>('release', [stream]),
    holder: async (stream) => (await call<StreamHolder | null>('holder', [stream])) ?? undefined,
    holders: async () => new Map(await call<[string, StreamHolder][]>('holders')),
    nodes: () => call<ClusterNode[]>('nodes'),
    held: () => [...held],
    broadcast: (command) => call<void>('broadcast', [command]),
    onCommand(listener) {
      commandListeners.add(listener);
      return () => commandListeners.delete(listener);
    },
    onLost: () => () => undefined,
    onReconnect: () => () => undefined,
    replayCache: (maxEntries) => ({
      claim: (sig, until) => call('replay', [sig, until, maxEntries]),
      close: () => undefined,
    }),
    async abandon() {
      child.kill('SIGKILL');
      // The host listened first: by the time this resolves it has abandoned the node.
      await exited;
    },
  };
}

/** A host on a fake clock in this process, each node a forked child. */
function ipcHarness(leaseMs = 5000): CoordinatorHarness & { host: IpcCoordinatorHost } {
  const clock = { now: Date.now() };
  const host = new IpcCoordinatorHost({ leaseMs, cluster: new MemoryCluster(() => clock.now) });
  const nodes: (TestNode & { child: ChildProcess })[] = [];
  return {
    host,
    leaseMs,
    async node(nodeId, advertise = '127.0.0.1:1935') {
      const node = await childNode(host, nodeId, advertise, leaseMs);
      nodes.push(node);
      return node;
    },
    elapse(ms) {
      clock.now += ms;
      return Promise.resolve();
    },
    async close() {
      await Promise.all(nodes.map((n) => n.close().catch(() => undefined)));
      for (const n of nodes) n.child.kill('SIGKILL');
    },
  };
}

coordinatorConformance('ipc (forked children)', () => Promise.resolve(ipcHarness()));

test('ipc: a broadcast has reached every worker when it resolves; a killed worker is not waited for', async () => {
  const h = ipcHarness();
  const a = await h.node('a');
  const b = await h.node('b');
  const c = await h.node('c');
  const got: string[] = [];
  a.onCommand((cmd) => got.push(`a:${cmd.kind}`));
  b.onCommand((cmd) => got.push(`b:${cmd.kind}`));
  await c.abandon();
  await a.broadcast({ kind: 'drop', app: 'live', stream: 's', domain: '' });
  // The child forwards to this proxy after acknowledging: wait for the forwarding only.
  await waitFor('both deliveries', () => got.length === 2, 5000);
  assert.deepEqual(got.sort(), ['a:drop', 'b:drop']);
  await h.close();
});

test('ipc: a killed worker keeps its claim for exactly a lease on the primary clock, then another takes it', async () => {
  const h = ipcHarness(1000);
  const a = await h.node('w1', '127.0.0.1:40001');
  const b = await h.node('w2', '127.0.0.1:40002');
  assert.equal((await a.claim('live/s')).ok, true);
  const refused = await b.claim('live/s');
  assert.equal(refused.ok, false);
  assert.equal(refused.holder?.advertise, '127.0.0.1:40001');
  await a.abandon();
  await h.elapse(999);
  assert.equal((await b.claim('live/s')).ok, false);
  await h.elapse(1);
  assert.equal((await b.claim('live/s')).ok, true);
  assert.deepEqual(
    (await b.nodes()).map((n) => n.nodeId),
    ['w2'],
  );
  await h.close();
});

test('ipc: calls before start and after close are COORDINATOR_UNAVAILABLE; a silent primary times out', async () => {
  const { IpcCoordinator } = await import('./ipc-coordinator.ts');
  const sent: unknown[] = [];
  const port = { send: (m: unknown) => sent.push(m), on: () => undefined, off: () => undefined };
  const c = new IpcCoordinator({ port, nodeId: 'x', advertise: () => '127.0.0.1:1', leaseMs: 100, timeoutMs: 50 });
  await assert.rejects(c.claim('live/s'), { code: 'COORDINATOR_UNAVAILABLE' });
  await assert.rejects(c.start(), { code: 'COORDINATOR_UNAVAILABLE' });
  assert.equal((sent[0] as { t: string }).t, 'hello');
  await c.close();
  await assert.rejects(c.holder('live/s'), { code: 'COORDINATOR_UNAVAILABLE' });
});
