/**
 * The short soak (CI): against a real server process, 1000 scripted publish/unpublish cycles and 200
 * players that connect, play and never read (half RTMP, half HTTP-FLV) while a feeder keeps media
 * flowing to them. Afterwards the server holds no connection, player or stream, its live handles are
 * back to the baseline (+2 for the scrapes' own sockets) and its heap and external memory after a full
 * GC are within 24 MiB of the baseline, RSS within 256 MiB (docs/security.md). The long form is bench/soak.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServerProcess } from '../support/server-process.ts';
import { processHook } from '../support/process-hook.ts';
import { metricValue } from '../support/metrics.ts';
import { waitFor } from '../support/wait.ts';
import {
  Feeder,
  healthMs,
  measure,
  mib,
  publishCycles,
  serverIdle,
  signedPushUrl,
  stalledFlvPlayer,
  stalledRtmpPlayer,
  type StalledPlayer,
} from '../support/soak.ts';

const cycles = 1000;
const players = 200;
const memoryToleranceBytes = 24 * 1024 * 1024;

test(
  `soak: ${cycles} publish cycles and ${players} stalled players leave memory and handles at the baseline`,
  { timeout: 300_000 },
  async () => {
    const server = await startServerProcess(
      // Every player comes from 127.0.0.1: trusted, so the per-address caps (tested in rtmp-session and http) stay out of the soak.
      [
        '--fanout.stallTimeoutMs',
        '3000',
        '--fanout.maxQueueBytes',
        '1048576',
        '--http.playWaitMs',
        '2000',
        '--limits.trustedNetworks',
        '127.0.0.1',
      ],
      { nodeArgs: ['--expose-gc', '--import', processHook('gc')] },
    );
    const http = `http://127.0.0.1:${server.httpPort}`;
    const stalled: StalledPlayer[] = [];
    const feeder = new Feeder();
    try {
      const urls = ['c0', 'c1', 'c2', 'c3'].map((s) => signedPushUrl(server, s));
      // Warm-up: lazily loaded modules, JIT, SQLite pages, then the baseline.
      await publishCycles(urls, 40);
      await waitFor('the warm-up to settle', () => serverIdle(server));
      const baseline = await measure(server);

      let worstHealthMs = 0;
      const probe = setInterval(() => {
        healthMs(server).then(
          (ms) => (worstHealthMs = Math.max(worstHealthMs, ms)),
          () => (worstHealthMs = Infinity),
        );
      }, 250);
      try {
        await feeder.start(signedPushUrl(server, 'feed'));
        for (let i = 0; i < players; i++)
          stalled.push(await (i % 2 === 0 ? stalledRtmpPlayer(server, 'feed') : stalledFlvPlayer(server, 'feed')));
        const run = await publishCycles(urls, cycles);
        assert.equal(run.done, cycles);
        assert.deepEqual(run.failed.slice(0, 3), [], `${run.failed.length} cycles failed`);
        // The server closes every stalled player itself (SUBSCRIBER_STALLED) while media flows; the
        // clients never read again, so they would not even see the close: the server's view is what counts.
        await waitFor(
          'the stalled players closed by the server',
          async () => (await metricValue(http, 'openlive_subscribers')) === 0,
          120_000,
        );
        assert.equal(await metricValue(http, 'openlive_stalled_players_total'), players);
        assert.equal(
          await metricValue(http, 'openlive_connection_errors_total', { code: 'SUBSCRIBER_STALLED' }),
          players / 2,
        );
      } finally {
        clearInterval(probe);
        await feeder.stop();
        for (const p of stalled) p.destroy();
      }
      await waitFor('the server idle', () => serverIdle(server), 30_000);
      assert.equal(await metricValue(http, 'openlive_memory_budget_refusals_total', { kind: 'publish' }), 0);
      assert.equal(await metricValue(http, 'openlive_memory_budget_refusals_total', { kind: 'play' }), 0);
      // Sockets closing and freed buffers take a moment; the figures are taken once they settle.
      let after = await measure(server);
      for (
        let i = 0;
        i < 20 &&
        (after.sockets > baseline.sockets + 2 ||
          after.heapUsed > baseline.heapUsed + memoryToleranceBytes ||
          after.external > baseline.external + memoryToleranceBytes);
        i++
      ) {
        await new Promise((r) => setTimeout(r, 500));
        after = await measure(server);
      }
      const line = (k: keyof typeof baseline): string =>
        `${k} ${k === 'sockets' || k === 'handles' ? baseline[k] : mib(baseline[k])} -> ${k === 'sockets' || k === 'handles' ? after[k] : mib(after[k])}`;
      console.log(
        `soak figures: ${(['heapUsed', 'external', 'rss', 'sockets', 'handles', 'budgetUsed'] as const).map(line).join(', ')}; worst /healthz ${worstHealthMs.toFixed(0)} ms`,
      );
      assert.equal(after.budgetUsed, 0);
      assert.ok(after.sockets <= baseline.sockets + 2, `sockets ${baseline.sockets} -> ${after.sockets}`);
      assert.ok(after.handles <= baseline.handles + 4, `handles ${baseline.handles} -> ${after.handles}`);
      assert.ok(
        after.heapUsed <= baseline.heapUsed + memoryToleranceBytes,
        `heap ${mib(baseline.heapUsed)} -> ${mib(after.heapUsed)}`,
      );
      assert.ok(
        after.external <= baseline.external + memoryToleranceBytes,
        `external ${mib(baseline.external)} -> ${mib(after.external)}`,
      );
      // RSS is reported, bounded loosely: glibc keeps freed pages mapped, so it rarely falls back.
      assert.ok(after.rss <= baseline.rss + 256 * 1024 * 1024, `rss ${mib(baseline.rss)} -> ${mib(after.rss)}`);
      assert.ok(worstHealthMs < 2000, `/healthz took ${worstHealthMs} ms at worst`);
    } finally {
      assert.equal(await server.stop(10_000), 0);
    }
  },
);

test('players that never read and whose stream ends do not keep their sockets', { timeout: 120_000 }, async () => {
  const server = await startServerProcess(['--fanout.stallTimeoutMs', '5000'], {
    nodeArgs: ['--expose-gc', '--import', processHook('gc')],
  });
  const http = `http://127.0.0.1:${server.httpPort}`;
  const feeder = new Feeder();
  const stalled: StalledPlayer[] = [];
  try {
    const baseline = await measure(server);
    await feeder.start(signedPushUrl(server, 'feed'));
    for (let i = 0; i < 20; i++)
      stalled.push(await (i % 2 === 0 ? stalledRtmpPlayer(server, 'feed') : stalledFlvPlayer(server, 'feed')));
    // Enough media to fill the players' kernel buffers and leave bytes unsent in the server's sockets,
    // but the publisher leaves before the stall timeout: no more media comes to notice the stall by.
    await waitFor('media to pile up', () => feeder.sent > 12 * 1024 * 1024, 60_000);
    await feeder.stop();
    assert.equal(await metricValue(http, 'openlive_stalled_players_total'), 0, 'none closed while media flowed');
    // HTTP-FLV: the ended body is cut after its grace. RTMP players wait for the next publisher, as RTMP
    // players do (the connection caps bound them); one stuck with bytes the kernel would not take is
    // closed by the hub's stall check without media (src/hub/stream.test.ts), the others hold no memory.
    await waitFor(
      'the server to let go of the FLV sockets',
      async () => (await measure(server)).sockets <= baseline.sockets + 2 + 10,
      30_000,
    );
    assert.equal(await metricValue(http, 'openlive_http_flv_players'), 0);
    assert.equal(
      (await metricValue(http, 'openlive_subscribers')) + (await metricValue(http, 'openlive_stalled_players_total')),
      10,
    );
    const after = await measure(server);
    assert.equal(after.budgetUsed, 0);
    assert.ok(
      after.external <= baseline.external + memoryToleranceBytes,
      `external ${mib(baseline.external)} -> ${mib(after.external)}`,
    );
    for (const p of stalled) p.destroy();
    await waitFor('every socket closed', async () => (await measure(server)).sockets <= baseline.sockets + 2, 30_000);
  } finally {
    for (const p of stalled) p.destroy();
    await server.stop(10_000);
  }
});
