// HLS viewers for the HLS benchmark, each on its own keep-alive connection, requesting what hls.js requests:
// plain HLS reloads the playlist every target duration (half of it when nothing changed, RFC 8216 §6.3.4) and
// fetches new segments starting three from the end; LL-HLS issues blocking reloads for the next part
// (RFC 8216bis §6.2.5.2) and fetches each new part.
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parsePlaylist, type ParsedPlaylist } from '../../src/servers/hls/hls-test-kit.ts';
import { sleep } from './setup.ts';

/** What one load process runs. */
export interface ViewerOptions {
  playlistUrl: string;
  lowLatency: boolean;
  count: number;
  runMs: number;
  joinPerSecond: number;
  startDelayMs: number;
}

/** Latency samples per request kind, failed requests and body bytes received. */
export interface ViewerReport {
  latencyMs: Record<string, number[]>;
  errors: number;
  bytes: number;
  /** This load process's own event-loop delay p99, ms: high means latencies measure the client, not the server. */
  loopDelayP99Ms: number;
}

interface Stats extends ViewerReport {
  add(kind: string, ms: number): void;
}

/** Runs `count` viewers joining at `joinPerSecond` until `runMs` has passed since the start. */
export async function runViewers(o: ViewerOptions): Promise<ViewerReport> {
  const stats: Stats = {
    latencyMs: {},
    errors: 0,
    bytes: 0,
    loopDelayP99Ms: 0,
    add(kind, ms) {
      (this.latencyMs[kind] ??= []).push(Math.round(ms * 10) / 10);
    },
  };
  await sleep(o.startDelayMs);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const deadline = performance.now() + o.runMs;
  const viewers: Promise<void>[] = [];
  for (let i = 0; i < o.count; i++) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    viewers.push(
      (o.lowLatency ? llViewer : plainViewer)(o.playlistUrl, agent, stats, deadline).finally(() => agent.destroy()),
    );
    await sleep(1000 / o.joinPerSecond);
  }
  await Promise.all(viewers);
  loop.disable();
  return {
    latencyMs: stats.latencyMs,
    errors: stats.errors,
    bytes: stats.bytes,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
  };
}

async function plainViewer(url: string, agent: http.Agent, stats: Stats, deadline: number): Promise<void> {
  let next = -1;
  let last = '';
  while (performance.now() < deadline) {
    const started = performance.now();
    const text = await get(url, agent, stats, 'playlist');
    if (text === undefined) {
      await sleep(1000);
      continue;
    }
    const p = parsePlaylist(text);
    const segments = numbered(p);
    if (next < 0) next = Math.max(p.mediaSequence, (segments.at(-1)?.msn ?? 0) - 2);
    for (const s of segments) {
      if (s.msn < next) continue;
      await get(new URL(s.uri, url).href, agent, stats, 'segment');
      next = s.msn + 1;
    }
    const target = (p.targetDuration ?? 2) * 1000;
    const wait = (text === last ? target / 2 : target) - (performance.now() - started);
    last = text;
    const left = Math.min(wait, deadline - performance.now());
    if (left > 0) await sleep(left);
  }
}

async function llViewer(url: string, agent: http.Agent, stats: Stats, deadline: number): Promise<void> {
  let have: { msn: number; part: number } | undefined;
  let first = true;
  while (performance.now() < deadline) {
    const directive = have ? `${url.includes('?') ? '&' : '?'}_HLS_msn=${have.msn}&_HLS_part=${have.part + 1}` : '';
    const text = await get(url + directive, agent, stats, first ? 'playlist' : 'playlist (blocking)');
    first = false;
    if (text === undefined) {
      await sleep(500);
      continue;
    }
    const p = parsePlaylist(text);
    const parts = partsOf(p);
    // Start like hls.js near the live edge: from the newest independent part.
    if (!have) {
      const start = parts.findLastIndex((x) => x.independent);
      have = start > 0 ? { msn: parts[start - 1]!.msn, part: parts[start - 1]!.index } : undefined;
    }
    for (const part of parts) {
      if (have && (part.msn < have.msn || (part.msn === have.msn && part.index <= have.part))) continue;
      await get(new URL(part.uri, url).href, agent, stats, 'part');
      have = { msn: part.msn, part: part.index };
    }
    // After a segment's last part, the next directive names part index+1 of it: the server rolls it over.
  }
}

/** The playlist's segments with their Media Sequence Numbers. */
function numbered(p: ParsedPlaylist): Array<{ msn: number; uri: string }> {
  return p.segments.map((s, i) => ({ msn: p.mediaSequence + i, uri: s.uri }));
}

/** Every listed part with its segment's msn and index, oldest first. */
function partsOf(p: ParsedPlaylist): Array<{ msn: number; index: number; uri: string; independent: boolean }> {
  const out: Array<{ msn: number; index: number; uri: string; independent: boolean }> = [];
  p.segments.forEach((s, i) =>
    s.parts.forEach((x, j) => out.push({ msn: p.mediaSequence + i, index: j, uri: x.uri, independent: x.independent })),
  );
  const pending = p.mediaSequence + p.segments.length;
  p.pendingParts.forEach((x, j) => out.push({ msn: pending, index: j, uri: x.uri, independent: x.independent }));
  return out;
}

/** GETs a URL, timing it under `kind`; the body as text for playlists, counted and dropped otherwise. */
function get(url: string, agent: http.Agent, stats: Stats, kind: string): Promise<string | undefined> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.get(url, { agent }, (res) => {
      const text = kind.startsWith('playlist');
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        stats.bytes += c.length;
        if (text) chunks.push(c);
      });
      res.on('end', () => {
        stats.add(kind, performance.now() - started);
        if (res.statusCode !== 200) {
          stats.errors++;
          resolve(undefined);
        } else resolve(text ? Buffer.concat(chunks).toString() : '');
      });
    });
    req.on('error', () => {
      stats.errors++;
      resolve(undefined);
    });
  });
}
