/**
 * Origin/edge relays with two real openlive processes sharing one Redis (docs/cluster.md "Origin/edge
 * relays"): ffmpeg publishes on A; players on B get the stream over RTMP, HTTP-FLV and HLS through one
 * pull from A, however many they are; the last one leaving ends the pull; B's signed-play domain is
 * checked on B; and a relay play on A with a forged relay token is refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { probe, publish, run, type FfmpegProcess, type ProbeResult } from '../support/ffmpeg.ts';
import { formatTxTime, txSecretOf } from '../../src/control/signing.ts';
import { connectionErrors, metricValue } from '../support/metrics.ts';
import { liveClient } from '../support/api-client.ts';
import { waitFor } from '../support/wait.ts';
import { RtmpClient, RtmpRejectedError } from '../../src/servers/rtmp/rtmp-client.ts';
import { freePort } from '../support/free-port.ts';

let redis: TestRedis;
let a: ServerProcess;
let b: ServerProcess;
let ff: FfmpegProcess;
const secret = 'edge-test-cluster-secret';

async function node(id: string, extra: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  return startServerProcess([
    '--rtmp.port',
    String(port),
    '--cluster.redis',
    redis.url,
    '--cluster.nodeId',
    id,
    '--cluster.advertise',
    `127.0.0.1:${port}`,
    '--relay.secret',
    secret,
    '--relay.pullLingerMs',
    '500',
    '--hls.idleTimeoutMs',
    '1500',
    ...extra,
  ]);
}

const http = (p: ServerProcess): string => `http://127.0.0.1:${p.httpPort}`;
const rtmp = (p: ServerProcess, path: string): string => `rtmp://127.0.0.1:${p.rtmpPort}/${path}`;
const pulling = (p: ServerProcess): Promise<number> =>
  metricValue(http(p), 'openlive_edge_pulls', { state: 'pulling' });
const relayPlays = (p: ServerProcess): Promise<number> => metricValue(http(p), 'openlive_relay_plays');

function codecs(result: ProbeResult): string[] {
  return result.streams.map((s) => s.codec_name).sort();
}

/** An HTTP-FLV player that reads the body until closed; `status` once the head came. */
function flvPlayer(
  url: string,
  host?: string,
): { status: Promise<number>; bytes: () => number; close: () => void; body: Promise<string> } {
  let bytes = 0;
  let text = '';
  let done!: (s: string) => void;
  const body = new Promise<string>((resolve) => (done = resolve));
  const req = request(url, { headers: host ? { host } : {} });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      resolve(res.statusCode ?? 0);
      res.on('data', (d: Buffer) => {
        bytes += d.length;
        if (text.length < 2000) text += d.toString('latin1');
      });
      res.on('end', () => done(text));
      res.on('error', () => done(text));
    });
    req.on('error', (err) => {
      reject(err);
      done(text);
    });
  });
  req.end();
  return { status, bytes: () => bytes, close: () => req.destroy(), body };
}

before(async () => {
  redis = await startRedis();
  a = await node('a');
  b = await node('b');
  ff = publish(a.pushUrl);
  await waitFor(
    "A's cluster claim of live/demo",
    async () => (await metricValue(http(a), 'openlive_publishers')) === 1,
    20_000,
  );
});

after(async () => {
  await ff?.stop();
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
});

test('ffprobe plays the stream published on A from B over RTMP, HTTP-FLV and HLS (h264 and aac)', async () => {
  assert.deepEqual(codecs(await probe(rtmp(b, 'live/demo'))), ['aac', 'h264']);
  assert.deepEqual(codecs(await probe(`${http(b)}/live/demo.flv`)), ['aac', 'h264']);
  assert.deepEqual(codecs(await probe(`${http(b)}/live/demo.m3u8`, 4)), ['aac', 'h264']);
  assert.equal(await metricValue(http(a), 'openlive_subscribers'), 0, 'relay plays are not viewers on A');
});

test('two players on B cause one pull from A; the last one leaving ends it', async () => {
  // Whatever the previous test left (the HLS segmenter, a lingering pull) is gone first.
  await waitFor(
    'no pull left from the previous test',
    async () => (await pulling(b)) === 0 && (await relayPlays(a)) === 0,
    20_000,
  );
  const one = await RtmpClient.connect(rtmp(b, 'live/demo'));
  await one.play();
  const two = flvPlayer(`${http(b)}/live/demo.flv`);
  assert.equal(await two.status, 200);
  await waitFor('media on both players', () => two.bytes() > 10_000, 10_000);
  let frames = 0;
  for await (const _ of one.media()) if (++frames >= 50) break;
  assert.equal(await pulling(b), 1, 'one pull on B');
  assert.equal(await relayPlays(a), 1, 'one relay play on A');
  assert.equal(await metricValue(http(b), 'openlive_subscribers'), 2, 'two viewers on B');
  await one.close();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(await pulling(b), 1, 'the FLV player still holds the pull');
  two.close();
  await waitFor('the pull on B ended', async () => (await pulling(b)) === 0, 10_000);
  await waitFor('the relay play on A ended', async () => (await relayPlays(a)) === 0, 10_000);
});

test("B's signed-play domain refuses an unsigned play on B and serves a signed one (pulled with the relay token)", async () => {
  const client = liveClient(`127.0.0.1:${b.apiPort}`, { secretId: b.secretId!, secretKey: b.secretKey! });
  try {
    await client.AddLiveDomain({ DomainName: 'secure.example.com', DomainType: 1 });
    await client.ModifyLivePlayAuthKey({
      DomainName: 'secure.example.com',
      Enable: 1,
      AuthKey: 'playKey',
      AuthDelta: 60,
    });
  } finally {
    client.close();
  }
  const player = flvPlayer(`${http(b)}/live/demo.flv`, 'secure.example.com');
  assert.equal(await player.status, 403);
  assert.match(await player.body, /"code":"TX(SECRET|TIME)_MISSING"/);
  // RTMP names the play domain in the connect tcUrl, as a player given rtmp://secure.example.com/live/demo would.
  const tcUrl = ['-rtmp_tcurl', 'rtmp://secure.example.com/live'];
  const unsigned = run('ffprobe', ['-v', 'error', ...tcUrl, rtmp(b, 'live/demo')]);
  assert.notEqual(await unsigned.exited, 0);
  assert.match(unsigned.stderr(), /18\/50[02]/, 'ffprobe prints why');
  const txTime = formatTxTime(Math.floor(Date.now() / 1000) + 600);
  const signed = `live/demo?txSecret=${txSecretOf('playKey', 'demo', txTime)}&txTime=${txTime}`;
  const ok = run('ffprobe', [
    '-v',
    'error',
    '-of',
    'json',
    '-show_streams',
    '-read_intervals',
    '%+2',
    ...tcUrl,
    rtmp(b, signed),
  ]);
  assert.equal(await ok.exited, 0, ok.stderr());
});

test('a relay play on A with a forged relay token is refused with RELAY_TOKEN_INVALID', async () => {
  await waitFor('no pull left from the previous test', async () => (await relayPlays(a)) === 0, 20_000);
  const before = await connectionErrors(http(a), 'RELAY_TOKEN_INVALID');
  const expiry = Math.floor(Date.now() / 1000) + 30;
  const forged = `live/demo?openliveRelay=${'ab'.repeat(32)}&openliveRelayExp=${expiry}&openliveRelayHops=1`;
  const client = await RtmpClient.connect(rtmp(a, forged));
  try {
    const err = await client.play().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof RtmpRejectedError, `refused, not ${String(err)}`);
    assert.equal(err.status, 'NetStream.Play.Failed');
    assert.match(err.message, /^18\/503: the relay token is wrong/);
  } finally {
    await client.close();
  }
  assert.equal(await connectionErrors(http(a), 'RELAY_TOKEN_INVALID'), before + 1);
  assert.equal(await relayPlays(a), 0);
});

test('the encoder moving from A to B within the grace: players on B and on A keep playing, no end in between', async () => {
  const players = await Promise.all(
    [b, a].map(async (node) => {
      const statuses: string[] = [];
      const client = await RtmpClient.connect(rtmp(node, 'live/demo'), { onStatus: (code) => statuses.push(code) });
      await client.play();
      const player = { client, statuses, frames: 0, reading: Promise.resolve() };
      player.reading = (async () => {
        for await (const _ of client.media()) player.frames++;
      })();
      return player;
    }),
  );
  await waitFor('media on both players', () => players.every((p) => p.frames > 50), 10_000);
  await ff.stop();
  ff = publish(b.pushUrl);
  await waitFor(
    'live/demo published on B, its pull gone',
    async () => (await metricValue(http(b), 'openlive_publishers')) === 1 && (await pulling(b)) === 0,
    20_000,
  );
  const at = players.map((p) => p.frames);
  await waitFor(
    'media from the encoder on B on both players',
    () => players.every((p, i) => p.frames > at[i]! + 50),
    15_000,
  );
  for (const p of players) {
    assert.deepEqual(
      p.statuses.filter((s) => s !== 'NetStream.Play.Reset' && s !== 'NetStream.Play.Start'),
      [],
      'no UnpublishNotify: the stream never ended',
    );
  }
  // The origin followed its encoder: A now pulls from B for its own player.
  assert.equal(await pulling(a), 1);
  assert.equal(await relayPlays(b), 1);
  for (const p of players) {
    await p.client.close();
    await p.reading;
  }
});
