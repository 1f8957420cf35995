/**
 * The graceful drain across two real processes on one Redis (docs/cluster.md "Drain"): a scripted E-RTMP v2
 * publisher (capsEx Reconnect) on node A is told `NetConnection.Connect.ReconnectRequest` with node B's
 * tcUrl, reconnects there and drops A, while its HTTP-FLV viewer on B (fed by an edge pull from A until then)
 * keeps playing; a legacy publisher on A hears the 10/0 SERVER_DRAINING status and is closed; A refuses new
 * RTMP connections and HTTP plays, /healthz says draining; SIGTERM on the drained A exits 0.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:http';
import { connect } from 'node:net';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { liveClient } from '../support/api-client.ts';
import { ScriptedRtmp } from '../support/scripted-rtmp.ts';
import { MediaFeed } from '../support/media-feed.ts';
import { connectionErrors } from '../support/metrics.ts';
import { waitFor } from '../support/wait.ts';
import { freePort } from '../support/free-port.ts';

const relaySecret = 'drain-test-secret';
let redis: TestRedis;
const dirs: string[] = [];
let a: ServerProcess;
let b: ServerProcess;
/** The first start's API key pair. */
let key: { secretId: string; secretKey: string };

async function startNode(nodeId: string, dataDir: string): Promise<ServerProcess> {
  const port = await freePort();
  return startServerProcess(
    [
      '--cluster.redis',
      redis.url,
      '--cluster.nodeId',
      nodeId,
      '--cluster.leaseMs',
      '2000',
      '--rtmp.port',
      String(port),
      '--cluster.advertise',
      `127.0.0.1:${port}`,
      '--relay.secret',
      relaySecret,
      '--limits.drainWaitMs',
      '8000',
      '--log.level',
      'info',
    ],
    { dataDir },
  );
}

/** An HTTP-FLV player counting the bytes it reads until the body ends. */
function flvPlayer(
  port: number,
  stream: string,
): { bytes: () => number; ended: () => boolean; status: () => number; close: () => void } {
  let bytes = 0;
  let ended = false;
  let status = 0;
  const req = get(`http://127.0.0.1:${port}/live/${stream}.flv`, (res) => {
    status = res.statusCode ?? 0;
    res.on('data', (d: Buffer) => (bytes += d.length));
    res.on('close', () => (ended = true));
  });
  req.on('error', () => (ended = true));
  return { bytes: () => bytes, ended: () => ended, status: () => status, close: () => req.destroy() };
}

/** GET on node's HTTP port: status and body. */
function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(`http://127.0.0.1:${port}${path}`, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** A scripted publisher of `url` feeding real H.264/AAC; `capsEx` 1 announces E-RTMP v2 Reconnect. */
async function publisher(url: string, capsEx?: number): Promise<{ conn: ScriptedRtmp; feed: MediaFeed; sid: number }> {
  const conn = await ScriptedRtmp.open(url, 5000, capsEx === undefined ? {} : { capsEx });
  const sid = await conn.createStream();
  conn.publish(sid, conn.url.stream);
  await conn
    .status(sid, 'NetStream.Publish.Start', { orError: true })
    .then((s) => assert.equal(s.code, 'NetStream.Publish.Start', s.description));
  const feed = new MediaFeed((m) => void (conn.destroyed || conn.sendMedia(sid, m))).start();
  open.push({ conn, feed });
  return { conn, feed, sid };
}

/** The banner's signed URL on A under another app: the signature covers the stream name only (MD5(key + name + txTime)). */
const onA = (app: string): string => a.pushUrl.replace(/\/live\/demo\?/, `/${app}/demo?`);
const open: { conn: ScriptedRtmp; feed: MediaFeed }[] = [];

before(async () => {
  redis = await startRedis();
  for (let i = 0; i < 2; i++) dirs.push(mkdtempSync(join(tmpdir(), 'openlive-drain-')));
  // One start makes the default domains, their keys and the data key; B gets a copy, so A's push URLs are valid on B.
  const first = await startServerProcess(['--log.level', 'warn'], { dataDir: dirs[0]! });
  key = { secretId: first.secretId!, secretKey: first.secretKey! };
  assert.equal(await first.stop(), 0);
  cpSync(dirs[0]!, dirs[1]!, { recursive: true });
  [a, b] = await Promise.all([startNode('a', dirs[0]!), startNode('b', dirs[1]!)]);
});

after(async () => {
  for (const p of open) {
    p.feed.stop();
    p.conn.socket.destroy();
  }
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test(
  'a drained node moves its v2 publisher to the other node while viewers there keep playing, closes the legacy one, refuses new connections',
  { timeout: 120_000 },
  async () => {
    const v2 = await publisher(onA('live'), 1);
    const legacy = await publisher(onA('legacy'));
    // The viewer on B: B does not hold live/demo, so an edge pull from A feeds it.
    const viewer = flvPlayer(b.httpPort, 'demo');
    await waitFor('the viewer on B receives media', () => viewer.bytes() > 20_000, 20_000);
    assert.equal((await httpGet(a.httpPort, '/healthz')).status, 200);

    // The publisher follows the reconnect request as E-RTMP v2 says: new connection, publish, then drop the old one.
    let moved: { conn: ScriptedRtmp; feed: MediaFeed } | undefined;
    const follow = (async () => {
      const req = await v2.conn.status(0, 'NetConnection.Connect.ReconnectRequest', { timeoutMs: 30_000 });
      assert.equal(req.level, 'status');
      const tcUrl = req.info instanceof Map ? req.info.get('tcUrl') : undefined;
      assert.equal(tcUrl, `rtmp://127.0.0.1:${b.rtmpPort}/live`, 'the tcUrl names node B from the registry');
      moved = await publisher(`${tcUrl}/${v2.conn.url.stream}`, 1);
      v2.feed.stop();
      await v2.conn.end();
    })();
    const client = liveClient(`127.0.0.1:${a.apiPort}`, key, { reqTimeout: 30 });
    const drained = client.request('OpenLiveDrainNode', {}) as Promise<Record<string, unknown>>;

    // While it drains: /healthz says so, new plays and RTMP connections are refused.
    await waitFor(
      'A reports draining',
      async () => (await httpGet(a.httpPort, '/healthz')).body.includes('draining'),
      10_000,
    );
    const health = await httpGet(a.httpPort, '/healthz');
    assert.equal(health.status, 503);
    const play = await httpGet(a.httpPort, '/live/demo.flv');
    assert.equal(play.status, 503);
    assert.equal(JSON.parse(play.body).code, 'SERVER_DRAINING');
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: a.rtmpPort });
      s.on('connect', () => (s.destroy(), resolve(false)));
      s.on('error', () => resolve(true));
    });
    assert.ok(refused, 'a new RTMP connection to A is refused');

    await follow;
    const report = await drained;
    assert.equal(report.ReconnectRequested, 1);
    assert.equal(report.Moved, 1);
    assert.equal(report.Closed, 1, 'the legacy publisher was closed');
    assert.equal(report.Target, `127.0.0.1:${b.rtmpPort}`);

    // The legacy publisher heard why, in the status ffmpeg prints as `Server error: ...`.
    const closedStatus = legacy.conn.events.find((e) => e.type === 'status' && e.level === 'error');
    assert.ok(closedStatus && closedStatus.type === 'status');
    assert.match(closedStatus.description, /^10\/0: SERVER_DRAINING: /);
    assert.ok(await legacy.conn.closedWithin(5000));
    legacy.feed.stop();

    // The viewer on B kept its body open and keeps receiving, now from the local publisher.
    const before = viewer.bytes();
    await waitFor('the viewer on B keeps receiving', () => viewer.bytes() > before + 20_000, 20_000);
    assert.equal(viewer.ended(), false, 'the viewer on B never lost its body');
    assert.ok(!moved!.conn.destroyed);
    assert.ok((await connectionErrors(`http://127.0.0.1:${a.httpPort}`, 'SERVER_DRAINING')) >= 1);

    // The drained node still exits cleanly on SIGTERM (the drain is idempotent).
    client.close();
    viewer.close();
    moved!.feed.stop();
    await moved!.conn.end();
    assert.equal(await a.stop(10_000), 0);
    assert.match(a.output(), /"msg":"drained"/);
  },
);
