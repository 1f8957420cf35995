import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { configSchema } from '../config/config-schema.ts';
import { workerCount } from './workers.ts';
import { workerConfig, workerNodeId, workerRtmpHost } from './worker-process.ts';
import { configEnv, workerEnv, workerEnvNames } from './worker-messages.ts';
import { loadConfig } from './config-load.ts';

test('workers: a number, or auto = one per core; 1 by default', () => {
  assert.equal(workerCount(configSchema.parse({}).workers), 1);
  assert.equal(workerCount(configSchema.parse({ workers: '3' }).workers), 3);
  assert.equal(workerCount(configSchema.parse({ workers: 'auto' }).workers), availableParallelism());
  assert.throws(() => configSchema.parse({ workers: '0' }));
  assert.throws(() => configSchema.parse({ workers: 'many' }));
});

test('a worker is its own node: <nodeId or hostname>-w<i>, at most 64 characters', () => {
  assert.equal(workerNodeId('box', 2), 'box-w2');
  assert.match(workerNodeId('', 1), /-w1$/);
  assert.equal(workerNodeId('x'.repeat(64), 12).length, 64);
  assert.match(workerNodeId('x'.repeat(64), 12), /-w12$/);
  const config = configSchema.parse({ cluster: { nodeId: 'box' } });
  assert.doesNotThrow(() => configSchema.parse({ cluster: { nodeId: workerNodeId('x'.repeat(64), 3) } }));
  assert.equal(workerConfig(config, 3, 4, undefined).cluster.nodeId, 'box-w3');
});

test("the memory budget is the machine's: each of N workers gets 1/N, explicit or auto", () => {
  const explicit = configSchema.parse({ limits: { memoryBudgetBytes: 1000 } });
  assert.equal(workerConfig(explicit, 1, 4, undefined).limits.memoryBudgetBytes, 250);
  const auto = configSchema.parse({});
  const heap = 4 * 1024 ** 3;
  assert.equal(workerConfig(auto, 2, 2, undefined, heap).limits.memoryBudgetBytes, 512 * 1024 ** 2);
});

test('the worker variables reach the worker but are not configuration keys', () => {
  const env: Record<string, string> = { ...workerEnv(2, 3, 'secret', false), OPENLIVE_RTMP__PORT: '1936' };
  assert.equal(env[workerEnvNames.index], '2');
  assert.equal(env[workerEnvNames.recoverCallbacks], '0');
  assert.throws(() => loadConfig({ env }), /unknown key/);
  const config = loadConfig({ env: configEnv(env) });
  assert.equal(config.rtmp.port, 1936);
});

test("a worker's own RTMP listener: loopback alone, the host of cluster.advertise with Redis (other machines pull from it)", () => {
  const parse = (cluster: Record<string, string>) => configSchema.parse({ cluster });
  assert.deepEqual(workerRtmpHost(parse({})), { bind: '127.0.0.1', url: '127.0.0.1' });
  assert.deepEqual(
    workerRtmpHost(parse({ advertise: '10.0.0.1:1935' })),
    { bind: '127.0.0.1', url: '127.0.0.1' },
    'no Redis: only this machine relays',
  );
  assert.deepEqual(workerRtmpHost(parse({ redis: 'redis://r:6379', advertise: '10.0.0.1:1935' })), {
    bind: '10.0.0.1',
    url: '10.0.0.1',
  });
  assert.deepEqual(workerRtmpHost(parse({ redis: 'redis://r:6379', advertise: 'node-a.internal' })), {
    bind: 'node-a.internal',
    url: 'node-a.internal',
  });
  assert.deepEqual(workerRtmpHost(parse({ redis: 'redis://r:6379', advertise: '[fd00::1]:1935' })), {
    bind: 'fd00::1',
    url: '[fd00::1]',
  });
  assert.deepEqual(workerRtmpHost(parse({ redis: 'redis://r:6379' })), { bind: '127.0.0.1', url: '127.0.0.1' });
});

test('worker i binds the single WebRTC port webrtc.port + i - 1; a range past 65535 is refused', async () => {
  const { workerWebrtcPort, workerWebrtcPortProblem } = await import('./worker-process.ts');
  const config = configSchema.parse({ webrtc: { enabled: true, port: 8189 } });
  assert.deepEqual(
    [1, 2, 3].map((i) => workerConfig(config, i, 3, undefined).webrtc.port),
    [8189, 8190, 8191],
  );
  assert.equal(workerWebrtcPort(0, 4), 0, 'port 0 stays a free port per worker');
  assert.equal(workerWebrtcPortProblem(config, 4), undefined);
  const high = configSchema.parse({ webrtc: { enabled: true, port: 65534 } });
  assert.equal(workerWebrtcPortProblem(high, 2), undefined);
  assert.match(workerWebrtcPortProblem(high, 3) ?? '', /webrtc\.port 65534 \+ 3 workers passes 65535/);
  const off = configSchema.parse({ webrtc: { enabled: false, port: 65534 } });
  assert.equal(workerWebrtcPortProblem(off, 3), undefined, 'no WebRTC, no ports');
});
