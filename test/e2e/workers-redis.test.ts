/**
 * `--workers 2` with `cluster.redis`: each worker joins Redis as a node of its own (box-w1, box-w2, each
 * advertising its private loopback RTMP listener), and the claim of a published stream is held in Redis by
 * the worker that took the publisher; a second publisher on the other worker is refused with 18/601.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { ScriptedRtmp } from '../support/scripted-rtmp.ts';
import { waitFor } from '../support/wait.ts';
import { RedisCoordinator } from '../../src/cluster/redis-coordinator.ts';

let redis: TestRedis;
let server: ServerProcess;
let observer: RedisCoordinator;
const running: FfmpegProcess[] = [];

before(async () => {
  redis = await startRedis();
  server = await startServerProcess(['--cluster.redis', redis.url, '--cluster.nodeId', 'box'], { workers: 2 });
  observer = new RedisCoordinator({
    url: redis.url,
    nodeId: 'observer',
    advertise: () => '',
    leaseMs: 5000,
    announce: false,
  });
  await observer.start();
});

after(async () => {
  await Promise.all(running.map((ff) => ff.stop()));
  await observer?.close();
  await server?.stop(15_000);
  await redis?.stop();
});

test("each worker is a Redis node advertising its own loopback RTMP listener; the publisher's worker holds the claim", async () => {
  await waitFor(
    'both workers in Redis with their private ports',
    async () => {
      const nodes = await observer.nodes();
      return nodes.length === 2 && nodes.every((n) => /^127\.0\.0\.1:[1-9]\d*$/.test(n.advertise));
    },
    15_000,
  );
  const nodes = await observer.nodes();
  assert.deepEqual(nodes.map((n) => n.nodeId).sort(), ['box-w1', 'box-w2']);
  assert.notEqual(nodes[0]!.advertise, nodes[1]!.advertise);

  const main = new URL('../../src/main.ts', import.meta.url).pathname;
  const out = execFileSync(process.execPath, [main, 'url', '--data-dir', server.dataDir, '--stream', 'cam', '--json'], {
    encoding: 'utf8',
  });
  const key = (JSON.parse(out) as { push: { obsStreamKey: string } }).push.obsStreamKey;
  const ff = publish(`rtmp://127.0.0.1:${server.rtmpPort}/live/${key}`);
  running.push(ff);
  await waitFor('the claim in Redis', async () => (await observer.holder('live/cam')) !== undefined, 20_000);
  const holder = (await observer.holder('live/cam'))!;
  assert.match(holder.nodeId, /^box-w[12]$/);
  const other = nodes.find((n) => n.nodeId !== holder.nodeId)!;
  assert.equal(holder.advertise, nodes.find((n) => n.nodeId === holder.nodeId)!.advertise);

  const second = await ScriptedRtmp.open(`rtmp://${other.advertise}/live/${key}`);
  const id = await second.createStream();
  second.publish(id, second.url.stream);
  const status = await second.status(id, 'NetStream.Publish.BadName', { orError: true });
  assert.match(String(status.description), /^18\/601: /);
  await second.end();
  await ff.stop();
  await waitFor('the claim released', async () => (await observer.holder('live/cam')) === undefined, 10_000);
});

test('a worker that cannot start (Redis unreachable) stops the whole start: the primary exits 1 with the reason', async () => {
  await assert.rejects(
    startServerProcess(['--cluster.redis', 'redis://127.0.0.1:1', '--cluster.nodeId', 'box'], { workers: 2 }),
    (err: Error) =>
      /exited with 1/.test(err.message) &&
      /COORDINATOR_UNAVAILABLE/.test(err.message) &&
      /a worker failed to start/.test(err.message),
  );
});
