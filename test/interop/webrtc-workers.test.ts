/**
 * WHEP with `node src/main.ts --workers 2` (docs/webrtc.md "Worker processes"): each worker binds its own
 * single UDP port, webrtc.port + index - 1. Chromium plays one ffmpeg RTMP stream over several WHEP sessions,
 * each POST on its own HTTP connection (the primary hands connections to the workers in turn), so both
 * workers answer some; every session decodes frames, every answer's candidate is on its worker's port (and
 * within the two documented ports), and a DELETE ends its session whichever worker receives it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Agent, request } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumArgs } from '../browser/console-browser.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';
import { webrtcPage, type WhipWhepWindow } from '../support/webrtc-page.ts';
import { workerLoad, type WorkerLoad } from '../support/worker-load.ts';

const sessions = 6;
let server: ServerProcess;
let browser: Browser;
let ff: FfmpegProcess | undefined;
let basePort = 0;

/** Two consecutive UDP ports free on 127.0.0.1 now (worker 1 binds the first, worker 2 the next). */
async function freeUdpPair(): Promise<number> {
  const bind = (port: number) =>
    new Promise<ReturnType<typeof createSocket> | undefined>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => (s.close(), resolve(undefined)));
      s.bind(port, '127.0.0.1', () => resolve(s));
    });
  for (;;) {
    const first = (await bind(0))!;
    const port = first.address().port;
    const second = port < 65535 ? await bind(port + 1) : undefined;
    first.close();
    second?.close();
    if (second) return port;
  }
}

before(async () => {
  basePort = await freeUdpPair();
  server = await startServerProcess(
    [
      '--log.level',
      'info',
      '--cluster.nodeId',
      'box',
      '--webrtc.enabled',
      'true',
      '--webrtc.host',
      '127.0.0.1',
      '--webrtc.port',
      String(basePort),
    ],
    { workers: 2 },
  );
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
});

after(async () => {
  await browser?.close();
  await ff?.stop();
  await server?.stop(15_000);
});

/** What each worker serves, by the primary's latest "worker load" line. */
const load = (): WorkerLoad[] => workerLoad(server.output());

/** One HTTP request; `agent` false = a new connection (so the primary hands it to the next worker). */
function http(
  method: string,
  url: string,
  options: { agent?: Agent | false; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: options.agent ?? false,
        headers: options.body !== undefined ? { 'content-type': 'application/sdp' } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The worker (node id) that answers on this agent's one kept-alive connection, from its /metrics labels. */
async function workerOf(agent: Agent): Promise<string> {
  const r = await http('GET', `http://127.0.0.1:${server.httpPort}/metrics`, { agent });
  return /node="([^"]+)"/.exec(r.body)![1]!;
}

/** A connection to the worker `nodeId` (new connections until the round-robin hands one to it). */
async function connectionTo(nodeId: string): Promise<Agent> {
  for (let i = 0; i < 20; i++) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    if ((await workerOf(agent)) === nodeId) return agent;
    agent.destroy();
  }
  throw new Error(`no connection reached ${nodeId}`);
}

/** Video frames decoded by each of the page's peer connections. */
function framesDecoded(page: Page): Promise<number[]> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { pcs: RTCPeerConnection[] }).pcs;
    return Promise.all(
      pcs.map(async (pc) => {
        let n = 0;
        (await pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded ?? 0;
        });
        return n;
      }),
    );
  });
}

test(
  'WHEP sessions on both workers decode frames on their own ports, and DELETE on either worker ends them',
  { timeout: 150_000 },
  async () => {
    ff = publish(server.pushUrl, { audio: false, rate: 30, gop: 30 });
    await waitFor('live/demo held by a worker', () => load().some((w) => w.publishers === 1), 20_000);
    const holder = load().find((w) => w.publishers === 1)!.nodeId;
    const flvUrl = new URL(/HTTP-FLV\s+(\S+)/.exec(server.output())![1]!);
    const whepUrl = `http://127.0.0.1:${server.httpPort}${flvUrl.pathname.replace(/\.flv$/, '/whep')}`;

    const page = await webrtcPage(browser, `http://127.0.0.1:${server.httpPort}/healthz`);
    const offers = await page.evaluate(async (n) => {
      const pcs: RTCPeerConnection[] = [];
      const sdps: string[] = [];
      for (let i = 0; i < n; i++) {
        const pc = new RTCPeerConnection();
        pc.addTransceiver('video', { direction: 'recvonly' });
        await pc.setLocalDescription(await pc.createOffer());
        await (window as unknown as WhipWhepWindow).whipWhep.iceGathered(pc);
        pcs.push(pc);
        sdps.push(pc.localDescription!.sdp);
      }
      (window as unknown as { pcs: RTCPeerConnection[] }).pcs = pcs;
      return sdps;
    }, sessions);

    // Each offer on a new connection: the primary hands them to the workers in turn.
    const answered: { id: string; owner: number; port: number; sdp: string }[] = [];
    for (const offer of offers) {
      const r = await http('POST', whepUrl, { body: offer });
      assert.equal(r.status, 201, r.body);
      const id = /^\/webrtc\/session\/(.+)$/.exec(String(r.headers.location))![1]!;
      const owner = Number(/^w(\d+)\./.exec(id)?.[1]);
      const ports = [...r.body.matchAll(/^a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host$/gm)].map((m) =>
        Number(m[1]),
      );
      assert.ok(ports.length > 0, `a candidate in the answer:\n${r.body}`);
      for (const port of ports) {
        assert.ok(
          port >= basePort && port <= basePort + 1,
          `candidate port ${port} within ${basePort}..${basePort + 1}`,
        );
        assert.equal(port, basePort + owner - 1, `worker ${owner} announces its own port`);
      }
      answered.push({ id, owner, port: ports[0]!, sdp: r.body });
    }
    assert.deepEqual(
      [...new Set(answered.map((a) => a.owner))].sort(),
      [1, 2],
      'both workers answered sessions (one of them plays the stream through its edge pull)',
    );
    await page.evaluate(
      async (sdps) => {
        const pcs = (window as unknown as { pcs: RTCPeerConnection[] }).pcs;
        await Promise.all(pcs.map((pc, i) => pc.setRemoteDescription({ type: 'answer', sdp: sdps[i]! })));
      },
      answered.map((a) => a.sdp),
    );
    await waitFor(
      'every WHEP session decoding frames',
      async () => (await framesDecoded(page)).every((n) => n > 30),
      60_000,
    );
    await waitFor(
      'the primary counts the players',
      () => load().reduce((n, w) => n + w.players, 0) === sessions,
      10_000,
    );
    assert.ok(
      load().every((w) => w.players > 0),
      `players on both workers: ${JSON.stringify(load())}`,
    );

    // DELETE each session, alternately on the worker that owns it and on the other one.
    for (const [i, a] of answered.entries()) {
      const target = i % 2 === 0 ? `box-w${a.owner}` : `box-w${3 - a.owner}`;
      const agent = await connectionTo(target);
      const r = await http('DELETE', `http://127.0.0.1:${server.httpPort}/webrtc/session/${a.id}`, { agent });
      assert.equal(r.status, 200, `DELETE of ${a.id} (worker ${a.owner}) on ${target}: ${r.body}`);
      assert.equal(r.headers['access-control-allow-origin'], '*', 'the owner reply comes back as it is');
      agent.destroy();
    }
    await waitFor('no player left on either worker', () => load().every((w) => w.players === 0), 15_000);
    const stopped = await framesDecoded(page);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await framesDecoded(page), stopped, 'no frame decoded after the DELETEs');

    // A late DELETE succeeds on either worker (the owner remembers it), an id nobody had is 404 from its owner.
    const late = answered[0]!;
    const other = await connectionTo(`box-w${3 - late.owner}`);
    assert.equal(
      (await http('DELETE', `http://127.0.0.1:${server.httpPort}/webrtc/session/${late.id}`, { agent: other })).status,
      200,
    );
    const unknown = await http(
      'DELETE',
      `http://127.0.0.1:${server.httpPort}/webrtc/session/w${late.owner}.nosuchsession`,
      {
        agent: other,
      },
    );
    assert.equal(unknown.status, 404);
    assert.match(unknown.body, /WEBRTC_SESSION_NOT_FOUND/);
    other.destroy();
    assert.ok(holder, 'the stream was held by one worker');
    await page.close();
  },
);
