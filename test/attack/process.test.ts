/**
 * The process as a supervisor sees it, against a real `node src/main.ts`: faults that reach a
 * process-level handler (a known code goes on, the unknown exits 70), the SIGTERM drain (exit 0, records
 * 10/0, players told), a stuck drain (deadline 124, second signal 130), and the memory budget refusing
 * new players and publishers while the live ones go on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { get, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { connect } from 'node:net';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { processHook } from '../support/process-hook.ts';
import { metricValue, connectionErrors } from '../support/metrics.ts';
import { waitFor } from '../support/wait.ts';
import { publish } from '../support/ffmpeg.ts';
import { ScriptedRtmp } from '../support/scripted-rtmp.ts';
import { MediaType, mediaMessage } from '../../src/protocol/media.ts';
import { SqliteStore, sqliteFileIn } from '../../src/store/sqlite-store.ts';

const main = new URL('../../src/main.ts', import.meta.url).pathname;
const http = (s: ServerProcess): string => `http://127.0.0.1:${s.httpPort}`;
const exited = (s: ServerProcess, ms = 15_000): Promise<void> =>
  waitFor('the server to exit', () => s.child.exitCode !== null || s.child.signalCode !== null, ms);

async function healthy(s: ServerProcess): Promise<void> {
  const started = Date.now();
  const res = await fetch(`${http(s)}/healthz`);
  assert.equal(res.status, 200);
  assert.ok(Date.now() - started < 1000, 'healthz answers at once');
}

/** A signed push URL for another stream, from the CLI over the server's data dir (as an operator would). */
function pushUrlFor(s: ServerProcess, stream: string): string {
  const out = execFileSync(process.execPath, [main, 'url', '--data-dir', s.dataDir, '--stream', stream, '--json'], {
    encoding: 'utf8',
  });
  return `rtmp://127.0.0.1:${s.rtmpPort}/live/${(JSON.parse(out) as { push: { obsStreamKey: string } }).push.obsStreamKey}`;
}

test('a rejected LiveError with a known code is logged with its code and counted; the process goes on', async () => {
  const server = await startServerProcess([], { nodeArgs: ['--import', processHook('live')] });
  try {
    server.child.kill('SIGUSR2');
    await waitFor(
      'the fault in /metrics',
      async () =>
        (await metricValue(http(server), 'openlive_process_faults_total', {
          code: 'RTMP_STATE',
          kind: 'unhandledRejection',
        })) === 1,
    );
    await healthy(server);
    assert.match(server.output(), /"code":"RTMP_STATE".*"source":"unhandledRejection".*the process goes on/);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

for (const mode of ['plain', 'exception'] as const) {
  test(`an unknown fault (${mode === 'plain' ? 'a rejected plain Error' : 'an uncaught exception'}) is logged as fatal and exits 70`, async () => {
    const server = await startServerProcess([], { nodeArgs: ['--import', processHook(mode)] });
    try {
      await healthy(server);
      server.child.kill('SIGUSR2');
      await exited(server);
      assert.equal(server.child.exitCode, 70);
      const source = mode === 'plain' ? 'unhandledRejection' : 'uncaughtException';
      assert.match(
        server.output(),
        new RegExp(`"level":60.*"code":"UNKNOWN".*"source":"${source}".*exiting so a supervisor restarts`),
      );
    } finally {
      await server.stop();
    }
  });
}

/** An HTTP-FLV player that reads everything and tells whether the body ended cleanly. */
async function flvPlayer(url: string): Promise<{ bytes: () => number; ended: Promise<'end' | 'aborted'> }> {
  const req = get(url, { agent: false });
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  assert.equal(res.statusCode, 200);
  let bytes = 0;
  res.on('data', (d: Buffer) => (bytes += d.length));
  const ended = new Promise<'end' | 'aborted'>((resolve) => {
    res.once('end', () => resolve('end'));
    res.once('aborted', () => resolve('aborted'));
    res.once('error', () => resolve('aborted'));
  });
  return { bytes: () => bytes, ended };
}

test('SIGTERM drains: players are told, the publish record ends 10/0, the process exits 0 within the deadline', async () => {
  const server = await startServerProcess(['--limits.shutdownTimeoutMs', '10000']);
  const ff = publish(server.pushUrl);
  try {
    await waitFor(
      'the stream to be live',
      async () => (await fetch(`${http(server)}/live/demo.flv`, { method: 'HEAD' })).status === 200,
      20_000,
    );
    const flv = await flvPlayer(`${http(server)}/live/demo.flv`);
    const rtmp = await ScriptedRtmp.open(`rtmp://127.0.0.1:${server.rtmpPort}/live`);
    const streamId = await rtmp.createStream();
    rtmp.play(streamId, 'demo');
    await rtmp.status(streamId, 'NetStream.Play.Start');
    await waitFor('media to the FLV player', () => flv.bytes() > 10_000);
    const from = rtmp.events.length;
    const started = Date.now();
    server.child.kill('SIGTERM');
    await exited(server, 15_000);
    assert.equal(server.child.exitCode, 0, server.output());
    assert.ok(Date.now() - started < 10_000, `drained in ${Date.now() - started} ms`);
    assert.equal(await flv.ended, 'end', 'the HTTP-FLV body ended cleanly');
    await rtmp.status(streamId, 'NetStream.Play.UnpublishNotify', { from, timeoutMs: 1000 });
    const store = new SqliteStore({ file: sqliteFileIn(server.dataDir) });
    const records = await store.listPublishRecords({ limit: 10 });
    await store.close();
    assert.equal(records.items.length, 1);
    assert.equal(records.items[0]!.breakCode, '10/0');
    assert.ok(records.items[0]!.endedAt !== null);
  } finally {
    await ff.stop();
    await server.stop();
  }
});

test('a drain that hangs: past limits.shutdownTimeoutMs the process exits 124; a second signal exits at once with 130', async () => {
  const slow = await startServerProcess(['--limits.shutdownTimeoutMs', '1000'], {
    nodeArgs: ['--import', processHook('stall')],
  });
  const stuck = await startServerProcess(['--limits.shutdownTimeoutMs', '600000'], {
    nodeArgs: ['--import', processHook('stall')],
  });
  try {
    const started = Date.now();
    slow.child.kill('SIGTERM');
    stuck.child.kill('SIGTERM');
    await exited(slow, 10_000);
    assert.equal(slow.child.exitCode, 124);
    assert.ok(Date.now() - started >= 1000);
    assert.match(slow.output(), /did not finish within limits.shutdownTimeoutMs/);
    assert.equal(stuck.child.exitCode, null, 'still draining');
    const second = Date.now();
    stuck.child.kill('SIGINT');
    await exited(stuck, 5000);
    assert.equal(stuck.child.exitCode, 130);
    assert.ok(Date.now() - second < 5000);
  } finally {
    await slow.stop();
    await stuck.stop();
  }
});

test('past limits.memoryBudgetBytes new players and publishers are refused with MEMORY_BUDGET_EXCEEDED; the live stream goes on', async () => {
  const server = await startServerProcess(['--limits.memoryBudgetBytes', '262144', '--http.playWaitMs', '500']);
  const pub = await ScriptedRtmp.open(server.pushUrl);
  try {
    const streamId = await pub.createStream();
    pub.publish(streamId, pub.url.stream);
    await pub.status(streamId, 'NetStream.Publish.Start');
    // One 300 KB keyframe: the GOP cache alone holds more than the budget.
    const big = Buffer.alloc(300_000);
    big[0] = 0x17;
    big[1] = 1;
    pub.sendMedia(streamId, mediaMessage(MediaType.Video, 0, big));
    await waitFor(
      'the GOP in the budget',
      async () => (await metricValue(http(server), 'openlive_memory_used_bytes', { source: 'gopCaches' })) >= 300_000,
    );

    const flv = await fetch(`${http(server)}/live/demo.flv`);
    assert.equal(flv.status, 429);
    assert.equal(((await flv.json()) as { code: string }).code, 'MEMORY_BUDGET_EXCEEDED');

    const hls = await fetch(`${http(server)}/live/demo.m3u8`);
    assert.equal(hls.status, 429, 'no new HLS segmenter past the budget');
    assert.equal(((await hls.json()) as { code: string }).code, 'MEMORY_BUDGET_EXCEEDED');

    const player = await ScriptedRtmp.open(`rtmp://127.0.0.1:${server.rtmpPort}/live`);
    const playId = await player.createStream();
    player.play(playId, 'demo');
    const playStatus = await player.status(playId, 'NetStream.Play.Failed', { orError: true });
    assert.match(String(playStatus.description), /^18\/100: MEMORY_BUDGET_EXCEEDED: /, 'the player reads why');
    assert.ok(await player.closedWithin(5000), 'the RTMP player is refused');
    assert.ok((await connectionErrors(http(server), 'MEMORY_BUDGET_EXCEEDED')) >= 1);

    const other = await ScriptedRtmp.open(pushUrlFor(server, 'other'));
    const otherId = await other.createStream();
    other.publish(otherId, other.url.stream);
    const publishStatus = await other.status(otherId, 'NetStream.Publish.BadName', { orError: true });
    assert.match(String(publishStatus.description), /^18\/100: MEMORY_BUDGET_EXCEEDED: /, 'the encoder reads why');
    assert.ok(await other.closedWithin(5000), 'the second publisher is refused');

    assert.equal(await metricValue(http(server), 'openlive_memory_budget_refusals_total', { kind: 'play' }), 3);
    assert.equal(await metricValue(http(server), 'openlive_memory_budget_refusals_total', { kind: 'publish' }), 1);
    await healthy(server);
    // The live publisher is unaffected; once it leaves the memory is free and players are admitted again.
    assert.ok(!pub.destroyed);
    assert.equal(await metricValue(http(server), 'openlive_publishers'), 1);
    await pub.end();
    await waitFor(
      'the GOP freed',
      async () => (await metricValue(http(server), 'openlive_memory_used_bytes', { source: 'gopCaches' })) === 0,
    );
    const after = await fetch(`${http(server)}/live/demo.flv`);
    assert.equal(
      ((await after.json()) as { code: string }).code,
      'STREAM_NOT_FOUND',
      'admitted, then told the stream is not live',
    );
  } finally {
    pub.socket.destroy();
    assert.equal(await server.stop(), 0);
  }
});

test('the drain stops every listener first: new RTMP and HTTP connections are refused while the live player is told', async () => {
  const { startService } = await import('../support/service.ts');
  const svc = await startService();
  const pub = await ScriptedRtmp.open(svc.urls('drain').push.rtmp);
  try {
    const id = await pub.createStream();
    pub.publish(id, pub.url.stream);
    await pub.status(id, 'NetStream.Publish.Start');
    const flv = await flvPlayer(`${svc.httpUrl}/live/drain.flv`);
    const closing = svc.service.close();
    const refused = (port: number): Promise<string> =>
      new Promise((resolve) => {
        const s = connect({ host: '127.0.0.1', port });
        s.once('connect', () => (s.destroy(), resolve('accepted')));
        s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
    assert.equal(await refused(svc.service.rtmpPort), 'ECONNREFUSED');
    assert.equal(await refused(svc.service.httpPort), 'ECONNREFUSED');
    assert.equal(await refused(svc.service.apiPort), 'ECONNREFUSED');
    await closing;
    assert.equal(await flv.ended, 'end');
    assert.ok(await pub.closedWithin(2000), 'the publisher is disconnected');
  } finally {
    pub.socket.destroy();
    await svc.close();
  }
});
