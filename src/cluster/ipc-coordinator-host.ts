/**
 * The primary process's side of the IPC Coordinator: one MemoryCluster (memory-coordinator.ts) holds every
 * worker's claims, registry entries, counters and replay cache, and each attached worker channel is one
 * MemoryCoordinator node on it. A worker whose channel closes (it died, even by kill -9) is abandoned: its
 * claims hold for one lease more, then any worker may take the stream, as with a dead Redis node.
 * Broadcasts go to every attached worker and are answered once each has delivered them (or gone).
 */
import { LiveError } from '../errors.ts';
import type { StreamCommand, StreamCommandInput } from './coordinator.ts';
import { ipcTag, isCoordinatorMessage, type WorkerMessage } from './ipc-protocol.ts';
import { MemoryCluster, MemoryCoordinator } from './memory-coordinator.ts';

/** A worker's channel as the primary holds it (a node:cluster Worker, or a forked ChildProcess in tests). */
export interface IpcChannel {
  send(message: unknown, callback: (err: Error | null) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect' | 'exit', listener: () => void): unknown;
}

/** How the host is built. */
export interface IpcCoordinatorHostOptions {
  readonly leaseMs: number;
  /** The shared state (tests inject one on a fake clock); default a new one on Date.now. */
  readonly cluster?: MemoryCluster;
  /** How long a broadcast waits for a worker's acknowledgement before answering without it. */
  readonly ackTimeoutMs?: number;
  readonly onError?: (err: unknown) => void;
}

interface Attached {
  readonly channel: IpcChannel;
  node: MemoryCoordinator | undefined;
  advertise: string;
  gone: boolean;
  readonly acks: Map<number, () => void>;
}

/** Serves the Coordinator calls of every worker from one in-process state. */
export class IpcCoordinatorHost {
  private readonly cluster: MemoryCluster;
  private readonly options: IpcCoordinatorHostOptions;
  private readonly workers = new Set<Attached>();
  private nextCommandId = 1;

  constructor(options: IpcCoordinatorHostOptions) {
    this.options = options;
    this.cluster = options.cluster ?? new MemoryCluster();
  }

  /** Serves `channel` until it closes; returns the detach (as if the worker died). */
  attach(channel: IpcChannel): () => void {
    const w: Attached = { channel, node: undefined, advertise: '', gone: false, acks: new Map() };
    this.workers.add(w);
    const detach = (): void => {
      if (w.gone) return;
      w.gone = true;
      this.workers.delete(w);
      // As kill -9 leaves it: no release; the claims run out a lease from now.
      void w.node?.abandon();
      for (const ack of w.acks.values()) ack();
      w.acks.clear();
    };
    channel.on('message', (message) => {
      if (!isCoordinatorMessage(message) || w.gone) return;
      this.receive(w, message as WorkerMessage).catch((err: unknown) => this.options.onError?.(err));
    });
    channel.on('disconnect', detach);
    channel.on('exit', detach);
    return detach;
  }

  private async receive(w: Attached, message: WorkerMessage): Promise<void> {
    if ('advertise' in message) w.advertise = message.advertise;
    if (message.t === 'hello') {
      if (w.node) return;
      w.node = new MemoryCoordinator({
        cluster: this.cluster,
        nodeId: message.nodeId,
        advertise: () => w.advertise,
        leaseMs: this.options.leaseMs,
      });
      await w.node.start();
      return;
    }
    if (message.t === 'ack') {
      w.acks.get(message.id)?.();
      w.acks.delete(message.id);
      return;
    }
    let reply: { value?: unknown; error?: { code: string; message: string } };
    try {
      reply = { value: await this.serve(w, message.op, message.args) };
    } catch (err) {
      const code = err instanceof LiveError ? err.code : 'COORDINATOR_UNAVAILABLE';
      reply = { error: { code, message: err instanceof Error ? err.message : String(err) } };
    }
    this.send(w, { openlive: ipcTag, t: 'res', id: message.id, ...reply });
  }

  private async serve(w: Attached, op: string, args: unknown[]): Promise<unknown> {
    const node = w.node;
    if (!node) throw new LiveError('COORDINATOR_UNAVAILABLE', 'this worker has not said hello');
    const a = args as [never, never, never];
    switch (op) {
      case 'claim':
        return node.claim(a[0], a[1]);
      case 'release':
        return node.release(a[0]);
      case 'holder':
        return (await node.holder(a[0])) ?? null;
      case 'holders':
        return [...(await node.holders())];
      case 'nodes':
        return node.nodes();
      case 'broadcast':
        if (!this.cluster.members.has(node))
          throw new LiveError('COORDINATOR_UNAVAILABLE', 'the coordinator is closed');
        return this.broadcast({ ...(a[0] as unknown as StreamCommandInput), from: node.nodeId } as StreamCommand);
      case 'increment':
        return node.counters.increment(a[0], a[1], a[2]);
      case 'count':
        return node.counters.count(a[0]);
      case 'replay':
        return node.replayCache(a[2]).claim(a[0], a[1]);
      case 'close':
        return node.close();
      default:
        throw new LiveError('COORDINATOR_UNAVAILABLE', `unknown coordinator operation ${op}`);
    }
  }

  /** Sends `command` to every worker that said hello and waits for each one's delivery (bounded). */
  private async broadcast(command: StreamCommand): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const w of this.workers) {
      if (!w.node || !this.cluster.members.has(w.node)) continue;
      const id = this.nextCommandId++;
      waits.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => done(), this.options.ackTimeoutMs ?? 2000);
          const done = (): void => {
            clearTimeout(timer);
            w.acks.delete(id);
            resolve();
          };
          w.acks.set(id, done);
          if (!this.send(w, { openlive: ipcTag, t: 'cmd', id, command })) done();
        }),
      );
    }
    await Promise.all(waits);
  }

  private send(w: Attached, message: unknown): boolean {
    if (w.gone) return false;
    try {
      // With a callback a closed channel reports to it instead of an 'error' event nobody listens to.
      w.channel.send(message, (err) => err && this.options.onError?.(err));
      return true;
    } catch (err) {
      // The channel closed under us: its 'disconnect' detaches the worker.
      this.options.onError?.(err);
      return false;
    }
  }
}
