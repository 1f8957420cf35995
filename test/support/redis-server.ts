/**
 * A real redis-server for tests: on a free loopback port, in a temporary folder, without persistence
 * (`--save ''`, no AOF), stopped (and its folder removed) by `stop()`. `restart()` brings it back on the
 * same port with empty memory, as after a crash; `pause()`/`resume()` freeze it (SIGSTOP) to play a
 * server that accepts nothing and answers nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

/** Where Debian puts it (scripts/test.sh installs the package when missing). */
const binary = process.env.OPENLIVE_REDIS_SERVER ?? 'redis-server';

/** A running redis-server. */
export interface TestRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Everything it printed. */
  output(): string;
  /** Kills it (SIGKILL) and starts a new one on the same port, memory empty. */
  restart(): Promise<void>;
  /** Kills it without restarting (`restart()` brings it back). */
  kill(): Promise<void>;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/** Starts redis-server and resolves once it answers PING. */
export async function startRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'openlive-redis-'));
  let port = await freePort();
  let child: ChildProcess | undefined;
  let out = '';
  const launch = async (): Promise<void> => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
    ];
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForPing(port, 10_000), exited]);
  };
  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGCONT');
    proc.kill('SIGKILL');
    await gone;
  };
  try {
    await launch();
  } catch {
    // The free port may have been taken between the probe and the launch: one more try on another.
    await kill();
    port = await freePort();
    await launch();
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    output: () => out,
    restart: async () => {
      await kill();
      await launch();
    },
    kill,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends PING until +PONG comes back. */
async function waitForPing(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let data = '';
      socket.setTimeout(500, () => socket.destroy());
      socket.on('connect', () => socket.write('PING\r\n'));
      socket.on('data', (d) => {
        data += d.toString();
        if (data.includes('\r\n')) {
          socket.destroy();
          resolve(data.startsWith('+PONG'));
        }
      });
      socket.on('error', () => resolve(false));
      socket.on('close', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
