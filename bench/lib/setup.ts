// Installs what the benchmark needs when it is missing (bench's own npm deps, Debian's nginx + rtmp module,
// ffmpeg) and generates the test stream once into bench/.cache/.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

/** bench/ as a path. */
export const benchDir = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
/** The repository root (where src/main.ts lives). */
export const repoDir = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
/** Where Debian's libnginx-mod-rtmp puts the module. */
export const nginxRtmpModule = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Installs the missing tools for the servers asked for; runs as root on Debian (apt-get). */
export function ensureTools(servers: readonly string[]): void {
  if (servers.includes('nms') && !existsSync(`${benchDir}/node_modules/node-media-server/package.json`)) {
    console.log('installing bench dependencies (npm install --prefix bench)');
    execFileSync('npm', ['install', '--prefix', benchDir, '--no-audit', '--no-fund'], { stdio: 'inherit' });
  }
  const missing: string[] = [];
  if (!has('ffmpeg') || !has('ffprobe')) missing.push('ffmpeg');
  if (servers.includes('nginx') && (!has('nginx') || !existsSync(nginxRtmpModule))) {
    missing.push('nginx', 'libnginx-mod-rtmp');
  }
  if (missing.length > 0) {
    console.log(`installing ${missing.join(' ')} (apt-get)`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', ...missing], { stdio: 'inherit', env });
  }
}

/** The generated test stream and its measured bitrate. */
export interface Media {
  path: string;
  kbps: number;
}

/**
 * A 60 s 720p30 H.264 (veryfast, 2400k, keyframe every 60 frames) + AAC 128k FLV. The test pattern gets
 * temporal noise so x264 really spends the bitrate instead of coding a static picture almost for free.
 */
export function ensureMedia(): Media {
  const dir = `${benchDir}/.cache`;
  const path = `${dir}/source-720p30.flv`;
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    console.log(`generating ${path} (about 20 s)`);
    const tmp = `${dir}/tmp-${process.pid}.flv`;
    execFileSync(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t+u',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:sample_rate=48000',
        '-t',
        '60',
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-b:v',
        '2400k',
        '-maxrate',
        '2400k',
        '-bufsize',
        '2400k',
        '-g',
        '60',
        '-keyint_min',
        '60',
        '-sc_threshold',
        '0',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-b:a',
        '128k',
        '-ac',
        '2',
        '-f',
        'flv',
        tmp,
      ],
      { stdio: 'inherit' },
    );
    renameSync(tmp, path);
  }
  const probe = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=bit_rate', '-of', 'csv=p=0', path], {
    encoding: 'utf8',
  });
  return { path, kbps: Math.round(Number(probe.trim()) / 1000) };
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 0));
    });
  });
}

/** Resolves once something accepts TCP connections on the port, or rejects after timeoutMs. */
export async function waitForPort(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!alive()) throw new Error('the server exited');
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
}

/** Waits ms milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
