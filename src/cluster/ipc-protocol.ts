/**
 * The messages between a worker's IpcCoordinator and the primary's IpcCoordinatorHost over the node:cluster
 * IPC channel (JSON, `process.send`). Every message carries `openlive: 'coordinator'`, so the channel can
 * carry other traffic (node:cluster's own, the worker's ready report) without either side misreading it.
 */
import type { StreamCommand } from './coordinator.ts';

/** The tag every coordinator message carries. */
export const ipcTag = 'coordinator';

/** The operations a worker asks the primary for; each answers one value. */
export type IpcOp =
  'claim' | 'release' | 'holder' | 'holders' | 'nodes' | 'broadcast' | 'increment' | 'count' | 'replay' | 'close';

/** Worker to primary. `advertise` rides on every message: the private RTMP port is bound after start. */
export type WorkerMessage =
  | { readonly openlive: typeof ipcTag; readonly t: 'hello'; readonly nodeId: string; readonly advertise: string }
  | {
      readonly openlive: typeof ipcTag;
      readonly t: 'req';
      readonly id: number;
      readonly op: IpcOp;
      readonly args: unknown[];
      readonly advertise: string;
    }
  | { readonly openlive: typeof ipcTag; readonly t: 'ack'; readonly id: number };

/** Primary to worker: an answer, or a broadcast to deliver (acknowledged once delivered). */
export type PrimaryMessage =
  | {
      readonly openlive: typeof ipcTag;
      readonly t: 'res';
      readonly id: number;
      readonly value?: unknown;
      readonly error?: { code: string; message: string };
    }
  | { readonly openlive: typeof ipcTag; readonly t: 'cmd'; readonly id: number; readonly command: StreamCommand };

/** The channel end a worker talks through (`process` in a cluster worker). */
export interface IpcPort {
  send(message: unknown, callback: (err: Error | null) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** True for a message of this protocol (anything else on the channel is someone else's). */
export function isCoordinatorMessage(message: unknown): message is { openlive: typeof ipcTag; t: string } {
  return typeof message === 'object' && message !== null && (message as { openlive?: unknown }).openlive === ipcTag;
}
