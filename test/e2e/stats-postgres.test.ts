/**
 * The statistics table on a real PostgreSQL (store/postgres-stats-store.ts): two nodes write their own rows
 * of one stream, each rolls its own up, prunes only its own, and a query returns both for the actions to sum.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { statsPeriods, type StatsSample } from '../../src/store/stats-store.ts';
import { historyRows } from '../../src/servers/stats/stats-history.ts';
import { postgresBin, startPostgres, type PostgresServer } from '../support/postgres-server.ts';

const skip = postgresBin() === undefined ? 'PostgreSQL is not installed (scripts/test.sh installs it)' : false;
let server: PostgresServer;
before(async () => {
  if (!skip) server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

const t0 = Date.UTC(2026, 0, 1);
const minute = (m: number, viewers: number): StatsSample => ({
  at: t0 + m * 60_000,
  period: statsPeriods.minute,
  domain: 'push.example.com',
  app: 'live',
  stream: 'a',
  bytesIn: 100,
  bytesOut: 1000,
  rtmpBytesOut: 1000,
  flvBytesOut: 0,
  hlsBytesOut: 0,
  rtmpViewers: viewers,
  flvViewers: 0,
  hlsViewers: 0,
  // As many WHEP players as RTMP ones: the WebRTC columns (migration 6) round-trip and roll up.
  webrtcBytesOut: 10 * viewers,
  webrtcViewers: viewers,
  requests: 1,
  pushBitrate: 2_000_000,
  pushFps: 25,
  width: 1280,
  height: 720,
  droppedFrames: 0,
});

describe('statistics on PostgreSQL', { skip }, () => {
  test('rows of two nodes, roll-ups and pruning per node', async () => {
    const url = await server.createDatabase();
    const a = new PostgresStore({ url, poolSize: 2, nodeId: 'a' });
    const b = new PostgresStore({ url, poolSize: 2, nodeId: 'b' });
    try {
      await a.history.addSamples([minute(0, 1), minute(1, 3), minute(2, 2)]);
      await b.history.addSamples([minute(0, 5)]);
      // A second write of the same minute replaces it.
      await b.history.addSamples([minute(0, 4)]);
      assert.equal(await a.history.rollUp(statsPeriods.fiveMinutes, t0, t0 + 300_000), 1);
      assert.equal(await b.history.rollUp(statsPeriods.fiveMinutes, t0, t0 + 300_000), 1);
      const five = await a.history.querySamples({ period: statsPeriods.fiveMinutes, since: t0, before: t0 + 300_000 });
      assert.deepEqual(
        five.map((r) => [r.nodeId, r.bytesOut, r.rtmpViewers, r.webrtcViewers, r.webrtcBytesOut]).sort(),
        [
          ['a', 3000, 3, 3, 60],
          ['b', 1000, 4, 4, 40],
        ],
      );
      const summed = await historyRows(
        { store: a.history },
        { period: statsPeriods.minute, since: t0, before: t0 + 60_000 },
      );
      assert.equal(summed.length, 1);
      assert.equal(summed[0]!.rtmpViewers, 5, 'node a 1 + node b 4');
      assert.equal(summed[0]!.webrtcViewers, 5);
      assert.equal(await a.history.pruneSamples(statsPeriods.minute, t0 + 600_000), 3);
      assert.equal(
        (await b.history.querySamples({ period: statsPeriods.minute, since: t0, before: t0 + 600_000 })).length,
        1,
        "b's row stays",
      );
    } finally {
      await a.close();
      await b.close();
    }
  });
});
