import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureMedia } from '../../../../test/support/media-feed.ts';
import { streamTestBed, type StreamTestBed } from '../../../../test/support/stream-test-bed.ts';
import type { NewRejectedAttempt } from '../../../store/store.ts';
import type { ApiActions } from '../api-action.ts';
import { recordActions } from './record-actions.ts';

/** 2026-11-25 at hh:mm UTC. */
const at = (hhmm: string): number => Date.parse(`2026-11-25T${hhmm}:00Z`);
const window = { StartTime: '2026-11-25T09:00:00Z', EndTime: '2026-11-25T10:00:00Z' };

let bed: StreamTestBed;
let actions: ApiActions;
beforeEach(async () => {
  bed = await streamTestBed();
  actions = recordActions(bed.deps);
});
afterEach(() => bed.close());

/** A publish session from `from` to `to` (open when `to` is undefined); `media` sends the fixture's headers (320x240). */
async function session(
  stream: string,
  from: number,
  to: number | undefined,
  end: [string, string],
  media = false,
): Promise<void> {
  bed.clock.now = from;
  const encoder = await bed.publish('live', stream, { clientIp: '198.51.100.4' });
  if (media) for (const m of fixtureMedia().filter((x) => x.type === 18 || x.sequenceHeader)) encoder.send(m);
  if (to === undefined) return;
  bed.clock.now = to;
  await encoder.session.end(...end);
  bed.publishers.remove(encoder.session);
}

function refused(over: Partial<NewRejectedAttempt>): Promise<number> {
  return bed.store.addRejectedAttempt({
    at: at('09:20'),
    action: 'publish',
    clientIp: '203.0.113.9',
    host: 'push.example.com',
    domain: 'push.example.com',
    app: 'live',
    stream: 'cam-1',
    breakCode: '18/503',
    code: 'SIGNATURE_INVALID',
    reason: '18/503: txSecret is not MD5(key + "cam-1" + "6926A1C0") for this domain\'s key; check the key',
    query: 'txSecret=***&txTime=6926A1C0',
    ...over,
  });
}

/** The scene: sessions early (08:30-09:05), gone (08:00-08:30), cam-1 (09:00-09:10, 320x240), cam-2 (09:30-09:30:42, dropped), desk (09:50, live); refusals at 09:20 and 09:40, a refused play and an old refusal. */
async function scene(): Promise<void> {
  await session('gone', at('08:00'), at('08:30'), ['1/0', '1/0: the encoder stopped publishing']);
  await session('early', at('08:30'), at('09:05'), [
    '20/0',
    '20/0: no media for 15 s; the publisher was dropped so it can reconnect',
  ]);
  await session('cam-1', at('09:00'), at('09:10'), ['1/0', '1/0: the encoder stopped publishing'], true);
  await session('cam-2', at('09:30'), at('09:30') + 42_400, [
    '21/100',
    '21/100: the operator dropped this stream; reconnecting is allowed',
  ]);
  await session('desk', at('09:50'), undefined, ['', '']);
  await refused({ at: at('09:20') });
  await refused({
    at: at('09:40'),
    stream: 'cam-2',
    breakCode: '18/305',
    code: 'STREAM_FORBIDDEN',
    reason: '18/305: live/cam-2 is forbidden',
    query: 'txTime=6926A1C0',
  });
  await refused({
    at: at('09:45'),
    action: 'play',
    breakCode: '18/301',
    code: 'DOMAIN_UNKNOWN',
    reason: '18/301: unknown',
  });
  await refused({ at: at('08:00') });
  bed.clock.now = at('10:01');
}

async function rejects(action: string, params: Record<string, unknown>, code: string, mentions: string): Promise<void> {
  await assert.rejects(bed.call(actions, action, params), (err: Error & { code?: string }) => {
    assert.equal(err.code, code, err.message);
    assert.match(err.message, new RegExp(`\\b${mentions}\\b`));
    return true;
  });
}

const names = (list: unknown): string[] =>
  (list as { StreamName: string; StopReason: string }[]).map((e) => `${e.StreamName} ${e.StopReason.split(':')[0]}`);

describe('DescribeLiveStreamPublishedList', () => {
  test("lists the sessions live in the window, newest first, in Tencent's fields", async () => {
    await scene();
    const list = await bed.call(actions, 'DescribeLiveStreamPublishedList', {
      DomainName: 'push.example.com',
      ...window,
    });
    assert.deepEqual(
      { ...list, PublishInfo: undefined },
      { PublishInfo: undefined, PageNum: 1, PageSize: 10, TotalNum: 4, TotalPage: 1 },
    );
    const info = list.PublishInfo as Record<string, unknown>[];
    assert.deepEqual(names(info), ['desk ', 'cam-2 21/100', 'cam-1 1/0', 'early 20/0']);
    assert.deepEqual(info[2], {
      StreamName: 'cam-1',
      AppName: 'live',
      DomainName: 'push.example.com',
      StreamStartTime: '2026-11-25T09:00:00Z',
      StreamEndTime: '2026-11-25T09:10:00Z',
      StopReason: '1/0: the encoder stopped publishing',
      Duration: 600,
      ClientIp: '198.51.100.4',
      Resolution: '320*240',
    });
    assert.deepEqual([info[1]?.Duration, info[1]?.Resolution], [42, ''], 'no video, no resolution');
    assert.deepEqual([info[0]?.StreamEndTime, info[0]?.Duration], ['', 660], 'live: no end, duration so far');
  });

  test('StreamName matches fuzzily, AppName exactly; other domains are not listed', async () => {
    await scene();
    const q = { DomainName: 'push.example.com', ...window };
    assert.deepEqual(
      names((await bed.call(actions, 'DescribeLiveStreamPublishedList', { ...q, StreamName: 'cam' })).PublishInfo),
      ['cam-2 21/100', 'cam-1 1/0'],
    );
    assert.equal((await bed.call(actions, 'DescribeLiveStreamPublishedList', { ...q, AppName: 'liv' })).TotalNum, 0);
    assert.equal(
      (await bed.call(actions, 'DescribeLiveStreamPublishedList', { ...q, DomainName: 'push2.example.com' })).TotalNum,
      0,
    );
  });

  test('requires DomainName, StartTime and EndTime; pages 10-100 within 10,000 entries', async () => {
    await rejects('DescribeLiveStreamPublishedList', window, 'MissingParameter', 'DomainName');
    await rejects(
      'DescribeLiveStreamPublishedList',
      { DomainName: 'push.example.com', EndTime: window.EndTime },
      'MissingParameter',
      'StartTime',
    );
    await rejects(
      'DescribeLiveStreamPublishedList',
      { DomainName: 'push.example.com', StartTime: window.StartTime },
      'MissingParameter',
      'EndTime',
    );
    const q = { DomainName: 'push.example.com', ...window };
    await rejects('DescribeLiveStreamPublishedList', { ...q, PageSize: 9 }, 'InvalidParameterValue', 'PageSize');
    await rejects('DescribeLiveStreamPublishedList', { ...q, PageSize: 101 }, 'InvalidParameterValue', 'PageSize');
    await rejects(
      'DescribeLiveStreamPublishedList',
      { ...q, PageSize: 100, PageNum: 101 },
      'InvalidParameterValue',
      'PageNum',
    );
    assert.equal(
      (await bed.call(actions, 'DescribeLiveStreamPublishedList', { ...q, PageSize: 100, PageNum: 100 })).PageNum,
      100,
    );
  });

  test('the window: UTC times, end after start, at most 30 days long, back at most 60 days, not in the future', async () => {
    bed.clock.now = Date.parse('2026-11-25T10:00:00Z');
    const q = { DomainName: 'push.example.com' };
    const ok = async (StartTime: string, EndTime: string) =>
      (await bed.call(actions, 'DescribeLiveStreamPublishedList', { ...q, StartTime, EndTime })).TotalNum;
    assert.equal(await ok('2026-10-27T10:00:00Z', '2026-11-25T10:00:00Z'), 0, '29 days');
    assert.equal(await ok('2026-09-26T10:00:00Z', '2026-10-26T10:00:00Z'), 0, '60 days back, 30 days long');
    assert.equal(await ok('2026-11-25T09:00:00Z', '2026-11-25T10:04:59Z'), 0, 'a client clock a little fast');
    const bad = (StartTime: string, EndTime: string, name: string) =>
      rejects('DescribeLiveStreamPublishedList', { ...q, StartTime, EndTime }, 'InvalidParameterValue', name);
    await bad('2026-10-25T09:59:59Z', '2026-11-24T10:00:00Z', 'EndTime');
    await bad('2026-09-26T09:59:59Z', '2026-10-20T10:00:00Z', 'StartTime');
    await bad('2026-11-25T10:00:00Z', '2026-11-25T10:00:00Z', 'EndTime');
    await bad('2026-11-25T09:00:00Z', '2026-11-25T10:06:00Z', 'EndTime');
    await bad('2026-11-25 09:00:00', '2026-11-25T10:00:00Z', 'StartTime');
    await bad('2026-11-25T09:00:00Z', 'yesterday', 'EndTime');
  });
});

describe('DescribeLiveStreamEventList', () => {
  test('without IsFilter, refused publishes are events too, merged by time; IsFilter=1 keeps only sessions', async () => {
    await scene();
    const all = await bed.call(actions, 'DescribeLiveStreamEventList', window);
    assert.deepEqual(names(all.EventList), [
      'desk ',
      'cam-2 18/305',
      'cam-2 21/100',
      'cam-1 18/503',
      'cam-1 1/0',
      'early 20/0',
    ]);
    assert.deepEqual([all.TotalNum, all.TotalPage, all.PageSize], [6, 1, 10]);
    assert.deepEqual((all.EventList as unknown[])[3], {
      StreamName: 'cam-1',
      AppName: 'live',
      DomainName: 'push.example.com',
      StreamStartTime: '2026-11-25T09:20:00Z',
      StreamEndTime: '2026-11-25T09:20:00Z',
      StopReason: '18/503: txSecret is not MD5(key + "cam-1" + "6926A1C0") for this domain\'s key; check the key',
      Duration: 0,
      ClientIp: '203.0.113.9',
      Resolution: '',
    });
    const ok = await bed.call(actions, 'DescribeLiveStreamEventList', { ...window, IsFilter: 1 });
    assert.deepEqual(names(ok.EventList), ['desk ', 'cam-2 21/100', 'cam-1 1/0', 'early 20/0']);
    assert.equal(ok.TotalNum, 4);
  });

  test('IsAsc, IsStrict, name filters and pages across both kinds of event', async () => {
    await scene();
    const list = async (params: Record<string, unknown>) =>
      names((await bed.call(actions, 'DescribeLiveStreamEventList', { ...window, ...params })).EventList);
    assert.deepEqual(await list({ IsAsc: 1 }), [
      'early 20/0',
      'cam-1 1/0',
      'cam-1 18/503',
      'cam-2 21/100',
      'cam-2 18/305',
      'desk ',
    ]);
    assert.deepEqual(await list({ PageSize: 2, PageNum: 2 }), ['cam-2 21/100', 'cam-1 18/503']);
    assert.deepEqual(await list({ PageSize: 4, PageNum: 2, IsAsc: '1' }), ['cam-2 18/305', 'desk ']);
    assert.deepEqual(await list({ PageSize: 4, PageNum: 3 }), []);
    assert.deepEqual(await list({ StreamName: 'cam-' }), ['cam-2 18/305', 'cam-2 21/100', 'cam-1 18/503', 'cam-1 1/0']);
    assert.deepEqual(await list({ StreamName: 'cam-', IsStrict: 1 }), []);
    assert.deepEqual(await list({ StreamName: 'cam-1', IsStrict: 1 }), ['cam-1 18/503', 'cam-1 1/0']);
    assert.deepEqual(await list({ DomainName: 'Push2.Example.com' }), []);
    assert.deepEqual(await list({ AppName: 'live', StreamName: 'desk' }), ['desk ']);
  });

  test('validates the switches, the page size 1-100 and the 10,000-entry cap', async () => {
    await rejects('DescribeLiveStreamEventList', { ...window, IsFilter: 2 }, 'InvalidParameterValue', 'IsFilter');
    await rejects('DescribeLiveStreamEventList', { ...window, IsAsc: true }, 'InvalidParameterValue', 'IsAsc');
    await rejects('DescribeLiveStreamEventList', { ...window, PageSize: 0 }, 'InvalidParameterValue', 'PageSize');
    await rejects('DescribeLiveStreamEventList', { ...window, PageSize: 101 }, 'InvalidParameterValue', 'PageSize');
    await rejects(
      'DescribeLiveStreamEventList',
      { ...window, PageSize: 10, PageNum: 1001 },
      'InvalidParameterValue',
      'PageNum',
    );
    await rejects('DescribeLiveStreamEventList', { EndTime: window.EndTime }, 'MissingParameter', 'StartTime');
    await rejects(
      'DescribeLiveStreamEventList',
      { ...window, StreamName: 'a b', IsStrict: 1 },
      'InvalidParameterValue',
      'StreamName',
    );
  });
});

describe('OpenLiveDescribeRejectedPushList and OpenLiveDescribeRejectedPushSummary', () => {
  test('the list shows each refused publish with its codes, reason and masked query; plays are not listed', async () => {
    await scene();
    await refused({ at: at('09:50'), stream: 'leak', query: 'txSecret=0123456789abcdef&txTime=6926A1C0' });
    const list = await bed.call(actions, 'OpenLiveDescribeRejectedPushList', window);
    assert.deepEqual([list.TotalNum, list.TotalPage, list.PageNum, list.PageSize], [3, 1, 1, 10]);
    const items = list.RejectedList as Record<string, unknown>[];
    assert.deepEqual(
      items.map((i) => i.StreamName),
      ['leak', 'cam-2', 'cam-1'],
    );
    assert.equal(
      items[0]?.Query,
      'txSecret=***&txTime=6926A1C0',
      'a secret never leaves, even from a row stored unmasked',
    );
    assert.deepEqual(items[1], {
      Time: '2026-11-25T09:40:00Z',
      ClientIp: '203.0.113.9',
      Host: 'push.example.com',
      DomainName: 'push.example.com',
      AppName: 'live',
      StreamName: 'cam-2',
      BreakCode: '18/305',
      ErrorCode: 'STREAM_FORBIDDEN',
      Reason: '18/305: live/cam-2 is forbidden',
      Query: 'txTime=6926A1C0',
      Count: 1,
      LastTime: '2026-11-25T09:40:00Z',
    });
    const asc = await bed.call(actions, 'OpenLiveDescribeRejectedPushList', {
      ...window,
      IsAsc: 1,
      PageSize: 1,
      PageNum: 2,
    });
    assert.deepEqual(
      (asc.RejectedList as { StreamName: string }[]).map((i) => i.StreamName),
      ['cam-2'],
    );
    const byIp = await bed.call(actions, 'OpenLiveDescribeRejectedPushList', { ...window, ClientIp: '198.51.100.1' });
    assert.equal(byIp.TotalNum, 0);
  });

  test('an aggregate row shows its count and last time in the list, and counts for all its refusals in the summary', async () => {
    await scene();
    const id = await refused({ at: at('09:45'), stream: 'flood', clientIp: '198.51.100.7' });
    await bed.store.countRejectedAttempt(id, 999, at('09:46'));
    const list = await bed.call(actions, 'OpenLiveDescribeRejectedPushList', { ...window, ClientIp: '198.51.100.7' });
    const [item] = list.RejectedList as Record<string, unknown>[];
    assert.deepEqual(
      [item?.StreamName, item?.Count, item?.Time, item?.LastTime],
      ['flood', 1000, '2026-11-25T09:45:00Z', '2026-11-25T09:46:00Z'],
    );
    const summary = await bed.call(actions, 'OpenLiveDescribeRejectedPushSummary', window);
    assert.equal(summary.TotalNum, 1002);
  });

  test('the summary counts refusals per break code, most frequent first, with the latest reason', async () => {
    await scene();
    await refused({ at: at('09:55'), stream: 'cam-9', reason: '18/503: the latest' });
    const summary = await bed.call(actions, 'OpenLiveDescribeRejectedPushSummary', window);
    assert.deepEqual(summary, {
      TotalNum: 3,
      ReasonList: [
        {
          BreakCode: '18/503',
          ErrorCode: 'SIGNATURE_INVALID',
          Count: 2,
          FirstTime: '2026-11-25T09:20:00Z',
          LastTime: '2026-11-25T09:55:00Z',
          LastReason: '18/503: the latest',
        },
        {
          BreakCode: '18/305',
          ErrorCode: 'STREAM_FORBIDDEN',
          Count: 1,
          FirstTime: '2026-11-25T09:40:00Z',
          LastTime: '2026-11-25T09:40:00Z',
          LastReason: '18/305: live/cam-2 is forbidden',
        },
      ],
    });
    const cam2 = await bed.call(actions, 'OpenLiveDescribeRejectedPushSummary', {
      ...window,
      StreamName: 'cam-2',
      IsStrict: 1,
    });
    assert.deepEqual(
      (cam2.ReasonList as { BreakCode: string }[]).map((r) => r.BreakCode),
      ['18/305'],
    );
  });

  test('both read any age the store holds, 31 days at a time, and need the window', async () => {
    await refused({ at: at('09:20') - 200 * 86_400_000 });
    bed.clock.now = at('10:00');
    const old = { StartTime: '2026-05-01T00:00:00Z', EndTime: '2026-06-01T00:00:00Z' };
    assert.equal((await bed.call(actions, 'OpenLiveDescribeRejectedPushList', old)).TotalNum, 1);
    assert.equal((await bed.call(actions, 'OpenLiveDescribeRejectedPushSummary', old)).TotalNum, 1);
    await rejects(
      'OpenLiveDescribeRejectedPushList',
      { ...old, EndTime: '2026-06-01T00:00:01Z' },
      'InvalidParameterValue',
      'EndTime',
    );
    await rejects('OpenLiveDescribeRejectedPushSummary', { StartTime: old.StartTime }, 'MissingParameter', 'EndTime');
    await rejects('OpenLiveDescribeRejectedPushList', { ...old, PageSize: 101 }, 'InvalidParameterValue', 'PageSize');
  });
});
