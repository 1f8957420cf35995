/**
 * A forked child that is one worker's IpcCoordinator (src/cluster/ipc-coordinator.ts) talking to the test's
 * IpcCoordinatorHost over the real IPC channel, and runs the test's calls on it (messages tagged `test`).
 * argv: nodeId advertise leaseMs.
 */
import { IpcCoordinator } from '../../src/cluster/ipc-coordinator.ts';

const [nodeId = 'node', advertise = '127.0.0.1:1935', leaseMs = '5000'] = process.argv.slice(2);
const send = (message: unknown): void => void process.send!(message, () => undefined);
const coordinator = new IpcCoordinator({
  port: process as never,
  nodeId,
  advertise: () => advertise,
  leaseMs: Number(leaseMs),
});
coordinator.onCommand((command) => send({ test: 'cmd', command }));

type Args = [never, never, never];
type Call = { test: 'call'; id: number; op: string; args: Args };

async function run(op: string, a: Args): Promise<unknown> {
  switch (op) {
    case 'start':
      return coordinator.start();
    case 'close':
      return coordinator.close();
    case 'claim':
      return coordinator.claim(a[0], a[1]);
    case 'release':
      return coordinator.release(a[0]);
    case 'holder':
      return (await coordinator.holder(a[0])) ?? null;
    case 'holders':
      return [...(await coordinator.holders())];
    case 'nodes':
      return coordinator.nodes();
    case 'broadcast':
      return coordinator.broadcast(a[0]);
    case 'increment':
      return coordinator.counters.increment(a[0], a[1], a[2]);
    case 'count':
      return coordinator.counters.count(a[0]);
    case 'replay':
      return coordinator.replayCache(a[2]).claim(a[0], a[1]);
    default:
      throw new Error(`unknown op ${op}`);
  }
}

process.on('message', (message: unknown) => {
  const m = message as Partial<Call>;
  if (m.test !== 'call') return;
  run(m.op!, m.args ?? ([] as unknown as Args)).then(
    (value) => send({ test: 'res', id: m.id, value, held: coordinator.held() }),
    (err: { code?: string; message?: string }) =>
      send({ test: 'res', id: m.id, error: { code: err.code, message: err.message }, held: coordinator.held() }),
  );
});
send({ test: 'ready' });
