/**
 * One worker of `--workers N` (forked by cli/workers.ts): a full Service on the shared ports, as its own node
 * of the cluster. Its node id is `<cluster.nodeId or hostname>-w<i>` (stable across restarts of slot i), its
 * cluster.advertise its own loopback RTMP listener, its memory budget 1/N of the machine's, and its
 * Coordinator the primary's over IPC (or Redis with `cluster.redis`). It drains on its own SIGTERM/SIGINT or
 * on the primary's shutdown message, whichever comes first, once.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import type { Config } from '../config/config-schema.ts';
import type { Log } from '../log.ts';
import { Service } from './service.ts';
import { installFaultHandlers } from './process-faults.ts';
import { installShutdown, type SignalProcess } from './shutdown.ts';
import { autoMemoryBudget } from '../hub/memory-budget.ts';
import { IpcCoordinator } from '../cluster/ipc-coordinator.ts';
import type { IpcPort } from '../cluster/ipc-protocol.ts';
import { createCoordinator } from '../cluster/create-coordinator.ts';
import { serveForwarded } from '../servers/webrtc/session-owner.ts';
import { IpcSessionForwarder } from './worker-forward.ts';
import { isWorkerMessage, workerEnvNames, type WorkerMessage } from './worker-messages.ts';

/** Where a worker's own RTMP listener binds without Redis: only processes on this machine relay between workers. */
export const privateRtmpHost = '127.0.0.1';

/**
 * The host a worker's own RTMP listener binds and advertises: with Redis, nodes on other machines pull from
 * it, so the host of `cluster.advertise` (the machine's routable address; each worker its own port);
 * otherwise loopback. Returns the bind address and the form for `host:port` (IPv6 in brackets).
 */
export function workerRtmpHost(config: Pick<Config, 'cluster'>): { bind: string; url: string } {
  const { redis, advertise } = config.cluster;
  const host = redis === '' ? '' : (/^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(advertise)?.[1] ?? '');
  if (host === '') return { bind: privateRtmpHost, url: privateRtmpHost };
  return { bind: host.replace(/^\[|\]$/g, ''), url: host };
}
/** How often a worker reports its load to the primary. */
const loadIntervalMs = 1000;

/** The node id of worker `index`: `<cluster.nodeId or hostname>-w<index>`, within the 64 characters allowed. */
export function workerNodeId(nodeId: string, index: number): string {
  const base = (nodeId || hostname()).replace(/[^A-Za-z0-9._-]/g, '_');
  const suffix = `-w${index}`;
  return base.slice(0, 64 - suffix.length) + suffix;
}

/**
 * Worker `index`'s single WebRTC UDP port: `webrtc.port + index - 1`, so N workers use N consecutive ports
 * (one firewall rule for the range); 0 (a free port, tests) stays 0.
 */
export function workerWebrtcPort(port: number, index: number): number {
  return port === 0 ? 0 : port + index - 1;
}

/** Why `webrtc.port` cannot serve `count` workers (their ports would pass 65535), or undefined. */
export function workerWebrtcPortProblem(config: Pick<Config, 'webrtc'>, count: number): string | undefined {
  const { enabled, singlePort, port } = config.webrtc;
  if (!enabled || !singlePort || port === 0 || port + count - 1 <= 65535) return undefined;
  return `webrtc.port ${port} + ${count} workers passes 65535: worker i binds webrtc.port + i - 1`;
}

/** The configuration worker `index` of `count` runs with (node id, memory budget share, relay secret). */
export function workerConfig(
  config: Config,
  index: number,
  count: number,
  relaySecret: string | undefined,
  heapLimit = getHeapStatistics().heap_size_limit,
): Config {
  // One machine's memory: the configured (or automatic) budget is shared by the workers.
  const budget = Math.floor((config.limits.memoryBudgetBytes || autoMemoryBudget(heapLimit)) / count);
  return {
    ...config,
    cluster: { ...config.cluster, nodeId: workerNodeId(config.cluster.nodeId, index) },
    limits: { ...config.limits, memoryBudgetBytes: Math.max(1, budget) },
    // Each worker binds its own single WebRTC port, webrtc.port + index - 1 (docs/webrtc.md "Worker processes").
    webrtc: {
      ...config.webrtc,
      port: workerWebrtcPort(config.webrtc.port, index),
      // ICE-TCP binds exclusively too: a set tcpPort moves with the worker like the UDP port.
      tcpPort: config.webrtc.tcpPort === undefined ? undefined : workerWebrtcPort(config.webrtc.tcpPort, index),
    },
    // relay.secret authenticates the pulls between workers (the primary made one up when it was empty).
    ...(relaySecret !== undefined && { relay: { ...config.relay, ...{ secret: relaySecret } } }),
  };
}

/** Runs this worker: starts its service, reports ready and load to the primary, drains on shutdown. */
export async function runWorker(baseConfig: Config, rootLog: Log, exit: (status: number) => void): Promise<void> {
  const index = Number(process.env[workerEnvNames.index] ?? 1);
  const count = Number(process.env[workerEnvNames.count] ?? 1);
  const config = workerConfig(baseConfig, index, count, process.env[workerEnvNames.relaySecret]);
  const nodeId = config.cluster.nodeId;
  const recoverCallbacks = process.env[workerEnvNames.recoverCallbacks] !== '0';
  const log = rootLog.child({ worker: index, node: nodeId });
  const host = workerRtmpHost(baseConfig);
  let advertise = `${host.url}:0`;
  const coordinator =
    config.cluster.redis === ''
      ? new IpcCoordinator({
          port: process as unknown as IpcPort,
          nodeId,
          advertise: () => advertise,
          leaseMs: config.cluster.leaseMs,
          onListenerError: (err) => log.error({ err }, 'a stream command listener failed'),
        })
      : createCoordinator(config, { log, advertise: () => advertise });
  // DELETE/PATCH of a sibling's WebRTC session go to it through the primary (worker-forward.ts).
  const forwarder = new IpcSessionForwarder(process as unknown as IpcPort, index);
  const service = new Service(config, log, {
    coordinator,
    worker: {
      privateRtmpHost: host.bind,
      hlsDir: join(config.dataDir, `hls-w${index}`),
      recoverCallbacks,
      index,
      forwarder,
    },
  });
  installFaultHandlers({ log, counters: service.counters, exit });
  await service.start();
  forwarder.serve = (request) => serveForwarded(service.http, request);
  advertise = `${host.url}:${service.privateRtmpPort}`;
  const send = (message: WorkerMessage): void => void process.send?.(message, () => undefined);
  send({
    openlive: 'worker',
    t: 'ready',
    nodeId,
    advertise,
    rtmpPort: service.rtmpPort,
    httpPort: service.httpPort,
    apiPort: service.apiPort,
  });
  const load = setInterval(() => {
    const stats = service.hub.stats();
    send({ openlive: 'worker', t: 'load', publishers: stats.publishers, players: stats.subscribers });
  }, loadIntervalMs);
  load.unref();
  installShutdown({
    log,
    drain: () => (clearInterval(load), service.close()),
    timeoutMs: config.limits.shutdownTimeoutMs,
    exit,
    process: shutdownSignals(),
  });
}

/**
 * The worker's signals: its own SIGTERM/SIGINT, and the primary's shutdown message as the first one only (a
 * Ctrl-C reaches the whole process group: the worker's own SIGINT and the primary's message are one request).
 */
function shutdownSignals(): SignalProcess {
  const events = new EventEmitter();
  let signalled = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      signalled = true;
      events.emit(signal, signal);
    });
  }
  process.on('message', (message: unknown) => {
    if (!isWorkerMessage(message) || message.t !== 'shutdown' || signalled) return;
    signalled = true;
    events.emit(message.signal, message.signal);
  });
  return { on: (event, listener) => events.on(event, listener) };
}
