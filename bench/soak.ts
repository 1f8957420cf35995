// The long soak: rounds of publish/unpublish cycles and stalled players against a real openlive process,
// printing its live memory and handles after each round (after a full GC), so a leak shows as a trend:
//   node bench/soak.ts [--cycles 1000] [--players 200] [--seconds 600] [--workers 4] [--stall-ms 3000]
// Rounds repeat until --seconds have passed (at least one). test/attack/soak.test.ts is the short form in CI.
import { parseArgs } from 'node:util';
import { startServerProcess } from '../test/support/server-process.ts';
import { processHook } from '../test/support/process-hook.ts';
import { metricValue } from '../test/support/metrics.ts';
import { waitFor } from '../test/support/wait.ts';
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
  type ProcessFigures,
  type StalledPlayer,
} from '../test/support/soak.ts';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '1000' },
    players: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '600' },
    workers: { type: 'string', default: '4' },
    'stall-ms': { type: 'string', default: '3000' },
  },
});
const cycles = Number(values.cycles);
const players = Number(values.players);
const seconds = Number(values.seconds);
const workers = Number(values.workers);

const server = await startServerProcess(
  ['--fanout.stallTimeoutMs', values['stall-ms'], '--fanout.maxQueueBytes', '1048576', '--http.playWaitMs', '2000'],
  { nodeArgs: ['--expose-gc', '--import', processHook('gc')] },
);
const http = `http://127.0.0.1:${server.httpPort}`;
const row = (label: string, f: ProcessFigures, extra = ''): void =>
  console.log(
    `${label.padEnd(10)} heap ${mib(f.heapUsed).padStart(10)}  external ${mib(f.external).padStart(10)}  rss ${mib(f.rss).padStart(10)}  sockets ${String(f.sockets).padStart(4)}  handles ${String(f.handles).padStart(4)}  budget ${mib(f.budgetUsed)}${extra}`,
  );
try {
  const urls = Array.from({ length: workers }, (_, i) => signedPushUrl(server, `c${i}`));
  await publishCycles(urls, 40);
  await waitFor('the warm-up to settle', () => serverIdle(server));
  const baseline = await measure(server);
  row('baseline', baseline);
  const started = Date.now();
  for (let round = 1; round === 1 || Date.now() - started < seconds * 1000; round++) {
    const roundStart = Date.now();
    let worst = 0;
    const probe = setInterval(
      () =>
        void healthMs(server).then(
          (ms) => (worst = Math.max(worst, ms)),
          () => (worst = Infinity),
        ),
      250,
    );
    const feeder = new Feeder();
    const stalled: StalledPlayer[] = [];
    let failed = 0;
    try {
      await feeder.start(signedPushUrl(server, 'feed'));
      for (let i = 0; i < players; i++)
        stalled.push(await (i % 2 === 0 ? stalledRtmpPlayer(server, 'feed') : stalledFlvPlayer(server, 'feed')));
      failed = (await publishCycles(urls, cycles)).failed.length;
      await waitFor(
        'the stalled players closed',
        async () => (await metricValue(http, 'openlive_subscribers')) === 0,
        300_000,
      );
    } finally {
      clearInterval(probe);
      await feeder.stop();
      for (const p of stalled) p.destroy();
    }
    await waitFor('the server idle', () => serverIdle(server), 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    const after = await measure(server);
    row(
      `round ${round}`,
      after,
      `  (${cycles} cycles, ${failed} failed, ${players} stalled players, ${((Date.now() - roundStart) / 1000).toFixed(1)} s, worst /healthz ${worst.toFixed(0)} ms)`,
    );
  }
  const stalledTotal = await metricValue(http, 'openlive_stalled_players_total');
  console.log(
    `stalled players closed by the server: ${stalledTotal}; refusals: play ${await metricValue(http, 'openlive_memory_budget_refusals_total', { kind: 'play' })}, publish ${await metricValue(http, 'openlive_memory_budget_refusals_total', { kind: 'publish' })}`,
  );
} finally {
  const code = await server.stop(15_000);
  console.log(`server exited with ${code}`);
}
