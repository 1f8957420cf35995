// Starts the three servers under test on their own ports, each in the foreground as a child process:
// openlive (src/main.ts), node-media-server 4 (bench/lib/nms-main.ts), nginx with Debian's rtmp module and SRS
// (built by ../shared/tools/build-srs.sh; bench/lib/srs-conf.ts writes its config).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { openSync, writeFileSync, closeSync, readFileSync } from 'node:fs';
import { childrenOf, processTree } from './proc-stats.ts';
import { srsBinary, srsConf, srsWorkDir, SRS_DEFAULT_MW_LATENCY_MS } from './srs-conf.ts';
import { benchDir, freePort, nginxRtmpModule, repoDir, sleep, waitForPort } from './setup.ts';

const STREAM = 'bench';

/** Which server, and for openlive and SRS the merge window to pass (undefined = its default). */
export interface ServerSpec {
  kind: 'openlive' | 'nms' | 'nginx' | 'srs';
  label: string;
  /** openlive: `fanout.mergeWindowMs`; SRS: `mw_latency` (SRS's 0 = no merge). */
  mergeWindowMs?: number;
  /** SRS only: its `mw_msgs` (srs-conf.ts); undefined = SRS's default (8). */
  srsMwMsgs?: number;
  /** openlive only: write a V8 CPU profile (node --cpu-prof) into this folder when it stops. */
  cpuProfDir?: string;
  /** openlive only: extra node options (e.g. `--import ./patch.ts` to try a change without editing src/). */
  nodeArgs?: string[];
  /** openlive only: extra configuration flags after src/main.ts (e.g. `--workers 2`). */
  args?: string[];
  /** openlive only: the script to run instead of src/main.ts (e.g. `build/main.js`, the production build). */
  entry?: string;
}

/** A started server. */
export interface RunningServer {
  spec: ServerSpec;
  /** Where ffmpeg publishes (signed when the server asks for it). */
  publishUrl: string;
  /** The RTMP play URL of the stream. */
  rtmpUrl: string;
  /** The RTMPS play URL of the stream (openlive only: its own self-signed certificate); throws for the peers. */
  rtmpsUrl(): string;
  /** The HTTP-FLV play URL of the stream, or null when the server has none (nginx-rtmp). */
  flvUrl: string | null;
  /** The processes whose CPU and memory count as the server's (nginx: its one worker). */
  measuredPids(): number[];
  /** The last lines of its log, for error messages. */
  logTail(): string;
  /** Stops it and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts a server in tmpDir (config, data, logs) and waits until its ports accept connections. */
export async function startServer(spec: ServerSpec, tmpDir: string): Promise<RunningServer> {
  const rtmpPort = await freePort();
  const httpPort = await freePort();
  const rtmpsPort = spec.kind === 'openlive' ? await freePort() : 0;
  const logPath = `${tmpDir}/server.log`;
  const log = openSync(logPath, 'a');
  const node = process.execPath;
  let child: ChildProcess;
  if (spec.kind === 'openlive') {
    const prof = spec.cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', spec.cpuProfDir];
    const args = [
      ...prof,
      ...(spec.nodeArgs ?? []),
      spec.entry ?? 'src/main.ts',
      '--rtmp.port',
      String(rtmpPort),
      '--http.port',
      String(httpPort),
      '--api.port',
      '0',
    ];
    args.push('--data-dir', `${tmpDir}/data`, '--log.level', 'warn');
    // RTMPS beside RTMP for the rtmps rows (an idle listener costs the other rows nothing).
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-keyout',
        `${tmpDir}/key.pem`,
        '-out',
        `${tmpDir}/cert.pem`,
      ],
      { stdio: 'ignore' },
    );
    args.push('--tls.cert', `${tmpDir}/cert.pem`, '--tls.key', `${tmpDir}/key.pem`);
    args.push('--rtmps.enabled', 'true', '--rtmps.host', '127.0.0.1', '--rtmps.port', String(rtmpsPort));
    // Every bench player connects from 127.0.0.1: exempt loopback from the per-address connection caps.
    args.push('--limits.trustedNetworks', '127.0.0.0/8');
    if (spec.mergeWindowMs !== undefined) args.push('--fanout.mergeWindowMs', String(spec.mergeWindowMs));
    args.push(...(spec.args ?? []));
    const env = { ...process.env, PATH: `${repoDir}/node_modules/.bin:${process.env.PATH ?? ''}` };
    child = spawn(node, args, { cwd: repoDir, env, stdio: ['ignore', log, log] });
  } else if (spec.kind === 'nms') {
    const args = [`${benchDir}/lib/nms-main.ts`, '--rtmp-port', String(rtmpPort), '--http-port', String(httpPort)];
    args.push('--data-dir', `${tmpDir}/data`);
    child = spawn(node, args, { cwd: tmpDir, stdio: ['ignore', log, log] });
  } else if (spec.kind === 'srs') {
    const mwLatencyMs = spec.mergeWindowMs ?? SRS_DEFAULT_MW_LATENCY_MS;
    writeFileSync(
      `${tmpDir}/srs.conf`,
      srsConf({ rtmpPort, httpPort, mwLatencyMs, mwMsgs: spec.srsMwMsgs, dir: tmpDir }),
    );
    const bin = srsBinary();
    child = spawn(bin, ['-c', `${tmpDir}/srs.conf`], { cwd: srsWorkDir(bin), stdio: ['ignore', log, log] });
  } else {
    writeFileSync(`${tmpDir}/nginx.conf`, nginxConf(tmpDir, rtmpPort));
    const args = ['-p', tmpDir, '-c', `${tmpDir}/nginx.conf`, '-e', `${tmpDir}/error.log`];
    child = spawn('nginx', args, { cwd: tmpDir, stdio: ['ignore', log, log] });
  }
  closeSync(log);
  let exited = false;
  const exitedP = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const pid = child.pid ?? -1;
  const tail = (): string => readFileSync(logPath, 'utf8').split('\n').slice(-15).join('\n');
  const server: RunningServer = {
    spec,
    publishUrl: `rtmp://127.0.0.1:${rtmpPort}/live/${STREAM}`,
    rtmpUrl: `rtmp://127.0.0.1:${rtmpPort}/live/${STREAM}`,
    rtmpsUrl() {
      if (rtmpsPort === 0) throw new Error(`${spec.label} is measured without RTMPS`);
      return this.rtmpUrl.replace(`rtmp://127.0.0.1:${rtmpPort}/`, `rtmps://127.0.0.1:${rtmpsPort}/`);
    },
    flvUrl: spec.kind === 'nginx' ? null : `http://127.0.0.1:${httpPort}/live/${STREAM}.flv`,
    measuredPids: () => (spec.kind === 'nginx' ? childrenOf(pid) : processTree(pid)),
    logTail: tail,
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      await Promise.race([exitedP, sleep(3000)]);
      if (!exited) child.kill('SIGKILL');
      await exitedP;
      // nginx's worker leaves on its own when the master goes; give it a moment to free the port.
      await sleep(200);
    },
  };
  try {
    await waitForPort(rtmpPort, 20_000, () => !exited);
    if (spec.kind !== 'nginx') await waitForPort(httpPort, 20_000, () => !exited);
    if (spec.kind === 'openlive') await useBannerPushUrl(server, logPath);
  } catch (err) {
    await server.stop();
    throw new Error(`${spec.label} did not start: ${(err as Error).message}\n${tail()}`, { cause: err });
  }
  return server;
}

/**
 * openlive signs pushes from its first start on (txSecret/txTime, Tencent style) and prints a signed push URL
 * for the stream `demo` in its start banner: publish and play that stream.
 */
async function useBannerPushUrl(server: RunningServer, logPath: string): Promise<void> {
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    const text = readFileSync(logPath, 'utf8');
    const m = /(rtmp:\/\/\S+?\/live\/)(\w+)(\?txSecret=[0-9a-fA-F]+&txTime=[0-9a-fA-F]+)/.exec(text);
    if (m !== null) {
      const [, base, name, query] = m as unknown as [string, string, string, string];
      server.publishUrl = `${base}${name}${query}`;
      server.rtmpUrl = `${base}${name}`;
      server.flvUrl = server.flvUrl?.replace(`/live/${STREAM}.flv`, `/live/${name}.flv`) ?? null;
      return;
    }
    if (/^Health /m.test(text)) return; // a banner without a signed push URL: pushes are open
    await sleep(100);
  }
}

/** One worker, in the foreground, the rtmp module loaded, one live application (nginx-rtmp defaults). */
function nginxConf(dir: string, port: number): string {
  return `load_module ${nginxRtmpModule};
worker_processes 1;
worker_rlimit_nofile 16384;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
rtmp {
  server {
    listen 127.0.0.1:${port};
    chunk_size 4096;
    application live { live on; }
  }
}
`;
}
