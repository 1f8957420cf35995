import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { streamTestBed, t0, type StreamTestBed } from '../../../../test/support/stream-test-bed.ts';
import type { ForwardStatus } from '../../relay/forward-status.ts';
import { forwardActions } from './forward-actions.ts';

let bed: StreamTestBed;
beforeEach(async () => {
  bed = await streamTestBed();
});
afterEach(() => bed.close());

const base: ForwardStatus = {
  key: 'live/cam',
  domain: 'push.example.com',
  app: 'live',
  stream: 'cam',
  target: 'cdn',
  url: 'rtmp://cdn.example.com/live/cam',
  state: 'forwarding',
  since: t0,
  startedAt: t0,
  bytes: 1234,
  reconnects: 0,
  refusals: 0,
  skippedMessages: 0,
  skips: 0,
  lastError: undefined,
};

test('no forwards configured: an empty list', async () => {
  const res = await bed.call(forwardActions(bed.deps), 'OpenLiveDescribeForwardStatus');
  assert.deepEqual(res, { TotalNum: 0, ForwardList: [] });
});

test('each forward with its state, bytes and last error, filtered by AppName and StreamName', async () => {
  const refused: ForwardStatus = {
    ...base,
    stream: 'other',
    key: 'live/other',
    state: 'backing-off',
    refusals: 2,
    lastError: {
      code: 'FORWARD_REFUSED',
      message: '18/503 signature mismatch',
      rtmpStatus: 'NetStream.Publish.BadName',
      at: t0 + 1000,
    },
  };
  const actions = forwardActions({ ...bed.deps, forwards: () => [base, refused] });
  const all = await bed.call(actions, 'OpenLiveDescribeForwardStatus', { AppName: 'live' });
  assert.equal(all.TotalNum, 2);
  const one = await bed.call(actions, 'OpenLiveDescribeForwardStatus', { StreamName: 'other' });
  assert.equal(one.TotalNum, 1);
  const [row] = one.ForwardList as Array<Record<string, unknown>>;
  assert.equal(row!.State, 'backing-off');
  assert.equal(row!.LastErrorCode, 'FORWARD_REFUSED');
  assert.equal(row!.LastRtmpStatus, 'NetStream.Publish.BadName');
  assert.equal(row!.Refusals, 2);
  assert.equal(row!.LastErrorTime, new Date(t0 + 1000).toISOString().replace('.000Z', 'Z'));
  const [ok] = all.ForwardList as Array<Record<string, unknown>>;
  assert.deepEqual([ok!.TargetName, ok!.Bytes, ok!.LastErrorCode], ['cdn', 1234, '']);
  assert.equal((await bed.call(actions, 'OpenLiveDescribeForwardStatus', { AppName: 'game' })).TotalNum, 0);
});
