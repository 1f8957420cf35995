/**
 * The primary process of `--workers N` (docs/cluster.md "Worker processes"): it prepares the store once
 * (migrations, default domains, the first API key) so N workers never race on them, forks the workers with
 * node:cluster (they share the RTMP, HTTP and admin ports; the primary hands out connections round-robin),
 * coordinates them over IPC when there is no `cluster.redis`, prints the banner once, restarts a worker that
 * dies (bounded, logged) and drains them all on SIGTERM/SIGINT. It serves no client itself.
 */
import cluster, { type Worker } from 'node:cluster';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/config-schema.ts';
import type { Log } from '../log.ts';
import { loadDataKey } from './data-key-file.ts';
import { createStore, isPostgresUrl } from '../store/create-store.ts';
import { bootstrap, type Bootstrapped } from '../control/bootstrap.ts';
import { PublishRecords } from '../control/publish-records.ts';
import { Credentials, type NewCredential } from '../control/credentials.ts';
import { IpcCoordinatorHost } from '../cluster/ipc-coordinator-host.ts';
import { exitStatus } from './process-faults.ts';
import { routeForward } from './worker-forward.ts';
import { workerWebrtcPortProblem } from './worker-process.ts';
import { startBanner } from './banner.ts';
import { workerEnv, isWorkerMessage, type WorkerReport, type WorkerLoad } from './worker-messages.ts';

/** How many workers `workers` asks for: `auto` is one per core. */
export function workerCount(workers: Config['workers']): number {
  return workers === 'auto' ? availableParallelism() : workers;
}

/** A worker restarted more than this many times within `restartWindowMs` is not restarted again. */
export const maxRestarts = 5;
export const restartWindowMs = 60_000;
/** Delay before a restart, so a worker that dies at once does not spin. */
const restartDelayMs = 500;

/** What the primary did once the store was prepared: the banner's defaults and the first start's key pair. */
interface Prepared {
  readonly defaults: Bootstrapped;
  readonly created: NewCredential | undefined;
  /** Publish records a previous run left open, ended before the workers start (SQLite). */
  readonly recovered: number;
}

/** Runs migrations, the default domains and the first API key once, before any worker starts. */
async function prepareStore(config: Config): Promise<Prepared> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const dataKey = loadDataKey(config.dataDir);
  const store = createStore(config, { dataKey });
  try {
    await store.ready?.();
    const defaults = await bootstrap({
      store,
      now: Date.now,
      pushDomain: config.domains.defaultPushDomain,
      playDomain: config.domains.defaultPlayDomain,
      cnameSuffix: config.domains.cnameSuffix,
    });
    const created = await new Credentials({ store, dataKey, now: Date.now }).ensureInitial();
    // One SQLite file is this machine's alone: what a previous run left open ends here, once, before any
    // worker starts (a worker then ends only its own rows, e.g. after a restart beside live siblings).
    // PostgreSQL rows may belong to other machines: each worker ends its own.
    const recovered = isPostgresUrl(config.store.url)
      ? 0
      : await new PublishRecords({ store, now: Date.now }).recoverOpen();
    return { defaults, created, recovered };
  } finally {
    await store.close();
  }
}

/** One worker slot: its index stays the same across restarts, so its node id (and its records) do too. */
interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  ready: WorkerReport | undefined;
  load: WorkerLoad | undefined;
  restarts: number[];
  forked: boolean;
}

/** Runs the primary until its workers are drained; resolves with the exit status. */
export async function runPrimary(config: Config, log: Log, exit: (status: number) => void): Promise<void> {
  const count = workerCount(config.workers);
  const portProblem = workerWebrtcPortProblem(config, count);
  if (portProblem) throw new Error(portProblem);
  const prepared = await prepareStore(config);
  if (prepared.recovered > 0)
    log.warn({ recovered: prepared.recovered }, 'ended publish records a previous run left open');
  const host =
    config.cluster.redis === ''
      ? new IpcCoordinatorHost({
          leaseMs: config.cluster.leaseMs,
          onError: (err) => log.warn({ err }, 'worker coordinator channel'),
        })
      : undefined;
  // Relays between workers authenticate like any edge; an empty relay.secret gets a random one for this run.
  const relay = config.relay as Record<string, unknown>;
  const relaySecret = relay.secret === '' ? randomBytes(24).toString('hex') : undefined;
  const slots: Slot[] = Array.from({ length: count }, (_, index) => ({
    index: index + 1,
    worker: undefined,
    ready: undefined,
    load: undefined,
    restarts: [],
    forked: false,
  }));
  let stopping = false;
  let bannerShown = false;
  let exitCode = 0;
  const finish = (status: number): void => {
    log.flush();
    exit(status);
  };

  const fork = (slot: Slot): void => {
    // SQLite's callback queue and open pushes have no node id: one worker (1, first start) recovers them.
    const recover = isPostgresUrl(config.store.url) || (slot.index === 1 && !slot.forked);
    slot.forked = true;
    const worker = cluster.fork(workerEnv(slot.index, count, relaySecret, recover));
    slot.worker = worker;
    slot.ready = undefined;
    host?.attach(worker);
    // node:cluster re-sends a connection the worker NACKed; if the client closed it meanwhile the send fails
    // (write EINVAL) as this 'error' event: that one connection is lost, not the primary (no listener = a throw).
    worker.on('error', (err) => log.warn({ worker: slot.index, err }, 'handing a connection to a worker failed'));
    worker.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) return;
      if (message.t === 'ready') {
        slot.ready = message;
        log.info(
          { worker: slot.index, nodeId: message.nodeId, pid: worker.process.pid, advertise: message.advertise },
          'worker ready',
        );
        if (!bannerShown && slots.every((s) => s.ready)) {
          bannerShown = true;
          const api = { port: message.apiPort, created: prepared.created };
          process.stdout.write(
            startBanner(config, prepared.defaults, message.rtmpPort, message.httpPort, Date.now(), api),
          );
          process.stdout.write(
            `${count} worker processes: ${slots.map((s) => `${s.ready?.nodeId} (pid ${s.worker?.process.pid})`).join(', ')}\n`,
          );
        }
      } else if (message.t === 'forward' || message.t === 'forwarded') {
        routeForward(message, (index, m) => {
          const to = slots[index - 1]?.worker;
          if (!to?.isConnected()) return false;
          to.send(m, () => undefined);
          return true;
        });
      } else if (message.t === 'load') {
        const before = slot.load;
        slot.load = message;
        if ((before?.players ?? 0) !== message.players || (before?.publishers ?? 0) !== message.publishers) {
          log.info(
            {
              workers: slots.map((s) => ({
                worker: s.index,
                nodeId: s.ready?.nodeId,
                publishers: s.load?.publishers ?? 0,
                players: s.load?.players ?? 0,
              })),
            },
            'worker load',
          );
        }
      }
    });
    worker.on('exit', (code, signal) => {
      slot.worker = undefined;
      slot.load = undefined;
      if (stopping) {
        if (code !== 0 && code !== null) exitCode ||= code;
        if (slots.every((s) => s.worker === undefined)) finish(exitCode);
        return;
      }
      if (!bannerShown) {
        // A worker that cannot start (Redis unreachable, a port taken) stops the whole start, as one process would.
        log.error({ worker: slot.index, code, signal }, 'a worker failed to start: stopping');
        exitCode = code || exitStatus.failed;
        stopAll('SIGTERM');
        return;
      }
      const now = Date.now();
      slot.restarts = slot.restarts.filter((t) => now - t < restartWindowMs);
      if (slot.restarts.length >= maxRestarts) {
        log.error(
          { worker: slot.index, code, signal, restarts: slot.restarts.length, windowMs: restartWindowMs },
          'a worker keeps dying: not restarting it',
        );
        if (slots.every((s) => s.worker === undefined)) finish(exitStatus.failed);
        return;
      }
      slot.restarts.push(now);
      log.error({ worker: slot.index, code, signal, restart: slot.restarts.length }, 'a worker died: restarting it');
      setTimeout(() => !stopping && fork(slot), restartDelayMs);
    });
  };

  const stopAll = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second signal: the workers exit at once (a second signal to a draining worker does that).
      for (const s of slots) s.worker?.process.kill(signal);
      return;
    }
    stopping = true;
    const alive = slots.filter((s) => s.worker);
    if (alive.length === 0) return finish(exitCode);
    for (const s of alive) {
      // A worker still starting has no drain to run yet: its signal's default action ends it.
      if (!s.ready) s.worker!.process.kill('SIGTERM');
      else s.worker!.send({ openlive: 'worker', t: 'shutdown', signal }, () => undefined);
    }
    // Each worker bounds its own drain by limits.shutdownTimeoutMs; this catches one that hangs anyway.
    if (config.limits.shutdownTimeoutMs > 0) {
      setTimeout(() => {
        log.error('workers did not exit after their drain deadline: killing them');
        for (const s of slots) s.worker?.process.kill('SIGKILL');
        finish(exitStatus.drainTimeout);
      }, config.limits.shutdownTimeoutMs + 5000).unref();
    }
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      log.info(
        { signal, workers: count },
        stopping ? 'second signal: workers exit at once' : 'shutting down: draining the workers',
      );
      stopAll(signal);
    });
  }
  log.info({ workers: count, coordinator: host ? 'primary (IPC)' : 'redis' }, 'starting worker processes');
  for (const slot of slots) fork(slot);
}
