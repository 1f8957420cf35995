// What recording costs, against real openlive processes (docs/performance.md "Recording"):
//   node bench/record.ts [--streams 20] [--seconds 20] [--formats mp4] [--slow-kbps 4000] [--players 2]
// 1. CPU beyond ingest: N publishers of the 720p ~2.5 Mbit/s bench stream (bench/lib/setup.ts), paced in real
//    time from this process, for --seconds with recording off, then again with a record rule on (--formats);
//    the server's CPU (% of one core) of each window and their difference are printed.
// 2. A throttled disk: a second server whose file writes are slowed to --slow-kbps in total (a preload that
//    wraps FileHandle.write: the slow writer is injected, nothing in src/ knows of it) records the same N
//    streams while --players HTTP-FLV players watch; its RSS is printed every 2 s, and at the end what each
//    player got (kbit/s, longest gap), how far the publishers fell behind real time, and RECORD_QUEUE_FULL.
import { parseArgs } from 'node:util';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { startServerProcess, type ServerProcess } from '../test/support/server-process.ts';
import { signedPushUrl } from '../test/support/soak.ts';
import { ScriptedRtmp } from '../test/support/scripted-rtmp.ts';
import { liveClient } from '../test/support/api-client.ts';
import { connectionErrors } from '../test/support/metrics.ts';
import { FlvDemuxer } from '../src/protocol/flv/flv-demuxer.ts';
import type { MediaMessage } from '../src/protocol/media.ts';
import { ensureMedia } from './lib/setup.ts';
import { cpuSeconds, rssBytes } from './lib/proc-stats.ts';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '20' },
    formats: { type: 'string', default: 'mp4' },
    'slow-kbps': { type: 'string', default: '4000' },
    players: { type: 'string', default: '2' },
  },
});
const streams = Number(values.streams);
const seconds = Number(values.seconds);
const formats = values.formats.split(',');
const slowKbps = Number(values['slow-kbps']);
const media = ensureMedia();
const all = new FlvDemuxer().push(readFileSync(media.path));
const headers = all.filter((m) => m.type === 18 || m.sequenceHeader);
const frames = all.filter((m) => !(m.type === 18 || m.sequenceHeader));
console.log(
  `source: ${media.path}, ${media.kbps} kbit/s; ${streams} streams, ${seconds} s windows, formats ${formats.join(',')}`,
);

/** One publisher paced by its timestamps; `lagMs` is how far behind real time it got at worst. */
class Publisher {
  lagMs = 0;
  #stop = false;
  #done: Promise<void> = Promise.resolve();
  async start(url: string): Promise<void> {
    const c = await ScriptedRtmp.open(url, 20_000);
    const id = await c.createStream(20_000);
    c.publish(id, c.url.stream);
    await c.status(id, 'NetStream.Publish.Start');
    for (const h of headers) c.sendMedia(id, h);
    this.#done = (async () => {
      const t0 = performance.now();
      const first = frames[0]!.timestamp;
      for (let i = 0; !this.#stop && !c.destroyed; i++) {
        const f = frames[i % frames.length]!;
        const loop = Math.floor(i / frames.length) * (frames.at(-1)!.timestamp - first + 33);
        const due = f.timestamp - first + loop;
        const ahead = due - (performance.now() - t0);
        if (ahead > 5) await new Promise((r) => setTimeout(r, ahead));
        else this.lagMs = Math.max(this.lagMs, -ahead);
        const msg: MediaMessage = { ...f, timestamp: due };
        if (!c.sendMedia(id, msg)) await Promise.race([once(c.socket, 'drain'), c.closed]);
      }
      await c.end();
    })();
  }
  async stop(): Promise<void> {
    this.#stop = true;
    await this.#done;
  }
}

/** An HTTP-FLV player that counts bytes and its longest silence. */
function player(url: string): { stop(): Promise<{ kbps: number; maxGapMs: number }> } {
  const ac = new AbortController();
  let bytes = 0;
  let last = performance.now();
  let maxGap = 0;
  const t0 = performance.now();
  const done = (async () => {
    try {
      const res = await fetch(url, { signal: ac.signal });
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        bytes += (chunk as Uint8Array).length;
      }
    } catch {
      // aborted at the end
    }
  })();
  return {
    async stop() {
      const s = (performance.now() - t0) / 1000;
      ac.abort();
      await done;
      return { kbps: Math.round((bytes * 8) / 1000 / s), maxGapMs: Math.round(maxGap) };
    },
  };
}

async function recordRule(server: ServerProcess): Promise<void> {
  const client = liveClient(
    `127.0.0.1:${server.apiPort}`,
    { secretId: server.secretId!, secretKey: server.secretKey! },
    { reqTimeout: 30 },
  ) as ReturnType<typeof liveClient> & { close(): void };
  const domain = (await client.DescribeLiveDomains({})).DomainList!.find((d) => d.Type === 0)!.Name!;
  const params: Record<string, unknown> = {};
  for (const f of formats) params[`${f[0]!.toUpperCase()}${f.slice(1)}Param`] = { Enable: 1, RecordInterval: 3600 };
  const { TemplateId } = await client.CreateLiveRecordTemplate({ TemplateName: 'bench', ...params });
  await client.CreateLiveRecordRule({ DomainName: domain, AppName: 'live', TemplateId: TemplateId! });
  client.close();
}

/** Publishes every stream for `seconds` (after 3 s to settle) and returns the server's CPU in % of a core. */
async function window(
  server: ServerProcess,
  urls: string[],
  during?: () => void,
): Promise<{ cpuPct: number; lagMs: number }> {
  const pubs = urls.map(() => new Publisher());
  await Promise.all(pubs.map((p, i) => p.start(urls[i]!)));
  await new Promise((r) => setTimeout(r, 3000));
  const c0 = cpuSeconds(server.child.pid!);
  const t0 = performance.now();
  during?.();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpuPct = ((cpuSeconds(server.child.pid!) - c0) / ((performance.now() - t0) / 1000)) * 100;
  await Promise.all(pubs.map((p) => p.stop()));
  return { cpuPct, lagMs: Math.max(...pubs.map((p) => p.lagMs)) };
}

const names = Array.from({ length: streams }, (_, i) => `rec${i}`);

// 1. CPU with recording off, then on, in one server.
{
  const server = await startServerProcess(['--record.minIntervalSeconds', '1']);
  const urls = names.map((n) => signedPushUrl(server, n));
  const off = await window(server, urls);
  await recordRule(server);
  await new Promise((r) => setTimeout(r, 1000));
  const on = await window(server, urls);
  const beyond = on.cpuPct - off.cpuPct;
  console.log(
    `ingest only:      ${off.cpuPct.toFixed(1)} % of a core (publishers at most ${off.lagMs.toFixed(0)} ms behind)`,
  );
  console.log(
    `with recording:   ${on.cpuPct.toFixed(1)} % of a core (publishers at most ${on.lagMs.toFixed(0)} ms behind)`,
  );
  console.log(
    `recording costs:  ${beyond.toFixed(1)} % of a core beyond ingest for ${streams} streams (${((beyond / streams) * 1000).toFixed(0)} m% per stream; ratio ${(on.cpuPct / off.cpuPct).toFixed(2)})`,
  );
  await server.stop();
}

// 2. A throttled disk.
{
  const hook = `data:text/javascript,${encodeURIComponent(slowDiskHook(slowKbps))}`;
  const server = await startServerProcess(
    ['--record.minIntervalSeconds', '1', '--record.maxQueueBytes', String(4 << 20)],
    { nodeArgs: ['--import', hook] },
  );
  await recordRule(server);
  const urls = names.map((n) => signedPushUrl(server, n));
  const players: ReturnType<typeof player>[] = [];
  const rss: string[] = [];
  const timer = setInterval(() => rss.push(`${Math.round(rssBytes(server.child.pid!) / 1048576)}`), 2000);
  const w = await window(server, urls, () => {
    for (let i = 0; i < Number(values.players); i++)
      players.push(player(`http://127.0.0.1:${server.httpPort}/live/${names[i]}.flv`));
  });
  const got = await Promise.all(players.map((p) => p.stop()));
  clearInterval(timer);
  const full = await connectionErrors(`http://127.0.0.1:${server.httpPort}`, 'RECORD_QUEUE_FULL');
  console.log(
    `throttled disk (${slowKbps} kbit/s for all writes, record.maxQueueBytes 4 MiB): RSS MiB every 2 s: ${rss.join(' ')}`,
  );
  console.log(
    `  players: ${got.map((g) => `${g.kbps} kbit/s, longest gap ${g.maxGapMs} ms`).join('; ')}; publishers at most ${w.lagMs.toFixed(0)} ms behind`,
  );
  console.log(
    `  recordings stopped with RECORD_QUEUE_FULL: ${full} of ${streams * formats.length}; server CPU ${w.cpuPct.toFixed(1)} %`,
  );
  await server.stop();
}

/** A preload that makes every FileHandle write of the process share `kbps` (a token bucket). */
function slowDiskHook(kbps: number): string {
  return `
import { open } from 'node:fs/promises';
const fh = await open('/dev/null', 'r');
const proto = Object.getPrototypeOf(fh);
await fh.close();
const write = proto.write;
const rate = ${kbps} * 125;
let free = performance.now();
proto.write = async function (buf, ...rest) {
  const n = typeof buf === 'string' ? Buffer.byteLength(buf) : buf.byteLength;
  const now = performance.now();
  free = Math.max(free, now) + (n / rate) * 1000;
  if (free - now > 1) await new Promise((r) => setTimeout(r, free - now));
  return write.call(this, buf, ...rest);
};
`;
}
