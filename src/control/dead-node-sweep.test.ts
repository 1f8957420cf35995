import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { DeadNodeSweep, deadNodeReason } from './dead-node-sweep.ts';

const start = { domain: 'push.example.com', app: 'live', clientIp: '10.0.0.9', startedAt: 1000 };

function setup() {
  const store = new MemoryStore({ nodeId: 'b' });
  const clock = { now: 10_000 };
  const alive = { ids: ['a', 'b'] };
  const swept: Array<[string, number, number]> = [];
  const sweep = new DeadNodeSweep({
    store,
    alive: async () => alive.ids.map((nodeId) => ({ nodeId })),
    self: 'b',
    now: () => clock.now,
    intervalMs: 5000,
    every: () => ({ clear() {} }),
    onSwept: (...args) => swept.push(args),
    onError: (err) => assert.fail(err as Error),
  });
  return { store, clock, alive, swept, sweep };
}

test("a dead node's open records are ended with 5/0 at the time it was last seen alive; live nodes' and its own stay open", async () => {
  const { store, clock, alive, swept, sweep } = setup();
  const onA = await store.addPublishRecordOf('a', { ...start, stream: 'cam1' });
  const onA2 = await store.addPublishRecordOf('a', { ...start, stream: 'cam2' });
  const mine = await store.addPublishRecord({ ...start, stream: 'cam3' });
  assert.equal(await sweep.sweep(), 0, 'a is alive: nothing to end');
  clock.now = 15_000;
  alive.ids = ['b'];
  // 'b' itself never appears dead to its own sweep, even were its key missing.
  assert.equal(await sweep.sweep(), 2);
  assert.deepEqual(swept, [['a', 2, 10_000]], 'ended at the last sweep that saw a alive');
  for (const id of [onA, onA2]) {
    const r = await store.getPublishRecord(id);
    assert.equal(r?.breakCode, '5/0');
    assert.equal(r?.endedAt, 10_000);
    assert.equal(r?.reason, deadNodeReason('a', 'b'));
  }
  assert.equal((await store.getPublishRecord(mine))?.endedAt, null);
  assert.equal(await sweep.sweep(), 0, "a second sweep (or another node's) finds nothing left");
});

test('a node this one never saw alive gets the sweep time; a node alive at the first sweep is never swept while alive', async () => {
  const { store, clock, alive, swept, sweep } = setup();
  const old = await store.addPublishRecordOf('gone', { ...start, stream: 'x' });
  alive.ids = ['a', 'b'];
  await store.addPublishRecordOf('a', { ...start, stream: 'y' });
  clock.now = 20_000;
  assert.equal(await sweep.sweep(), 1);
  assert.deepEqual(swept, [['gone', 1, 20_000]]);
  assert.equal((await store.getPublishRecord(old))?.endedAt, 20_000);
  assert.deepEqual(await store.listOpenPublishNodes(), ['a']);
});

test('two sweepers at once end each record once; start() sweeps at once and close() stops the timer', async () => {
  const { store, alive } = setup();
  for (let i = 0; i < 5; i++) await store.addPublishRecordOf('dead', { ...start, stream: `s${i}` });
  alive.ids = ['b', 'c'];
  const make = (self: string) =>
    new DeadNodeSweep({
      store,
      alive: async () => alive.ids.map((nodeId) => ({ nodeId })),
      self,
      now: () => 1,
      intervalMs: 1000,
      every: () => ({ clear() {} }),
      onError: () => {},
    });
  const [x, y] = [make('b'), make('c')];
  const [nx, ny] = await Promise.all([x.sweep(), y.sweep()]);
  assert.equal(nx + ny, 5);
  let cleared = 0;
  let runs = 0;
  const z = new DeadNodeSweep({
    store,
    alive: async () => [],
    self: 'b',
    now: () => 1,
    intervalMs: 1000,
    every: (run, ms) => {
      assert.equal(ms, 1000);
      runs++;
      return { clear: () => cleared++ };
    },
    onError: () => {},
  });
  z.start();
  z.start();
  assert.equal(runs, 1);
  z.close();
  z.close();
  assert.equal(cleared, 1);
});
