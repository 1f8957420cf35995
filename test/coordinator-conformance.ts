/**
 * The behaviour every Coordinator adapter must have, written against the interface only. An adapter's test
 * calls `coordinatorConformance('redis', makeHarness)`; the harness gives nodes on one shared backend
 * (one MemoryCluster, one Redis) and a way to let lease time pass (a fake clock, or real sleeps for Redis).
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Coordinator, StreamCommand } from '../src/cluster/coordinator.ts';
import { waitFor } from './support/wait.ts';

/** A node the suite can also kill as kill -9 would (no release, no goodbye). */
export type TestNode = Coordinator & { abandon(): Promise<void> };

/** One shared backend for a test. */
export interface CoordinatorHarness {
  /** The lease every node of this harness uses. */
  readonly leaseMs: number;
  /** A started node on the shared backend. */
  node(nodeId: string, advertise?: string): Promise<TestNode>;
  /** Lets `ms` pass on the clock the leases run on. */
  elapse(ms: number): Promise<void>;
  /** Closes every node it made and frees the backend. */
  close(): Promise<void>;
}

/** Registers the conformance tests; `makeHarness` must return a harness on an empty backend. */
export function coordinatorConformance(name: string, makeHarness: () => Promise<CoordinatorHarness>): void {
  describe(`Coordinator conformance: ${name}`, () => {
    let h: CoordinatorHarness;
    let a: TestNode;
    let b: TestNode;
    beforeEach(async () => {
      h = await makeHarness();
      a = await h.node('node-a', '10.0.0.1:1935');
      b = await h.node('node-b', '10.0.0.2:1935');
    });
    afterEach(async () => {
      await h.close();
    });

    test('a claim is taken once: the other node is refused and told the holder; the holder claiming again renews', async () => {
      const first = await a.claim('live/cam1', { domain: 'push.example.com' });
      assert.equal(first.ok, true);
      assert.equal(first.ok && first.renewed, false);
      assert.equal(first.holder?.nodeId, 'node-a');
      const second = await b.claim('live/cam1');
      assert.equal(second.ok, false);
      assert.deepEqual(
        [second.holder?.nodeId, second.holder?.advertise, second.holder?.domain],
        ['node-a', '10.0.0.1:1935', 'push.example.com'],
      );
      const again = await a.claim('live/cam1');
      assert.equal(again.ok && again.renewed, true);
      assert.deepEqual(a.held(), ['live/cam1']);
      assert.deepEqual(b.held(), []);
    });

    test('claims race: of two nodes claiming the same streams at once, exactly one wins each', async () => {
      const streams = Array.from({ length: 20 }, (_, i) => `live/race${i}`);
      const results = await Promise.all(streams.flatMap((s) => [a.claim(s), b.claim(s)]));
      for (let i = 0; i < streams.length; i++) {
        const wins = [results[2 * i]!, results[2 * i + 1]!].filter((r) => r.ok).length;
        assert.equal(wins, 1, `${streams[i]} won ${wins} times`);
      }
      assert.equal(a.held().length + b.held().length, streams.length);
    });

    test('release is compare-and-set: a non-holder cannot release; the holder can, and the stream is free', async () => {
      await a.claim('live/cam1');
      assert.equal(await b.release('live/cam1'), false);
      assert.equal((await b.holder('live/cam1'))?.nodeId, 'node-a');
      assert.equal(await a.release('live/cam1'), true);
      assert.equal(await a.release('live/cam1'), false);
      assert.equal(await a.holder('live/cam1'), undefined);
      assert.equal((await b.claim('live/cam1')).ok, true);
      assert.deepEqual(a.held(), []);
    });

    test('a dead node keeps its claim until the lease runs out, then another node can take it', async () => {
      await a.claim('live/cam1');
      await a.abandon();
      assert.equal((await b.claim('live/cam1')).ok, false, 'still held right after the holder died');
      await h.elapse(h.leaseMs + Math.max(200, h.leaseMs / 2));
      const taken = await b.claim('live/cam1');
      assert.equal(taken.ok, true);
      assert.equal(taken.holder?.nodeId, 'node-b');
      assert.equal((await b.holder('live/cam1'))?.nodeId, 'node-b');
    });

    test('a live holder keeps its claim across many leases (renewed), and its node stays listed', async () => {
      await a.claim('live/cam1');
      const lost: string[] = [];
      a.onLost((stream) => lost.push(stream));
      for (let i = 0; i < 3; i++) {
        await h.elapse(h.leaseMs);
        assert.equal((await b.claim('live/cam1')).ok, false, `lease ${i + 1}`);
      }
      assert.deepEqual(a.held(), ['live/cam1']);
      assert.deepEqual(lost, []);
      assert.deepEqual((await b.nodes()).map((n) => n.nodeId).sort(), ['node-a', 'node-b']);
    });

    test('the registry says who holds what, with the advertised address, and forgets released streams', async () => {
      await a.claim('live/one', { domain: 'push.example.com' });
      await b.claim('live/two');
      const holders = await a.holders();
      assert.deepEqual([...holders.keys()].sort(), ['live/one', 'live/two']);
      assert.equal(holders.get('live/one')?.advertise, '10.0.0.1:1935');
      assert.equal(holders.get('live/two')?.nodeId, 'node-b');
      assert.equal(typeof holders.get('live/two')?.since, 'number');
      assert.equal((await b.holder('live/one'))?.domain, 'push.example.com');
      assert.equal(await b.holder('live/none'), undefined);
      await b.release('live/two');
      assert.deepEqual([...(await b.holders()).keys()], ['live/one']);
      const nodes = await a.nodes();
      assert.deepEqual(nodes.find((n) => n.nodeId === 'node-b')?.advertise, '10.0.0.2:1935');
    });

    test('a broadcast reaches every subscriber on every node, the sender included, stamped with the sender', async () => {
      const got: { at: string; command: StreamCommand }[] = [];
      a.onCommand((command) => got.push({ at: 'a', command }));
      b.onCommand((command) => got.push({ at: 'b1', command }));
      const off = b.onCommand((command) => got.push({ at: 'b2', command }));
      await a.broadcast({
        kind: 'forbid',
        app: 'live',
        stream: 'cam1',
        domain: '',
        until: 1_900_000_000_000,
        reason: 'tos',
      });
      await waitFor('the forbid on every subscriber', () => got.length >= 3, 5000);
      assert.deepEqual(got.map((g) => g.at).sort(), ['a', 'b1', 'b2']);
      for (const g of got) {
        assert.deepEqual(g.command, {
          kind: 'forbid',
          app: 'live',
          stream: 'cam1',
          domain: '',
          until: 1_900_000_000_000,
          reason: 'tos',
          from: 'node-a',
        });
      }
      off();
      await b.broadcast({ kind: 'drop', app: 'live', stream: 'cam2', domain: 'push.example.com' });
      await waitFor('the drop on the remaining subscribers', () => got.length >= 5, 5000);
      assert.deepEqual(
        got
          .slice(3)
          .map((g) => [g.at, g.command.kind, g.command.from])
          .sort(),
        [
          ['a', 'drop', 'node-b'],
          ['b1', 'drop', 'node-b'],
        ],
      );
    });

    test('a listener that throws does not keep the others from their broadcast', async () => {
      const got: string[] = [];
      a.onCommand(() => {
        throw new Error('boom');
      });
      a.onCommand((c) => got.push(c.kind));
      await b.broadcast({ kind: 'resume', app: 'live', stream: 'cam1', domain: '' });
      await waitFor('the resume', () => got.length === 1, 5000);
    });

    test('counters are shared by every node and expire with their window', async () => {
      const ttl = Math.max(h.leaseMs, 300);
      assert.equal(await a.counters.increment('fail:10.0.0.9', ttl), 1);
      assert.equal(await b.counters.increment('fail:10.0.0.9', ttl), 2);
      assert.equal(await a.counters.increment('fail:10.0.0.9', ttl, 3), 5);
      assert.equal(await b.counters.count('fail:10.0.0.9'), 5);
      assert.equal(await b.counters.count('fail:other'), 0);
      await h.elapse(ttl + 200);
      assert.equal(await a.counters.count('fail:10.0.0.9'), 0);
      assert.equal(await b.counters.increment('fail:10.0.0.9', ttl), 1);
    });

    test('a TC3 signature is claimed once across the cluster until its window ends', async () => {
      const ra = a.replayCache(1000);
      const rb = b.replayCache(1000);
      const until = Date.now() + 60_000;
      assert.equal(await ra.claim('sig-1', until), 'fresh');
      assert.equal(await rb.claim('sig-1', until), 'replayed');
      assert.equal(await ra.claim('sig-1', until), 'replayed');
      assert.equal(await rb.claim('sig-2', until), 'fresh');
      const both = await Promise.all([ra.claim('sig-3', until), rb.claim('sig-3', until)]);
      assert.deepEqual(both.sort(), ['fresh', 'replayed']);
      ra.close();
      assert.equal(await rb.claim('sig-1', until), 'replayed', "closing one node's cache forgets nothing");
    });

    test('close releases the claims at once and is idempotent; a closed node refuses to claim', async () => {
      await a.claim('live/cam1');
      await Promise.all([a.close(), a.close()]);
      await a.close();
      assert.equal((await b.claim('live/cam1')).ok, true);
      await assert.rejects(a.claim('live/cam2'), { code: 'COORDINATOR_UNAVAILABLE' });
      assert.deepEqual(
        (await b.nodes()).map((n) => n.nodeId),
        ['node-b'],
      );
    });
  });
}
