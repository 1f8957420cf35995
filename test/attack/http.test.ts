/**
 * Attacks on both HTTP listeners of a real server process: slowloris on the playback and the admin
 * port, a dripped admin body, 5000 LL-HLS blocking reloads that disconnect, and one address at its
 * caps while a player from another address keeps playing (docs/security.md "HTTP playback and HLS").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { get } from 'node:http';
import { startServerProcess } from '../support/server-process.ts';
import { publish } from '../support/ffmpeg.ts';
import { metricValue } from '../support/metrics.ts';
import { waitFor } from '../support/wait.ts';

/** A raw client socket that records what it read and when it was closed. */
interface RawClient {
  readonly socket: Socket;
  text(): string;
  readonly closed: Promise<number>;
}

async function rawClient(port: number, localAddress: string): Promise<RawClient> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  let text = '';
  socket.setEncoding('latin1').on('data', (d: string) => (text += d));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  await Promise.race([new Promise((resolve) => socket.once('connect', resolve)), closed]);
  return { socket, text: () => text, closed };
}

/** `count` sockets from `localAddress`, each sending a request head one byte per second. */
async function slowloris(
  port: number,
  count: number,
  localAddress: string,
): Promise<{ clients: RawClient[]; stop(): void }> {
  const clients: RawClient[] = [];
  for (let i = 0; i < count; i++) clients.push(await rawClient(port, localAddress));
  for (const c of clients) if (!c.socket.destroyed) c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Drip: ');
  const timer = setInterval(() => {
    for (const c of clients) if (!c.socket.destroyed) c.socket.write('a');
  }, 1000);
  return { clients, stop: () => clearInterval(timer) };
}

/** Times GET `url` every 100 ms until stopped; resolves with every latency in ms (a failure is Infinity). */
function probe(url: string): { stop(): Promise<number[]> } {
  const times: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const ok = await fetch(url, { redirect: 'manual' }).then(
        (r) => r.status < 400,
        () => false,
      );
      times.push(ok ? performance.now() - started : Infinity);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return times;
    },
  };
}

const playbackErrors = (base: string, code: string) =>
  metricValue(base, 'openlive_http_connection_errors_total', { listener: 'playback', code });
const adminErrors = (base: string, code: string) =>
  metricValue(base, 'openlive_http_connection_errors_total', { listener: 'admin', code });

test(
  'slowloris on both ports: capped per address, cut by headersTimeoutMs, while /healthz answers within 200 ms; a dripped admin body is cut',
  { timeout: 90_000 },
  async (t) => {
    // Playback keeps its defaults (10 s head, 100 sockets per address); the admin port is shortened to keep the test short.
    const server = await startServerProcess(['--api.headersTimeoutMs', '4000', '--api.requestTimeoutMs', '6000']);
    const base = `http://127.0.0.1:${server.httpPort}`;
    const health = probe(`${base}/healthz`);
    // `/console` answers a redirect at once; `/` is now an unsigned API call, slowed by the auth failure delay.
    const adminHealth = probe(`http://127.0.0.1:${server.apiPort}/console`);
    const cleanup: Array<() => void> = [];
    try {
      const started = Date.now();
      const playback = await slowloris(server.httpPort, 130, '127.0.0.2');
      cleanup.push(playback.stop);
      const admin = await slowloris(server.apiPort, 80, '127.0.0.2');
      cleanup.push(admin.stop);
      const body = await rawClient(server.apiPort, '127.0.0.3');
      body.socket.write(
        'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{',
      );
      const bodyDrip = setInterval(() => body.socket.destroyed || body.socket.write(' '), 1000);
      cleanup.push(() => clearInterval(bodyDrip));
      cleanup.push(() => [...playback.clients, ...admin.clients, body].forEach((c) => c.socket.destroy()));

      // The sockets past the per-address caps (100 playback, 64 admin) are closed at once, without a reply.
      await waitFor(
        'the refused sockets to close',
        () =>
          playback.clients.filter((c) => c.socket.destroyed).length >= 30 &&
          admin.clients.filter((c) => c.socket.destroyed).length >= 16,
      );
      assert.equal(await playbackErrors(base, 'HTTP_CONNECTION_LIMIT_PER_IP'), 30);
      assert.equal(await adminErrors(base, 'HTTP_CONNECTION_LIMIT_PER_IP'), 16);
      // The probe's kept-alive socket may be between two requests (closed and not yet reopened) when this is read.
      const adminOpen = await metricValue(base, 'openlive_http_connections', { listener: 'admin' });
      assert.ok(
        adminOpen === 64 + 1 || adminOpen === 64 + 1 + 1,
        `slowloris and the dripped body (and the probe): ${adminOpen}`,
      );

      const adminClosed = await Promise.all(admin.clients.map((c) => c.closed));
      const playbackClosed = await Promise.all(playback.clients.map((c) => c.closed));
      const bodyClosed = await body.closed;
      const [times, adminTimes] = [await health.stop(), await adminHealth.stop()];

      const cut = (clients: RawClient[]) => clients.filter((c) => c.text().startsWith('HTTP/1.1 408 '));
      assert.equal(cut(playback.clients).length, 100, 'every admitted playback socket got 408');
      assert.equal(cut(admin.clients).length, 64, 'every admitted admin socket got 408');
      assert.match(cut(playback.clients)[0]!.text(), /"code":"HTTP_REQUEST_TIMEOUT"/);
      // Cut by the timeout (plus Node's one-second check), not before it, and not much later.
      const lastPlayback = Math.max(...playbackClosed) - started;
      assert.ok(
        lastPlayback >= 9_000 && lastPlayback < 20_000,
        `playback slowloris cut after ${lastPlayback} ms (headersTimeoutMs 10000)`,
      );
      assert.ok(Math.max(...adminClosed) - started < 12_000, 'admin slowloris cut after api.headersTimeoutMs');
      assert.match(body.text(), /^HTTP\/1.1 408 /, 'the dripped body is cut');
      assert.ok(
        bodyClosed - started >= 5_000,
        `the dripped body lived until api.requestTimeoutMs (${bodyClosed - started} ms)`,
      );
      assert.equal(await playbackErrors(base, 'HTTP_REQUEST_TIMEOUT'), 100);
      assert.equal(await adminErrors(base, 'HTTP_REQUEST_TIMEOUT'), 65);
      assert.equal(await metricValue(base, 'openlive_connection_errors_total', { code: 'HTTP_REQUEST_TIMEOUT' }), 165);

      const slowest = Math.max(...times);
      t.diagnostic(
        `${times.length} /healthz probes, slowest ${Math.round(slowest)} ms; admin slowest ${Math.round(Math.max(...adminTimes))} ms`,
      );
      assert.ok(times.length > 50, `${times.length} health probes`);
      assert.ok(slowest < 200, `/healthz answered within ${Math.round(slowest)} ms throughout`);
      assert.ok(
        Math.max(...adminTimes) < 200,
        `the admin port answered within ${Math.round(Math.max(...adminTimes))} ms throughout`,
      );
      assert.equal(
        await metricValue(base, 'openlive_http_connection_addresses', { listener: 'playback' }),
        1,
        'only the prober is left',
      );
    } finally {
      for (const fn of cleanup) fn();
      await health.stop();
      await adminHealth.stop();
      assert.equal(await server.stop(), 0);
    }
  },
);

/** The server's V8 through its inspector: a full GC, then the heap in use, the way a heap profiler measures a leak. */
async function inspector(output: string): Promise<{ heapUsedAfterGc(): Promise<number>; close(): void }> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
  if (!url) throw new Error(`no inspector URL in the output:\n${output}`);
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  const pending = new Map<number, (result: Record<string, number>) => void>();
  ws.onmessage = (e) => {
    const m = JSON.parse(String(e.data)) as { id?: number; result?: Record<string, number> };
    if (m.id !== undefined) pending.get(m.id)?.(m.result ?? {});
  };
  let id = 0;
  const call = (method: string) =>
    new Promise<Record<string, number>>((resolve) => {
      pending.set(++id, resolve);
      ws.send(JSON.stringify({ id, method }));
    });
  return {
    async heapUsedAfterGc() {
      await call('HeapProfiler.collectGarbage');
      return (await call('Runtime.getHeapUsage')).usedSize!;
    },
    close: () => ws.close(),
  };
}

/** The last media sequence number the playlist lists (or is building). */
function lastMsn(playlist: string): number {
  const media = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(playlist)?.[1] ?? 0);
  const segments = playlist.split('\n').filter((l) => l.endsWith('.ts') && !l.startsWith('#')).length;
  return media + segments;
}

test(
  '5000 LL-HLS blocking reloads that disconnect leave nothing behind; one address at its caps leaves another address playing',
  { timeout: 180_000 },
  async (t) => {
    const server = await startServerProcess(['--hls.lowLatencyDomains', '*'], { nodeArgs: ['--inspect=127.0.0.1:0'] });
    const base = `http://127.0.0.1:${server.httpPort}`;
    const ffmpeg = publish(server.pushUrl, { gop: 25 });
    const sockets: Socket[] = [];
    try {
      await waitFor('the first playlist', async () => (await fetch(`${base}/live/demo.m3u8`)).status === 200, 30_000);
      // A player from 127.0.0.1 that must keep getting media through everything below.
      let flvBytes = 0;
      const player = get({ host: '127.0.0.1', port: server.httpPort, path: '/live/demo.flv' }, (res) =>
        res.on('data', (d: Buffer) => (flvBytes += d.length)),
      );
      player.on('error', () => {});
      await waitFor('the FLV player to get media', () => flvBytes > 10_000);

      // Each round parks `count` reloads from `addresses` local addresses (under the per-address caps), then disconnects them all.
      const round = async (count: number, addresses: number): Promise<void> => {
        const msn = lastMsn(await (await fetch(`${base}/live/demo.m3u8`)).text()) + 2;
        const clients: Socket[] = [];
        for (let i = 0; i < count; i++) {
          const socket = connect({
            port: server.httpPort,
            host: '127.0.0.1',
            localAddress: `127.0.${10 + (i % addresses)}.1`,
          });
          socket.on('error', () => {});
          socket.write(`GET /live/demo.m3u8?_HLS_msn=${msn} HTTP/1.1\r\nHost: x\r\n\r\n`);
          clients.push(socket);
        }
        await waitFor(
          `${count} parked reloads`,
          async () => (await metricValue(base, 'openlive_hls_waiting_requests')) >= count * 0.9,
          30_000,
        );
        for (const socket of clients) socket.destroy();
        await waitFor(
          'the parked reloads to be released',
          async () => (await metricValue(base, 'openlive_hls_waiting_requests')) === 0,
          10_000,
        );
      };
      // One round first, so the baseline includes what the first 1000 parked requests made the process allocate for good.
      await round(1000, 25);
      const v8 = await inspector(server.output());
      const heapBefore = await v8.heapUsedAfterGc();
      const rssBefore = server.rss();
      for (let i = 0; i < 5; i++) await round(1000, 25);
      assert.equal(await metricValue(base, 'openlive_hls_waiting_requests'), 0);
      assert.equal(await metricValue(base, 'openlive_hls_waiting_addresses'), 0);
      await waitFor(
        'the sockets to be released',
        async () => (await metricValue(base, 'openlive_http_connections', { listener: 'playback' })) <= 3,
      );
      const heapGrown = (await v8.heapUsedAfterGc()) - heapBefore;
      const rssGrown = server.rss() - rssBefore;
      v8.close();
      t.diagnostic(
        `after 5000 disconnected reloads: heap after GC ${(heapGrown / 1048576).toFixed(1)} MB, RSS ${(rssGrown / 1048576).toFixed(1)} MB over the baseline`,
      );
      // The stream itself (HLS window, GOP cache) moves the heap by a few MB; 5000 leaked requests would be far more.
      assert.ok(
        heapGrown < 8 * 1024 * 1024,
        `the heap after GC grew ${(heapGrown / 1048576).toFixed(1)} MB over 5000 disconnected reloads`,
      );
      assert.ok(
        rssGrown < 48 * 1024 * 1024,
        `RSS grew ${Math.round(rssGrown / 1048576)} MB over 5000 disconnected reloads`,
      );

      // 127.0.0.2 takes its 100 sockets (50 of them parked reloads, the rest refused as waiters) and more.
      const msn = lastMsn(await (await fetch(`${base}/live/demo.m3u8`)).text()) + 2;
      const greedy: RawClient[] = [];
      for (let i = 0; i < 120; i++) {
        const c = await rawClient(server.httpPort, '127.0.0.2');
        c.socket.write(`GET /live/demo.m3u8?_HLS_msn=${msn} HTTP/1.1\r\nHost: x\r\n\r\n`);
        greedy.push(c);
        sockets.push(c.socket);
      }
      await waitFor(
        'the greedy address to be capped',
        async () =>
          (await metricValue(base, 'openlive_http_connection_errors_total', {
            listener: 'playback',
            code: 'HTTP_CONNECTION_LIMIT_PER_IP',
          })) >= 20,
      );
      await waitFor(
        'its waiters to be capped',
        async () => (await metricValue(base, 'openlive_connection_errors_total', { code: 'HLS_WAITERS_PER_IP' })) >= 50,
      );
      assert.ok(greedy.some((c) => c.text().startsWith('HTTP/1.1 429 ') && c.text().includes('HLS_WAITERS_PER_IP')));
      // Meanwhile 127.0.0.1 plays on: the FLV body keeps flowing and a blocking reload is answered.
      const before = flvBytes;
      const reload = await fetch(`${base}/live/demo.m3u8?_HLS_msn=${msn}`);
      assert.equal(reload.status, 200);
      await waitFor('more FLV media for the other address', () => flvBytes > before + 10_000);
      assert.ok(ffmpeg.child.exitCode === null, 'the publisher is still up');
      player.destroy();
    } finally {
      for (const s of sockets) s.destroy();
      await ffmpeg.stop();
      assert.equal(await server.stop(), 0);
    }
  },
);
