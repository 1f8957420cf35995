/**
 * A real openlive process (`node src/main.ts`) on free loopback ports with a fresh data dir, for the attack
 * suite and crash tests: what a hostile client reaches is the whole process, its event loop and its heap.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { waitFor } from './wait.ts';

const main = new URL('../../src/main.ts', import.meta.url).pathname;

/** A running server process and what its banner said. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly dataDir: string;
  readonly rtmpPort: number;
  readonly httpPort: number;
  readonly apiPort: number;
  /** The banner's signed push URL for live/demo. */
  readonly pushUrl: string;
  /** The first start's API key pair (undefined when the data dir already had one). */
  readonly secretId: string | undefined;
  readonly secretKey: string | undefined;
  /** With `workers`: each worker's node id and the pid it had at start (from the banner). */
  workerPids(): Record<string, number>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** The process's resident set size in bytes, from /proc. */
  rss(): number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
}

/** Starts the server with extra flags (`--rtmp.maxConnectionsPerIp`, '3', ...); the data dir is removed on stop unless given. */
export async function startServerProcess(
  flags: readonly string[] = [],
  options: {
    dataDir?: string;
    nodeArgs?: readonly string[];
    /** `--workers N`: waits for all N, pids in workerPids(). */ workers?: number;
    /** The entry point to run instead of src/main.ts (the built build/main.js). */ entry?: string;
  } = {},
): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'openlive-proc-'));
  const args = [
    ...(options.nodeArgs ?? []),
    options.entry ?? main,
    '--data-dir',
    dataDir,
    '--rtmp.host',
    '127.0.0.1',
    '--rtmp.port',
    '0',
    '--http.host',
    '127.0.0.1',
    '--http.port',
    '0',
    '--api.host',
    '127.0.0.1',
    '--api.port',
    '0',
    // The single WebRTC UDP port (default 8189) on a free port, so parallel servers do not collide.
    '--webrtc.port',
    '0',
    '--log.level',
    'warn',
    ...(options.workers !== undefined ? ['--workers', String(options.workers)] : []),
    ...flags,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  await waitFor('the banner', () => /Health http:\/\//.test(out) || child.exitCode !== null, 30_000);
  if (options.workers !== undefined && options.workers > 1) {
    await waitFor('the workers line', () => / worker processes: /.test(out) || child.exitCode !== null, 30_000);
  }
  if (child.exitCode !== null) throw new Error(`openlive exited with ${child.exitCode}:\n${out}`);
  const ports = /RTMP :(\d+), HTTP :(\d+)(?:, API :(\d+))?/.exec(out);
  const pushUrl = /(rtmp:\/\/\S+\/live\/demo\?txSecret=\S+)/.exec(out)?.[1];
  if (!ports || !pushUrl) throw new Error(`no ports or push URL in the banner:\n${out}`);
  const exited = once(child, 'exit') as Promise<[number | null]>;
  return {
    child,
    dataDir,
    rtmpPort: Number(ports[1]),
    httpPort: Number(ports[2]),
    apiPort: Number(ports[3] ?? 0),
    pushUrl,
    secretId: /^\s*SecretId:?\s+(AKID\S+)$/m.exec(out)?.[1],
    // Anchored: the banner line before the key pair also says "The SecretKey is shown only now".
    secretKey: /^\s*SecretKey:?\s+(\S+)$/m.exec(out)?.[1],
    output: () => out,
    workerPids: () =>
      Object.fromEntries(
        [...(/ worker processes: (.*)/.exec(out)?.[1] ?? '').matchAll(/(\S+) \(pid (\d+)\)/g)].map((m) => [
          m[1]!,
          Number(m[2]),
        ]),
      ),
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024,
    async stop(graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}
