/**
 * The Coordinator of a worker process (`--workers N` without `cluster.redis`): every call goes to the primary
 * over the node:cluster IPC channel, where IpcCoordinatorHost keeps the state of memory-coordinator.ts for
 * all workers. The channel is the lease's heartbeat: while it is open the worker is alive and its claims
 * hold; when the worker dies the primary sees the channel close and its claims run out a lease later (as a
 * killed Redis node's). A worker cannot outlive its primary (node:cluster exits it on disconnect), so a
 * claim is never lost while the worker runs. Broadcasts resolve once every worker has delivered them.
 */
import { LiveError, type ErrorCode } from '../errors.ts';
import type { ReplayCache, ReplayVerdict } from '../control/tc3-replay-cache.ts';
import {
  deliver,
  type ClaimOptions,
  type ClaimResult,
  type ClusterNode,
  type Coordinator,
  type LostReason,
  type SharedCounters,
  type StreamCommand,
  type StreamCommandInput,
  type StreamHolder,
} from './coordinator.ts';
import { ipcTag, isCoordinatorMessage, type IpcOp, type IpcPort, type PrimaryMessage } from './ipc-protocol.ts';

/** How a worker's coordinator is built. */
export interface IpcCoordinatorOptions {
  readonly port: IpcPort;
  readonly nodeId: string;
  /** This worker's private RTMP `host:port` (its cluster.advertise), read at each message. */
  readonly advertise: () => string;
  readonly leaseMs: number;
  /** How long a call waits for the primary's answer before COORDINATOR_UNAVAILABLE; default max(1000, leaseMs). */
  readonly timeoutMs?: number;
  readonly onListenerError?: (err: unknown) => void;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** One worker's view of the primary's shared state. */
export class IpcCoordinator implements Coordinator {
  readonly nodeId: string;
  readonly leaseMs: number;
  readonly counters: SharedCounters;
  private readonly options: IpcCoordinatorOptions;
  private readonly timeoutMs: number;
  private readonly pending = new Map<number, Pending>();
  private readonly mine = new Set<string>();
  private readonly commandListeners = new Set<(command: StreamCommand) => void>();
  private readonly lostListeners = new Set<(stream: string, reason: LostReason) => void>();
  private readonly onMessage = (message: unknown): void => this.receive(message);
  private nextId = 1;
  private state: 'new' | 'started' | 'closed' = 'new';
  private closing: Promise<void> | undefined;

  constructor(options: IpcCoordinatorOptions) {
    this.options = options;
    this.nodeId = options.nodeId;
    this.leaseMs = options.leaseMs;
    this.timeoutMs = options.timeoutMs ?? Math.max(1000, options.leaseMs);
    this.counters = {
      increment: (key, ttlMs, by = 1) => this.call<number>('increment', [key, ttlMs, by]),
      count: (key) => this.call<number>('count', [key]),
    };
  }

  start(): Promise<void> {
    if (this.state !== 'new') return Promise.resolve();
    this.options.port.on('message', this.onMessage);
    try {
      this.options.port.send(
        { openlive: ipcTag, t: 'hello', nodeId: this.nodeId, advertise: this.options.advertise() },
        ignore,
      );
    } catch (err) {
      this.options.port.off('message', this.onMessage);
      return Promise.reject(unavailable('the primary process cannot be reached', err));
    }
    this.state = 'started';
    // The hello's answer: a round trip proves the primary serves this worker before it takes publishers.
    return this.call<number>('count', ['']).then(() => undefined);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.state === 'started') await this.call('close', []).catch(() => undefined);
      this.state = 'closed';
      this.options.port.off('message', this.onMessage);
      this.mine.clear();
      this.commandListeners.clear();
      this.lostListeners.clear();
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(unavailable('the coordinator is closed'));
      }
      this.pending.clear();
    })();
    return this.closing;
  }

  async claim(stream: string, options: ClaimOptions = {}): Promise<ClaimResult> {
    const result = await this.call<ClaimResult>('claim', [stream, options]);
    if (result.ok) this.mine.add(stream);
    return result;
  }

  async release(stream: string): Promise<boolean> {
    const released = await this.call<boolean>('release', [stream]);
    this.mine.delete(stream);
    return released;
  }

  async holder(stream: string): Promise<StreamHolder | undefined> {
    return (await this.call<StreamHolder | null>('holder', [stream])) ?? undefined;
  }

  async holders(): Promise<Map<string, StreamHolder>> {
    return new Map(await this.call<[string, StreamHolder][]>('holders', []));
  }

  nodes(): Promise<ClusterNode[]> {
    return this.call<ClusterNode[]>('nodes', []);
  }

  held(): string[] {
    return [...this.mine];
  }

  async broadcast(command: StreamCommandInput): Promise<void> {
    await this.call('broadcast', [command]);
  }

  onCommand(listener: (command: StreamCommand) => void): () => void {
    this.commandListeners.add(listener);
    return () => this.commandListeners.delete(listener);
  }

  onLost(listener: (stream: string, reason: LostReason) => void): () => void {
    // Never called: a claim holds while the channel is open, and a worker does not outlive it (file comment).
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  onReconnect(): () => void {
    // The channel does not reconnect: a worker whose primary is gone exits.
    return () => undefined;
  }

  replayCache(maxEntries: number): ReplayCache {
    return {
      claim: (signature: string, expiresAtMs: number) =>
        this.call<ReplayVerdict>('replay', [signature, expiresAtMs, maxEntries]),
      close: () => undefined,
    };
  }

  private call<T>(op: IpcOp, args: unknown[]): Promise<T> {
    if (this.state !== 'started')
      return Promise.reject(unavailable('the coordinator is not started (or already closed)'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(unavailable(`the primary process did not answer ${op} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      try {
        this.options.port.send(
          { openlive: ipcTag, t: 'req', id, op, args, advertise: this.options.advertise() },
          (err) => {
            if (!err || !this.pending.delete(id)) return;
            clearTimeout(timer);
            reject(unavailable('the primary process cannot be reached', err));
          },
        );
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(unavailable('the primary process cannot be reached', err));
      }
    });
  }

  private receive(raw: unknown): void {
    if (!isCoordinatorMessage(raw)) return;
    const message = raw as PrimaryMessage;
    if (message.t === 'res') {
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      clearTimeout(p.timer);
      if (message.error) p.reject(new LiveError(message.error.code as ErrorCode, message.error.message));
      else p.resolve(message.value);
    } else if (message.t === 'cmd') {
      deliver(this.commandListeners, [message.command], this.options.onListenerError ?? (() => undefined));
      try {
        this.options.port.send({ openlive: ipcTag, t: 'ack', id: message.id }, ignore);
      } catch {
        // The primary is gone; node:cluster ends this worker.
      }
    }
  }
}

/** A send whose failure is handled elsewhere (the channel's close, the call's timeout). */
function ignore(): void {}

function unavailable(message: string, cause?: unknown): LiveError {
  return new LiveError('COORDINATOR_UNAVAILABLE', message, cause === undefined ? undefined : { cause });
}
