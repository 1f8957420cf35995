import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IpcPort } from '../cluster/ipc-protocol.ts';
import { IpcSessionForwarder, routeForward } from './worker-forward.ts';
import { isWorkerMessage, type WorkerMessage } from './worker-messages.ts';

/** Workers 1..n on a primary that routes as workers.ts does; `gone` workers are not running. */
function cluster(n: number, gone: readonly number[] = []) {
  const ports = new Map<number, EventEmitter>();
  const toPrimary: { from: number; m: WorkerMessage }[] = [];
  const deliver = (index: number, m: WorkerMessage): boolean => {
    const port = ports.get(index);
    if (!port || gone.includes(index)) return false;
    setImmediate(() => port.emit('message', structuredClone(m)));
    return true;
  };
  const port = (index: number): IpcPort => {
    const e = new EventEmitter();
    ports.set(index, e);
    return {
      send: (m, cb) => {
        setImmediate(() => {
          toPrimary.push({ from: index, m: m as WorkerMessage });
          if (isWorkerMessage(m)) routeForward(m, deliver);
          cb(null);
        });
        return true;
      },
      on: (ev, l) => e.on(ev, l),
      off: (ev, l) => e.off(ev, l),
    };
  };
  const workers = Array.from({ length: n }, (_, i) => new IpcSessionForwarder(port(i + 1), i + 1, 200));
  return { workers, toPrimary };
}

const del = { method: 'DELETE', url: '/webrtc/session/w2.x', headers: {}, body: undefined };

test('a forward reaches its owner through the primary and the reply comes back to the sender', async () => {
  const { workers } = cluster(3);
  workers[1]!.serve = async (r) => ({ status: 200, headers: { a: 'b' }, body: `${r.method} ${r.url} on 2` });
  workers[2]!.serve = async () => assert.fail('worker 3 is not the owner');
  assert.deepEqual(await workers[0]!.forward(2, del), {
    status: 200,
    headers: { a: 'b' },
    body: 'DELETE /webrtc/session/w2.x on 2',
  });
  // Several at once: each reply to its own request.
  workers[0]!.serve = async (r) => ({ status: 201, headers: {}, body: r.url });
  const urls = ['/a', '/b', '/c'];
  const replies = await Promise.all(urls.map((url) => workers[2]!.forward(1, { ...del, url })));
  assert.deepEqual(
    replies.map((r) => r?.body),
    urls,
  );
});

test('a worker that is not running, not ready, failing or silent gives no reply, 503 or 500', async () => {
  const { workers } = cluster(3, [3]);
  assert.equal(await workers[0]!.forward(3, del), undefined, 'not running: answered at once');
  assert.equal(await workers[0]!.forward(9, del), undefined, 'no such worker');
  assert.equal((await workers[0]!.forward(2, del))?.status, 503, 'not serving yet');
  workers[1]!.serve = async () => {
    throw new Error('boom');
  };
  assert.equal((await workers[0]!.forward(2, del))?.status, 500);
  workers[1]!.serve = () => new Promise(() => {});
  const started = Date.now();
  assert.equal(await workers[0]!.forward(2, del), undefined, 'no answer within the timeout');
  assert.ok(Date.now() - started >= 150);
});

test('a channel that refuses the message gives no reply', async () => {
  const refusing: IpcPort = { send: (_m, cb) => (cb(new Error('channel closed')), false), on: () => {}, off: () => {} };
  assert.equal(await new IpcSessionForwarder(refusing, 1).forward(2, del), undefined);
});
