/**
 * What the primary and its workers tell each other besides the Coordinator's calls (cluster/ipc-protocol.ts):
 * the environment a worker is forked with, its ready report (ports, node id), its load, and the shutdown.
 */
import type { ForwardedReply, ForwardedRequest } from '../servers/webrtc/session-owner.ts';

/** Environment variables the primary sets for a worker; main.ts keeps them out of the configuration. */
export const workerEnvNames = {
  index: 'OPENLIVE_WORKER_INDEX',
  count: 'OPENLIVE_WORKER_COUNT',
  relaySecret: 'OPENLIVE_WORKER_RELAY_SECRET',
  recoverCallbacks: 'OPENLIVE_WORKER_RECOVER_CALLBACKS',
} as const;

/** The environment of worker `index` of `count`. */
export function workerEnv(
  index: number,
  count: number,
  relaySecret: string | undefined,
  recoverCallbacks: boolean,
): Record<string, string> {
  return {
    [workerEnvNames.index]: String(index),
    [workerEnvNames.count]: String(count),
    [workerEnvNames.recoverCallbacks]: recoverCallbacks ? '1' : '0',
    ...(relaySecret !== undefined && { [workerEnvNames.relaySecret]: relaySecret }),
  };
}

/** The environment without the worker variables (they are not configuration keys). */
export function configEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of Object.values(workerEnvNames)) delete out[name];
  return out;
}

/** A worker has bound its listeners: the shared ports and its own node id and private RTMP address. */
export interface WorkerReport {
  readonly openlive: 'worker';
  readonly t: 'ready';
  readonly nodeId: string;
  readonly advertise: string;
  readonly rtmpPort: number;
  readonly httpPort: number;
  readonly apiPort: number;
}

/** What a worker serves now (sent every second; the primary logs changes). */
export interface WorkerLoad {
  readonly openlive: 'worker';
  readonly t: 'load';
  readonly publishers: number;
  readonly players: number;
}

/** The primary asks a worker to drain as its own SIGTERM would. */
export interface WorkerShutdown {
  readonly openlive: 'worker';
  readonly t: 'shutdown';
  readonly signal: NodeJS.Signals;
}

/** A WebRTC session request for worker `to`, from worker `from` (cli/worker-forward.ts). */
export interface WorkerForward {
  readonly openlive: 'worker';
  readonly t: 'forward';
  readonly rid: number;
  readonly from: number;
  readonly to: number;
  readonly request: ForwardedRequest;
}

/** The owner's reply to a WorkerForward; none when the owner is not running. */
export interface WorkerForwarded {
  readonly openlive: 'worker';
  readonly t: 'forwarded';
  readonly rid: number;
  readonly from: number;
  readonly to: number;
  readonly reply?: ForwardedReply | undefined;
}

/** Any of the above. */
export type WorkerMessage = WorkerReport | WorkerLoad | WorkerShutdown | WorkerForward | WorkerForwarded;

/** True for a message of this protocol. */
export function isWorkerMessage(message: unknown): message is WorkerMessage {
  return typeof message === 'object' && message !== null && (message as { openlive?: unknown }).openlive === 'worker';
}
