/**
 * The soak's moving parts against a real server process, shared by test/attack/soak.test.ts (short, in
 * CI) and bench/soak.ts (long): scripted publish/unpublish cycles, players that connect, play and never
 * read, a feeder that keeps media flowing to them, and the process's live memory and handles.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import { mediaMessage, type MediaMessage } from '../../src/protocol/media.ts';
import { fixtureMedia } from './media-feed.ts';
import { metricValue, withoutNodeLabel } from './metrics.ts';
import { ScriptedRtmp } from './scripted-rtmp.ts';
import type { ServerProcess } from './server-process.ts';

const main = new URL('../../src/main.ts', import.meta.url).pathname;

/** A signed push URL for `stream` on the server, from the CLI over its data dir. */
export function signedPushUrl(server: ServerProcess, stream: string): string {
  const out = execFileSync(
    process.execPath,
    [main, 'url', '--data-dir', server.dataDir, '--stream', stream, '--json'],
    { encoding: 'utf8' },
  );
  return `rtmp://127.0.0.1:${server.rtmpPort}/live/${(JSON.parse(out) as { push: { obsStreamKey: string } }).push.obsStreamKey}`;
}

const media = fixtureMedia();
const headers = media.filter((m) => m.type === 18 || m.sequenceHeader);
const frames = media.filter((m) => !(m.type === 18 || m.sequenceHeader) && !(m.type === 9 && m.payload[1] === 2));

/** One publish: connect, publish, Publish.Start, the headers and `tags` frames, unpublish by closing. */
export async function publishCycle(url: string, tags = 8): Promise<void> {
  const c = await ScriptedRtmp.open(url);
  try {
    const id = await c.createStream();
    c.publish(id, c.url.stream);
    await c.status(id, 'NetStream.Publish.Start', { orError: true }).then((s) => {
      if (s.code !== 'NetStream.Publish.Start') throw new Error(`publish refused: ${s.code} ${s.description}`);
    });
    for (const m of headers) c.sendMedia(id, m);
    for (let i = 0; i < tags; i++) c.sendMedia(id, frames[i % frames.length]!);
  } finally {
    await c.end();
  }
}

/** Runs `cycles` publish cycles over `urls` (one sequential worker per URL: one publisher per stream). */
export async function publishCycles(
  urls: readonly string[],
  cycles: number,
  onCycle?: (done: number) => void,
): Promise<{ done: number; failed: string[] }> {
  let next = 0;
  let done = 0;
  const failed: string[] = [];
  await Promise.all(
    urls.map(async (url) => {
      while (next < cycles) {
        next++;
        try {
          await publishCycle(url);
        } catch (err) {
          failed.push((err as Error).message);
        }
        done++;
        onCycle?.(done);
      }
    }),
  );
  return { done, failed };
}

/** A player that connected, started playing and never reads again (so it never sees the server close it either). */
export interface StalledPlayer {
  destroy(): void;
}

/** An RTMP player: play, Play.Start, then the socket is paused for good. */
export async function stalledRtmpPlayer(server: ServerProcess, stream: string): Promise<StalledPlayer> {
  const c = await ScriptedRtmp.open(`rtmp://127.0.0.1:${server.rtmpPort}/live`);
  const id = await c.createStream();
  c.play(id, stream);
  await c.status(id, 'NetStream.Play.Start');
  c.socket.pause();
  return { destroy: () => c.socket.destroy() };
}

/** An HTTP-FLV player: GET, 200, then the response is paused for good. */
export async function stalledFlvPlayer(server: ServerProcess, stream: string): Promise<StalledPlayer> {
  const req: ClientRequest = get(`http://127.0.0.1:${server.httpPort}/live/${stream}.flv`, { agent: false });
  req.on('error', () => {});
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  if (res.statusCode !== 200) throw new Error(`GET ${stream}.flv: HTTP ${res.statusCode}`);
  res.pause();
  return { destroy: () => req.destroy() };
}

/** A publisher that sends the fixture's frames as fast as the socket takes them, with advancing timestamps. */
export class Feeder {
  private c: ScriptedRtmp | undefined;
  private id = 0;
  private running = false;
  private ts = 0;
  private loop: Promise<void> = Promise.resolve();
  /** Bytes of media sent. */
  sent = 0;

  /** Publishes to `url` and starts sending. */
  async start(url: string): Promise<void> {
    const c = (this.c = await ScriptedRtmp.open(url));
    this.id = await c.createStream();
    c.publish(this.id, c.url.stream);
    await c.status(this.id, 'NetStream.Publish.Start');
    for (const m of headers) c.sendMedia(this.id, m);
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const c = this.c!;
    while (this.running && !c.destroyed) {
      for (const f of frames) {
        this.ts += 40;
        const msg: MediaMessage = mediaMessage(f.type, this.ts, f.payload);
        this.sent += f.payload.length;
        if (!c.sendMedia(this.id, msg)) await Promise.race([once(c.socket, 'drain'), c.closed]);
      }
      // Media time runs ahead of the clock, but a little yield keeps the test's own event loop responsive.
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Stops sending and unpublishes. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.c?.end();
  }
}

/** What the process holds, measured after a full GC (the server runs with `--expose-gc` and the gc hook). */
export interface ProcessFigures {
  readonly heapUsed: number;
  readonly external: number;
  readonly rss: number;
  readonly sockets: number;
  readonly handles: number;
  readonly budgetUsed: number;
}

/** Sends SIGUSR2 (the gc hook), then reads heap, external memory, RSS and live handles from /metrics. */
export async function measure(server: ServerProcess): Promise<ProcessFigures> {
  const http = `http://127.0.0.1:${server.httpPort}`;
  server.child.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 300));
  const text = withoutNodeLabel(await (await fetch(`${http}/metrics`)).text());
  const value = (name: string, labels = ''): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  let handles = 0;
  for (const l of text.split('\n'))
    if (l.startsWith('openlive_process_active_resources{')) handles += Number(l.slice(l.lastIndexOf(' ') + 1));
  let budgetUsed = 0;
  for (const l of text.split('\n'))
    if (l.startsWith('openlive_memory_used_bytes{')) budgetUsed += Number(l.slice(l.lastIndexOf(' ') + 1));
  return {
    heapUsed: value('openlive_nodejs_heap_size_used_bytes'),
    external: value('openlive_nodejs_external_memory_bytes'),
    rss: server.rss(),
    sockets: value('openlive_process_active_resources', '{type="TCPSocketWrap"}'),
    handles,
    budgetUsed,
  };
}

/** Resolves once the server holds no connections, players, streams or budgeted bytes. */
export async function serverIdle(server: ServerProcess): Promise<boolean> {
  const http = `http://127.0.0.1:${server.httpPort}`;
  for (const name of [
    'openlive_rtmp_connections',
    'openlive_http_flv_players',
    'openlive_subscribers',
    'openlive_streams',
  ]) {
    if ((await metricValue(http, name)) !== 0) return false;
  }
  return true;
}

/** Milliseconds /healthz takes to answer. */
export async function healthMs(server: ServerProcess): Promise<number> {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${server.httpPort}/healthz`);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`/healthz: HTTP ${res.status}`);
  return performance.now() - started;
}

/** Formats bytes as MiB for the figures. */
export const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
