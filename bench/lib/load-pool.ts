// Runs N players split over several load-generator processes (bench/load-players.ts) and talks to them over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { LoadReply, LoadRequest, PlayerReport, RtmpPlayerKind } from './load-protocol.ts';

const script = fileURLToPath(new URL('../load-players.ts', import.meta.url));

type Snapshot = Extract<LoadReply, { kind: 'snapshot' }>;
type Status = Extract<LoadReply, { kind: 'status' }>;

/** One load process and its pending questions. */
class LoadProcess {
  readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, (r: LoadReply) => void>();

  constructor(nice: number) {
    this.child = fork(script, [], { execPath: process.execPath, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    // --load-nice: the load generators yield the cores to the server, as if they ran on other machines.
    if (nice !== 0 && this.child.pid !== undefined) os.setPriority(this.child.pid, nice);
    this.child.on('message', (msg: LoadReply & { id: number }) => {
      this.waiting.get(msg.id)?.(msg);
      this.waiting.delete(msg.id);
    });
    this.child.on('exit', () => {
      for (const [, resolve] of this.waiting) resolve({ kind: 'report', players: [] });
      this.waiting.clear();
    });
  }

  ask(req: LoadRequest): Promise<LoadReply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || !this.child.connected) return resolve({ kind: 'report', players: [] });
      this.waiting.set(id, resolve);
      this.child.send({ id, ...req });
    });
  }
}

/** Counts summed over the processes. */
export interface PoolStatus {
  opened: number;
  firstKey: number;
  failed: number;
}

/** N players over ceil(N / perProcess) processes. */
export class LoadPool {
  private readonly procs: LoadProcess[] = [];

  /** Starts the processes and has them open their players at perSecond players/s in total. */
  constructor(
    url: string,
    count: number,
    perProcess: number,
    perSecond: number,
    stall: boolean,
    rtmpPlayer: RtmpPlayerKind,
    nice = 0,
  ) {
    const k = Math.max(1, Math.ceil(count / perProcess));
    for (let i = 0; i < k; i++) {
      const mine = Math.floor(count / k) + (i < count % k ? 1 : 0);
      const p = new LoadProcess(nice);
      this.procs.push(p);
      void p.ask({ cmd: 'open', url, count: mine, perSecond: perSecond / k, stall, rtmpPlayer });
    }
  }

  /** The load processes' pids, to measure what the harness itself costs. */
  pids(): number[] {
    return this.procs.map((p) => p.child.pid ?? -1);
  }

  /** How many players are open, have had their first keyframe, or have failed. */
  async status(): Promise<PoolStatus> {
    const all = (await Promise.all(this.procs.map((p) => p.ask({ cmd: 'status' })))) as Status[];
    return {
      opened: all.reduce((s, r) => s + (r.opened ?? 0), 0),
      firstKey: all.reduce((s, r) => s + (r.firstKey ?? 0), 0),
      failed: all.reduce((s, r) => s + (r.failed ?? 0), 0),
    };
  }

  /** Byte counters of every player, per process (each with its own clock). */
  async snapshot(): Promise<Snapshot[]> {
    return (await Promise.all(this.procs.map((p) => p.ask({ cmd: 'snapshot' })))) as Snapshot[];
  }

  /** Join times and fates of every player. */
  async report(): Promise<PlayerReport[]> {
    const all = await Promise.all(this.procs.map((p) => p.ask({ cmd: 'report' })));
    return all.flatMap((r) => (r.kind === 'report' ? r.players : []));
  }

  /** Closes every player and ends the processes. */
  async close(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.ask({ cmd: 'close' })));
    await Promise.all(
      this.procs.map((p) =>
        p.child.exitCode !== null
          ? Promise.resolve()
          : new Promise<void>((resolve) => p.child.once('exit', () => resolve())),
      ),
    );
  }
}
