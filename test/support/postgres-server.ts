/**
 * A throwaway PostgreSQL for tests: initdb in a temporary folder, postgres on a free loopback port with
 * fsync off, run as an unprivileged user (PostgreSQL refuses to run as root; the helper creates the user
 * `openlive-test` when it is missing), stopped and removed by stop(). Binaries come from
 * /usr/lib/postgresql/<version>/bin (Debian's `postgresql` package; scripts/test.sh installs it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.ts';

/** A running test PostgreSQL. */
export interface PostgresServer {
  readonly port: number;
  /** A `postgres://` URL of a new empty database on it. */
  createDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
}

const testUser = 'openlive-test';

/** The bin folder of the newest installed PostgreSQL, or undefined when none is installed. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** The uid/gid to run as: ours when not root, else the test user (created when missing). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number =>
    Number(execFileSync('id', [flag, testUser], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['-r', '-M', '-s', '/usr/sbin/nologin', testUser], { stdio: 'ignore' });
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Starts a PostgreSQL; throws when none is installed (callers skip with postgresBin() first). */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin();
  if (!bin) throw new Error('no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'openlive-pg-'));
  chmodSync(dir, 0o700);
  const user = runAs();
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'], {
    ...asUser,
    cwd: dir,
    stdio: 'ignore',
  });
  const port = await freePort();
  const child: ChildProcess = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-h',
      '127.0.0.1',
      '-k',
      dir,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    { ...asUser, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: admin });
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      await client.end().catch(() => {});
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`postgres did not start: ${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  let n = 0;
  let stopping: Promise<void> | undefined;
  return {
    port,
    async createDatabase(name = `openlive_${process.pid}_${++n}`): Promise<string> {
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop(): Promise<void> {
      stopping ??= new Promise<void>((resolve) => {
        const done = (): void => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGINT'); // fast shutdown: disconnects clients, no checkpoint wait worth having here
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      });
      return stopping;
    },
  };
}
