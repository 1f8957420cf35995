/**
 * `node src/main.ts --workers 2` as a user runs it (docs/cluster.md "Worker processes"): two worker processes
 * on the shared ports, coordinated by the primary over IPC. One publisher per stream across both workers
 * (18/601 on the other), ForbidLiveStream through the API reaching whichever worker holds the publisher,
 * kill -9 of that worker (the primary restarts it; the encoder publishes again after the lease), players
 * spread over both workers, and SIGTERM to the primary ending every worker cleanly.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { ScriptedRtmp } from '../support/scripted-rtmp.ts';
import { liveClient } from '../support/api-client.ts';
import { waitFor } from '../support/wait.ts';
import { execFileSync } from 'node:child_process';
import { FlvReader } from '../support/flv-reader.ts';
import { workerLoad, type WorkerLoad } from '../support/worker-load.ts';
import { MediaType } from '../../src/protocol/media.ts';

const leaseMs = 1500;
let server: ServerProcess;
const running: FfmpegProcess[] = [];

/** What each worker serves, by the primary's latest "worker load" line. */
const load = (): WorkerLoad[] => workerLoad(server.output());

/** The log lines of the primary and workers that carry `msg`. */
function logged(msg: string): Record<string, unknown>[] {
  return server
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes(`"msg":"${msg}`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Each worker's private RTMP address, from the primary's "worker ready" lines (latest per node). */
function advertised(): Map<string, string> {
  return new Map(logged('worker ready').map((l) => [String(l.nodeId), String(l.advertise)]));
}

/** A signed push URL for `stream` on the shared RTMP port (`openlive url` on the running server's data dir). */
function pushUrl(stream: string): string {
  const main = new URL('../../src/main.ts', import.meta.url).pathname;
  const out = execFileSync(
    process.execPath,
    [main, 'url', '--data-dir', server.dataDir, '--stream', stream, '--json'],
    { encoding: 'utf8' },
  );
  return `rtmp://127.0.0.1:${server.rtmpPort}/live/${(JSON.parse(out) as { push: { obsStreamKey: string } }).push.obsStreamKey}`;
}

/** The streams with an open publish record (`openlive records --json` on the server's data dir). */
function openRecords(): string[] {
  const main = new URL('../../src/main.ts', import.meta.url).pathname;
  const out = execFileSync(
    process.execPath,
    [main, 'records', '--data-dir', server.dataDir, '--limit', '50', '--json'],
    { encoding: 'utf8' },
  );
  const { records } = JSON.parse(out) as { records: Array<{ stream: string; endedAt?: number | null }> };
  return records.filter((r) => r.endedAt === undefined || r.endedAt === null).map((r) => r.stream);
}

function urlOn(address: string, url: string): string {
  const u = new URL(url);
  u.host = address;
  return u.toString();
}

before(async () => {
  server = await startServerProcess(
    ['--log.level', 'info', '--cluster.leaseMs', String(leaseMs), '--cluster.nodeId', 'box'],
    { workers: 2 },
  );
});

after(async () => {
  await Promise.all(running.map((ff) => ff.stop()));
  await server?.stop(15_000);
});

test('two workers start as nodes box-w1 and box-w2; the banner is printed once', () => {
  assert.deepEqual(Object.keys(server.workerPids()).sort(), ['box-w1', 'box-w2']);
  assert.equal(server.output().split('openlive is running').length, 2, 'one banner');
  const addresses = [...advertised().values()];
  assert.equal(addresses.length, 2);
  assert.notEqual(addresses[0], addresses[1], 'each worker has its own RTMP listener');
  for (const a of addresses) assert.match(a, /^127\.0\.0\.1:\d+$/);
});

test('a stream published on one worker is refused with 18/601 on the other (and on the shared port)', async () => {
  const dupUrl = pushUrl('dup');
  const ff = publish(dupUrl);
  running.push(ff);
  await waitFor('one worker holds live/dup', () => load().some((w) => w.publishers === 1), 20_000);
  const holder = load().find((w) => w.publishers === 1)!;
  const other = [...advertised()].find(([nodeId]) => nodeId !== holder.nodeId)![1];
  const urls = [urlOn(other, dupUrl), dupUrl, dupUrl];
  for (const url of urls) {
    const second = await ScriptedRtmp.open(url);
    const id = await second.createStream();
    second.publish(id, second.url.stream);
    const status = await second.status(id, 'NetStream.Publish.BadName', { orError: true });
    assert.match(String(status.description), /^18\/601: /, `refused at ${url}`);
    await second.end();
  }
  assert.equal(
    load().reduce((n, w) => n + w.publishers, 0),
    1,
  );
  await ff.stop();
  await waitFor('live/dup ended', () => load().every((w) => w.publishers === 0), 10_000);
});

test('ForbidLiveStream through the shared API port drops the publisher on whichever worker holds it', async () => {
  assert.ok(server.secretId && server.secretKey);
  const domain = /signed for push domain (\S+),/.exec(server.output())![1]!;
  for (const round of [1, 2]) {
    const stream = `forbid${round}`;
    const ff = publish(pushUrl(stream));
    running.push(ff);
    await waitFor(`${stream} live`, () => load().some((w) => w.publishers === 1), 20_000);
    // A new client (connection) per round: the primary hands connections to the workers in turn.
    const client = liveClient(`127.0.0.1:${server.apiPort}`, {
      secretId: server.secretId,
      secretKey: server.secretKey,
    });
    try {
      await client.ForbidLiveStream({
        DomainName: domain,
        AppName: 'live',
        StreamName: stream,
        Reason: 'workers test',
      });
      await waitFor('the publisher dropped', () => ff.child.exitCode !== null || ff.child.signalCode !== null, 10_000);
      await waitFor('no publisher left', () => load().every((w) => w.publishers === 0), 10_000);
    } finally {
      client.close();
    }
  }
});

test('kill -9 of the worker holding the stream: the primary restarts it, the encoder publishes again after the lease', async () => {
  const url = pushUrl('crash');
  const ff = publish(url);
  running.push(ff);
  await waitFor('live/crash held', () => load().some((w) => w.publishers === 1), 20_000);
  const holder = load().find((w) => w.publishers === 1)!;
  // A stream on the other worker (published on its private listener) must live through its sibling's crash.
  const sibling = [...advertised()].find(([nodeId]) => nodeId !== holder.nodeId)!;
  const siblingFf = publish(urlOn(sibling[1], pushUrl('sibling')));
  running.push(siblingFf);
  await waitFor('live/sibling open on the other worker', () => openRecords().includes('sibling'), 20_000);
  const readyBefore = logged('worker ready').length;
  const pid = Number(
    logged('worker ready')
      .filter((l) => l.nodeId === holder.nodeId)
      .at(-1)!.pid,
  );
  process.kill(pid, 'SIGKILL');
  await waitFor('ffmpeg saw the stream end', () => ff.child.exitCode !== null || ff.child.signalCode !== null, 10_000);
  await waitFor('the primary restarted the worker', () => logged('worker ready').length > readyBefore, 30_000);
  assert.equal(logged('a worker died: restarting it').length, 1);
  const restarted = logged('worker ready').at(-1)!;
  assert.equal(restarted.nodeId, holder.nodeId, 'the slot keeps its node id');
  assert.notEqual(Number(restarted.pid), pid);
  // The restarted worker ended its own open record (5/0), not its live sibling's (one SQLite file).
  assert.equal(openRecords().includes('crash'), false, "the dead worker's record was ended on its restart");
  assert.ok(openRecords().includes('sibling'), "the sibling's record is still open");
  assert.equal(siblingFf.child.exitCode, null, 'the encoder on the other worker goes on');
  // The encoder reconnects like OBS: again and again until admitted (refused 18/601 while the lease runs).
  const started = Date.now();
  let again: FfmpegProcess | undefined;
  await waitFor(
    'published again',
    async () => {
      if (again && again.child.exitCode === null && load().some((w) => w.publishers === 1)) return true;
      if (!again || again.child.exitCode !== null) {
        again = publish(url);
        running.push(again);
      }
      return false;
    },
    30_000,
  );
  assert.ok(Date.now() - started < 30_000);
  await again!.stop();
});

test('RTMP and HTTP-FLV players over the shared ports land on both workers and each gets the stream; one relay per worker', async () => {
  const ff = publish(server.pushUrl);
  running.push(ff);
  await waitFor('live/demo held', () => load().some((w) => w.publishers === 1), 20_000);
  const holder = load().find((w) => w.publishers === 1)!;
  const relaysBefore = logged('relay play granted').length;
  const flvUrl = /HTTP-FLV\s+(\S+)/.exec(server.output())![1]!;
  const rtmpPlayers = await Promise.all(
    Array.from({ length: 10 }, async () => {
      const p = await ScriptedRtmp.open(server.pushUrl.replace(/\?.*$/, ''));
      const id = await p.createStream();
      p.play(id, 'demo');
      return { p, id };
    }),
  );
  const flvPlayers = await Promise.all(Array.from({ length: 10 }, () => FlvReader.open(flvUrl, 20_000)));
  try {
    await waitFor('players on both workers', () => load().every((w) => w.players > 0), 20_000);
    const onHolder = load().find((w) => w.nodeId === holder.nodeId)!.players;
    assert.ok(onHolder > 0 && onHolder < 20, `${onHolder} of 20 players on the publisher's worker`);
    // Every player, whichever worker it landed on, gets video: the other worker pulls it from the holder.
    await waitFor(
      'every RTMP player has video',
      () => rtmpPlayers.every(({ p, id }) => p.media(id).some((m) => m.type === MediaType.Video)),
      20_000,
    );
    const before = flvPlayers.map((f) => f.bytes);
    await waitFor(
      'every HTTP-FLV player keeps receiving',
      () => flvPlayers.every((f, i) => f.bytes > before[i]! + 20_000),
      20_000,
    );
    // One pull by the other worker however many of its players (the origin logs each relay play it grants).
    assert.equal(logged('relay play granted').length - relaysBefore, 1, 'one relay play from the other worker');
  } finally {
    for (const f of flvPlayers) f.close();
    await Promise.all(rtmpPlayers.map(({ p }) => p.end()));
    await ff.stop();
  }
});

test('SIGTERM to the primary drains every worker and exits 0', async () => {
  const pids = logged('worker ready').map((l) => Number(l.pid));
  const alive = pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  assert.equal(alive.length, 2);
  const code = await server.stop(15_000);
  assert.equal(code, 0);
  assert.equal(logged('drained: exiting').length, 2, 'both workers drained');
  for (const pid of alive) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
});
