import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { streamTestBed, t0, type StreamTestBed } from '../../../../test/support/stream-test-bed.ts';
import { statsPeriods, type StatsSample } from '../../../store/stats-store.ts';
import type { ApiActions } from '../api-action.ts';
import { statsPlayActions } from './stats-play-actions.ts';

let bed: StreamTestBed;
let actions: ApiActions;
beforeEach(async () => {
  bed = await streamTestBed();
  actions = statsPlayActions(bed.deps);
});
afterEach(() => bed.close());

/** A stored minute of live/a with 2 HTTP-FLV and 3 WHEP players (each 60 MB = 8 Mbit/s over the minute). */
const minute: StatsSample = {
  at: t0,
  period: statsPeriods.minute,
  domain: 'push.example.com',
  app: 'live',
  stream: 'a',
  bytesIn: 0,
  bytesOut: 120_000_000,
  rtmpBytesOut: 0,
  flvBytesOut: 60_000_000,
  hlsBytesOut: 0,
  webrtcBytesOut: 60_000_000,
  rtmpViewers: 0,
  flvViewers: 2,
  hlsViewers: 0,
  webrtcViewers: 3,
  requests: 5,
  pushBitrate: 0,
  pushFps: 0,
  width: 0,
  height: 0,
  droppedFrames: 0,
};

test("DescribeAllStreamPlayInfoList: WHEP players are Tencent's Unknown protocol, not Flv", async () => {
  await bed.store.history.addSamples([minute]);
  bed.clock.now = t0 + 90_000;
  const res = await bed.call(actions, 'DescribeAllStreamPlayInfoList', {
    QueryTime: new Date(t0 + 30_000).toISOString(),
  });
  const list = res.DataInfoList as Array<Record<string, unknown>>;
  assert.deepEqual(
    list.map((d) => [d.StreamName, d.Protocol, d.Online, d.Bandwidth]),
    [
      ['a', 'Flv', 2, 8],
      ['a', 'Unknown', 3, 8],
    ],
  );
});

test('DescribeStreamPlayInfoList: the WHEP players are in Online and the bandwidth', async () => {
  await bed.store.history.addSamples([minute]);
  bed.clock.now = t0 + 90_000;
  const res = await bed.call(actions, 'DescribeStreamPlayInfoList', {
    StartTime: new Date(t0).toISOString(),
    EndTime: new Date(t0 + 59_000).toISOString(),
  });
  const [row] = res.DataInfoList as Array<Record<string, unknown>>;
  assert.equal(row?.Online, 5);
  assert.equal(row?.Bandwidth, 16);
});
