/**
 * Statistics end to end (docs/statistics.md): ffmpeg publishes, an RTMP player, an HTTP-FLV player and two
 * HLS players (sessions `olsid=a` and `olsid=b`) read for a few seconds; the statistics actions, called with
 * Tencent's own SDK, show the right viewers per protocol and a flux within 10 % of what the players received
 * (over a period both sides agree on: the publisher stops and every player reads to the end of its stream,
 * so no byte the server counted is left unread in a socket buffer when a player closes);
 * every statistics action answers with the SDK's fields; the history survives a restart.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type TestService } from '../support/service.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { liveClient, type LiveClient } from '../support/api-client.ts';
import { ScriptedRtmp } from '../support/scripted-rtmp.ts';
import { waitFor } from '../support/wait.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'openlive-stats-e2e-'));
// No reconnect grace: the players are ended as soon as the publisher leaves, after everything it sent.
const config = { dataDir, stats: { sampleIntervalMs: 200 }, fanout: { reconnectGraceMs: 0 } };
let svc: TestService;
let client: LiveClient & { close(): void };
let key: { secretId: string; secretKey: string };
let ff: FfmpegProcess;
const startedAt = Date.now();
const received = { rtmp: 0, flv: 0, hls: 0 };

const utc = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

before(async () => {
  svc = await startService(config);
  key = svc.service.createdCredential!;
  client = liveClient(svc.apiEndpoint, key, { reqTimeout: 15 });
  ff = publish(svc.urls('st').push.rtmp);
  await waitFor(
    'live/st online',
    async () => (await client.DescribeLiveStreamOnlineList({ StreamName: 'st' })).TotalNum === 1,
  );
});

after(async () => {
  await ff?.stop();
  client?.close();
  await svc?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Reads the FLV body until `stop` resolves, counting bytes. */
async function flvPlayer(url: string, stop: Promise<void>): Promise<void> {
  const controller = new AbortController();
  void stop.then(() => controller.abort());
  try {
    const res = await fetch(url, { signal: controller.signal });
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) received.flv += chunk.length;
  } catch {
    // aborted
  }
}

/** The playlist URL with a viewer session id (docs/statistics.md "HLS viewers"). */
function session(url: string, id: string): string {
  const u = new URL(url);
  u.searchParams.set('olsid', id);
  return u.toString();
}

/** An HLS player: reloads the playlist every second and fetches each new segment once, counting bytes. */
async function hlsPlayer(url: string, stop: () => boolean): Promise<void> {
  const seen = new Set<string>();
  while (!stop()) {
    const res = await fetch(url);
    const text = await res.text();
    // The server counts the playlists it served; a 404 after the stream ended is no HLS traffic.
    if (res.ok) {
      received.hls += Buffer.byteLength(text);
      for (const line of text.split('\n')) {
        if (!line || line.startsWith('#') || seen.has(line)) continue;
        seen.add(line);
        const seg = await fetch(new URL(line, url));
        received.hls += (await seg.arrayBuffer()).byteLength;
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

test('RTMP, HTTP-FLV and HLS players are counted per protocol, with the bytes they received', async () => {
  const play = svc.urls('st').play!;
  const rtmp = await ScriptedRtmp.open(play.rtmp);
  const id = await rtmp.createStream();
  rtmp.play(id, rtmp.url.stream);
  let stopped = false;
  let release!: () => void;
  const stop = new Promise<void>((r) => (release = r));
  const players = [
    flvPlayer(play.flv, stop),
    hlsPlayer(session(play.hls, 'a'), () => stopped),
    hlsPlayer(session(play.hls, 'b'), () => stopped),
  ];
  // Viewers per protocol while they play (the minute being sampled).
  await waitFor(
    'every player counted',
    async () => {
      const all = await client.DescribeAllStreamPlayInfoList({ QueryTime: utc(Date.now()) });
      const online = Object.fromEntries(
        (all.DataInfoList ?? []).filter((d) => d.StreamName === 'st').map((d) => [d.Protocol, d.Online]),
      );
      return online.Rtmp === 1 && online.Flv === 1 && online.Hls === 2;
    },
    30_000,
  );
  await new Promise((r) => setTimeout(r, 6000));
  // The publisher stops: the HTTP-FLV body ends and the RTMP player hears UnpublishNotify after the last
  // media, so each player has read everything the server wrote to it (a player that closes mid-stream
  // leaves bytes in flight that the server sent and counted, but the player never read).
  await ff.stop();
  await rtmp.status(id, 'NetStream.Play.UnpublishNotify', { timeoutMs: 30_000 });
  received.rtmp = rtmp.socket.bytesRead;
  await rtmp.end();
  stopped = true;
  await Promise.race([Promise.all(players.slice(0, 1)), new Promise((r) => setTimeout(r, 30_000))]);
  release();
  await Promise.all(players);
  const list = await client.DescribeStreamPlayInfoList({
    StartTime: utc(startedAt - 60_000),
    EndTime: utc(Date.now()),
    StreamName: 'st',
  });
  const fluxMb = (list.DataInfoList ?? []).reduce((n, d) => n + (d.Flux ?? 0), 0);
  const total = received.rtmp + received.flv + received.hls;
  const counted = fluxMb * 1048576;
  assert.ok(total > 50_000, `the players received media (${total} bytes)`);
  assert.ok(
    Math.abs(counted - total) / total < 0.1,
    `flux ${Math.round(counted)} bytes within 10 % of the ${total} bytes received (${JSON.stringify(received)})`,
  );
  assert.ok(
    (list.DataInfoList ?? []).some((d) => (d.Online ?? 0) === 4),
    'four viewers at the peak minute',
  );
  assert.ok((list.DataInfoList ?? []).reduce((n, d) => n + (d.Request ?? 0), 0) >= 4, 'four plays started');
  // Every protocol's player feeds the per-address flux (all of them are 127.0.0.1 here).
  const ips = await client.DescribeTopClientIpSumInfoList({
    StartTime: utc(startedAt - 60_000),
    EndTime: utc(Date.now()),
  });
  const local = (ips.DataInfoList ?? []).find((d) => d.ClientIp === '127.0.0.1');
  assert.ok(
    Math.abs((local?.TotalFlux ?? 0) * 1048576 - total) / total < 0.1,
    `127.0.0.1's flux ${local?.TotalFlux} MB is what its players received (${total} bytes)`,
  );
  assert.ok((local?.TotalRequest ?? 0) >= 4, 'its four plays');
});

test('every statistics action answers through the SDK with Tencent fields', async () => {
  const now = Date.now();
  const window = { StartTime: utc(now - 3_600_000), EndTime: utc(now) };
  const push = await client.DescribeStreamPushInfoList({ ...window, StreamName: 'st' });
  assert.ok((push.DataInfoList ?? []).length >= 1);
  const q = push.DataInfoList![0]!;
  assert.equal(q.AppName, 'live');
  assert.equal(q.Resolution, '320*240');
  assert.ok((q.VideoRate ?? 0) > 0 && (q.VideoFps ?? 0) > 0);
  assert.match(q.Time ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/);

  // Beijing time in, Beijing time out.
  const bj = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
  const plays = await client.DescribeStreamPlayInfoList({ StartTime: bj(now - 300_000), EndTime: bj(now) });
  assert.match(plays.DataInfoList?.[0]?.Time ?? '', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:00$/);

  const day = await client.DescribeStreamDayPlayInfoList({ DayTime: bj(now).slice(0, 10) });
  assert.equal(day.DataInfoList?.[0]?.StreamName, 'st');
  assert.ok((day.DataInfoList?.[0]?.TotalFlux ?? 0) > 0);
  assert.equal(day.TotalNum, 1);

  const domain = await client.DescribeLiveDomainPlayInfoList({});
  assert.equal(typeof domain.TotalBandwidth, 'number');
  assert.ok(Array.isArray(domain.DomainInfoList));

  const bill = await client.DescribeBillBandwidthAndFluxList({ ...window, Granularity: 5 });
  assert.ok((bill.SumFlux ?? 0) > 0);
  assert.ok((bill.PeakBandwidth ?? 0) > 0);
  assert.equal(bill.DataInfoList?.length, 13);
  const pushBill = await client.DescribePushBandwidthAndFluxList({ ...window, Granularity: 60 });
  assert.ok((pushBill.SumFlux ?? 0) > 0);

  const top = await client.DescribeVisitTopSumInfoList({ ...window, TopIndex: 'StreamId' });
  assert.equal(top.DataInfoList?.[0]?.Name, 'st');
  assert.ok((top.DataInfoList?.[0]?.TotalRequest ?? 0) >= 4);
  const ips = await client.DescribeTopClientIpSumInfoList({ ...window });
  assert.ok((ips.DataInfoList ?? []).some((d) => d.ClientIp === '127.0.0.1'));
  const rec = await client.DescribeConcurrentRecordStreamNum({ ...window, LiveType: 'NormalLive' });
  assert.equal(rec.DataInfoList?.length, 61);
  assert.ok(
    (rec.DataInfoList ?? []).every((d) => d.Num === 0),
    'nothing was recorded',
  );
  await assert.rejects(
    client.DescribeVisitTopSumInfoList({ ...window, TopIndex: 'Nope' }),
    (err: { code?: string }) => err.code === 'InvalidParameterValue',
  );
});

test('the history survives a restart', async () => {
  const before = await client.DescribeStreamPlayInfoList({
    StartTime: utc(startedAt - 60_000),
    EndTime: utc(Date.now()),
    StreamName: 'st',
  });
  const flux = (l: typeof before) => (l.DataInfoList ?? []).reduce((n, d) => n + (d.Flux ?? 0), 0);
  await ff.stop();
  client.close();
  await svc.close();
  svc = await startService(config);
  client = liveClient(svc.apiEndpoint, key, { reqTimeout: 15 });
  const afterRestart = await client.DescribeStreamPlayInfoList({
    StartTime: utc(startedAt - 60_000),
    EndTime: utc(Date.now()),
    StreamName: 'st',
  });
  assert.ok(
    flux(afterRestart) >= flux(before) * 0.99,
    `${flux(afterRestart)} MB after the restart, ${flux(before)} MB before`,
  );
  assert.ok(flux(afterRestart) > 0);
});
