import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mediaMessage } from '../../../protocol/media.ts';
import { fixtureMedia } from '../../../../test/support/media-feed.ts';
import { streamTestBed, t0, type StreamTestBed } from '../../../../test/support/stream-test-bed.ts';
import type { ApiActions } from '../api-action.ts';
import { streamActions } from './stream-actions.ts';

const day = 86_400_000;
const demo = { DomainName: 'push.example.com', AppName: 'live', StreamName: 'demo' };

let bed: StreamTestBed;
let actions: ApiActions;
beforeEach(async () => {
  bed = await streamTestBed();
  actions = streamActions(bed.deps);
});
afterEach(() => bed.close());

/** Asserts the call fails with `code` and a message naming `mentions`. */
async function rejects(
  action: string,
  params: Record<string, unknown>,
  code: string,
  mentions?: string | RegExp,
): Promise<void> {
  await assert.rejects(bed.call(actions, action, params), (err: Error & { code?: string }) => {
    assert.equal(err.code, code, err.message);
    if (mentions !== undefined)
      assert.match(err.message, typeof mentions === 'string' ? new RegExp(`\\b${mentions}\\b`) : mentions);
    return true;
  });
}

describe('DescribeLiveStreamOnlineList', () => {
  test('lists live streams with their UTC publish time, filters by domain, app and exact name, and pages 10-300000', async () => {
    await bed.publish('live', 'demo');
    bed.clock.now = t0 + 61_500;
    await bed.publish('live', 'demo2', { domain: 'push2.example.com' });
    await bed.publish('other', 'demo');
    const all = await bed.call(actions, 'DescribeLiveStreamOnlineList');
    assert.deepEqual(
      { ...all, OnlineInfo: undefined },
      { TotalNum: 3, TotalPage: 1, PageNum: 1, PageSize: 10, OnlineInfo: undefined },
    );
    assert.deepEqual((all.OnlineInfo as unknown[])[0], {
      StreamName: 'demo',
      AppName: 'live',
      DomainName: 'push.example.com',
      PublishTimeList: [{ PublishTime: '2026-11-25T10:00:00Z' }],
      PushToDelay: 0,
    });
    const names = async (params: Record<string, unknown>) =>
      (
        (await bed.call(actions, 'DescribeLiveStreamOnlineList', params)).OnlineInfo as {
          AppName: string;
          StreamName: string;
        }[]
      ).map((o) => `${o.AppName}/${o.StreamName}`);
    assert.deepEqual(await names({ DomainName: 'PUSH2.example.com' }), ['live/demo2']);
    assert.deepEqual(await names({ AppName: 'other' }), ['other/demo']);
    assert.deepEqual(await names({ StreamName: 'demo' }), ['live/demo', 'other/demo']);
    assert.deepEqual(await names({ StreamName: 'dem' }), [], 'StreamName is exact here');
    assert.deepEqual(await names({ PageNum: 2 }), []);
    await rejects('DescribeLiveStreamOnlineList', { PageSize: 9 }, 'InvalidParameterValue', 'PageSize');
    await rejects('DescribeLiveStreamOnlineList', { PageSize: 300_001 }, 'InvalidParameterValue', 'PageSize');
    await rejects('DescribeLiveStreamOnlineList', { AppName: 'li ve' }, 'InvalidParameterValue', 'AppName');
  });

  test('an empty node answers an empty list, not an error', async () => {
    const empty = await bed.call(actions, 'DescribeLiveStreamOnlineList', { PageSize: 100 });
    assert.deepEqual(empty, { TotalNum: 0, TotalPage: 0, PageNum: 1, PageSize: 100, OnlineInfo: [] });
  });
});

describe('DescribeLiveStreamState', () => {
  test('is active while published, inactive after, forbid while forbidden', async () => {
    const encoder = await bed.publish('live', 'demo');
    assert.deepEqual(await bed.call(actions, 'DescribeLiveStreamState', demo), { StreamState: 'active' });
    assert.deepEqual(await bed.call(actions, 'DescribeLiveStreamState', { ...demo, DomainName: 'push2.example.com' }), {
      StreamState: 'inactive',
    });
    await encoder.session.end('1/0', '1/0: the encoder stopped publishing');
    bed.publishers.remove(encoder.session);
    assert.deepEqual(await bed.call(actions, 'DescribeLiveStreamState', demo), { StreamState: 'inactive' });
    await bed.call(actions, 'ForbidLiveStream', demo);
    assert.deepEqual(await bed.call(actions, 'DescribeLiveStreamState', demo), { StreamState: 'forbid' });
  });

  test('names the missing or invalid parameter; unknown and play domains are refused', async () => {
    await rejects(
      'DescribeLiveStreamState',
      { DomainName: 'push.example.com', AppName: 'live' },
      'MissingParameter',
      'StreamName',
    );
    await rejects('DescribeLiveStreamState', { ...demo, AppName: '' }, 'MissingParameter', 'AppName');
    await rejects('DescribeLiveStreamState', { ...demo, StreamName: 'a/b' }, 'InvalidParameterValue', 'StreamName');
    await rejects('DescribeLiveStreamState', { ...demo, StreamName: 42 }, 'InvalidParameterValue', 'StreamName');
    await rejects(
      'DescribeLiveStreamState',
      { ...demo, DomainName: 'nope.example.com' },
      'ResourceNotFound.DomainNotExist',
      /nope\.example\.com/,
    );
    await rejects(
      'DescribeLiveStreamState',
      { ...demo, DomainName: 'play.example.com' },
      'InvalidParameterValue',
      'DomainName',
    );
  });
});

describe('DropLiveStream', () => {
  test('disconnects the publisher and ends its record with 21/100; a stream that is not live is still a success', async () => {
    const encoder = await bed.publish('live', 'demo');
    assert.deepEqual(await bed.call(actions, 'DropLiveStream', demo), {});
    assert.equal(encoder.disconnected(), true);
    await bed.settled();
    const [record] = (await bed.store.listPublishRecords()).items;
    assert.equal(record?.breakCode, '21/100');
    assert.match(record?.reason ?? '', /^21\/100: the operator dropped this stream/);
    assert.deepEqual(
      await bed.call(actions, 'DropLiveStream', demo),
      {},
      'Tencent: dropping an inactive stream succeeds',
    );
    assert.deepEqual(await bed.call(actions, 'DropLiveStream', { ...demo, StreamName: 'never-published' }), {});
  });

  test('a drop on another push domain leaves the publisher alone', async () => {
    const encoder = await bed.publish('live', 'demo');
    assert.deepEqual(await bed.call(actions, 'DropLiveStream', { ...demo, DomainName: 'push2.example.com' }), {});
    assert.equal(encoder.disconnected(), false);
    assert.deepEqual(await bed.call(actions, 'DescribeLiveStreamState', demo), { StreamState: 'active' });
  });

  test('validates like every single-stream action', async () => {
    await rejects('DropLiveStream', { AppName: 'live', StreamName: 'demo' }, 'MissingParameter', 'DomainName');
    await rejects('DropLiveStream', { ...demo, DomainName: 'ghost.example.com' }, 'ResourceNotFound.DomainNotExist');
  });
});

describe('ForbidLiveStream and ResumeLiveStream', () => {
  test('a forbid drops the live publisher at once with 21/101, lasts 7 days by default, and shows in the forbid list in Beijing time', async () => {
    const encoder = await bed.publish('live', 'demo');
    assert.deepEqual(await bed.call(actions, 'ForbidLiveStream', { ...demo, Reason: 'off-topic' }), {});
    assert.equal(encoder.disconnected(), true);
    await bed.settled();
    const [record] = (await bed.store.listPublishRecords()).items;
    assert.equal(record?.breakCode, '21/101');
    assert.equal(record?.reason, '21/101: the operator forbade this stream until 2026-12-02T10:00:00Z: off-topic');
    const list = await bed.call(actions, 'DescribeLiveForbidStreamList');
    assert.deepEqual(list, {
      TotalNum: 1,
      TotalPage: 1,
      PageNum: 1,
      PageSize: 10,
      ForbidStreamList: [
        {
          StreamName: 'demo',
          CreateTime: '2026-11-25T18:00:00+08:00',
          ExpireTime: '2026-12-02T18:00:00+08:00',
          AppName: 'live',
          DomainName: 'push.example.com',
          Reason: 'off-topic',
        },
      ],
    });
    assert.equal(
      Date.parse((list.ForbidStreamList as { ExpireTime: string }[])[0]!.ExpireTime),
      t0 + 7 * day,
      'the offset makes it the right instant',
    );
  });

  test('ResumeTime is a UTC time in the future, at most 90 days ahead; Reason is at most 2048 bytes', async () => {
    await bed.call(actions, 'ForbidLiveStream', { ...demo, ResumeTime: '2026-11-25T11:30:00Z' });
    const expire = async () =>
      ((await bed.call(actions, 'DescribeLiveForbidStreamList')).ForbidStreamList as { ExpireTime: string }[])[0]
        ?.ExpireTime;
    assert.equal(await expire(), '2026-11-25T19:30:00+08:00');
    await bed.call(actions, 'ForbidLiveStream', { ...demo, ResumeTime: '2027-02-23T10:00:00Z' });
    assert.equal(await expire(), '2027-02-23T18:00:00+08:00', 'exactly 90 days is allowed');
    await bed.call(actions, 'ForbidLiveStream', { ...demo, ResumeTime: '2026-11-26T08:00:00+08:00' });
    assert.equal(await expire(), '2026-11-26T08:00:00+08:00', 'an ISO offset is honoured');
    await rejects(
      'ForbidLiveStream',
      { ...demo, ResumeTime: '2027-02-23T10:00:01Z' },
      'InvalidParameterValue',
      'ResumeTime',
    );
    await rejects(
      'ForbidLiveStream',
      { ...demo, ResumeTime: '2026-11-25T10:00:00Z' },
      'InvalidParameterValue',
      'ResumeTime',
    );
    await rejects(
      'ForbidLiveStream',
      { ...demo, ResumeTime: '2026-11-29 19:00:00' },
      'InvalidParameterValue',
      'ResumeTime',
    );
    await rejects(
      'ForbidLiveStream',
      { ...demo, ResumeTime: '2026-02-30T10:00:00Z' },
      'InvalidParameterValue',
      'ResumeTime',
    );
    await rejects('ForbidLiveStream', { ...demo, Reason: 'x'.repeat(2049) }, 'InvalidParameterValue', 'Reason');
    assert.deepEqual(
      await bed.call(actions, 'ForbidLiveStream', { ...demo, Reason: '禁'.repeat(682) }),
      {},
      '2046 bytes of UTF-8',
    );
    await rejects('ForbidLiveStream', { ...demo, Reason: '禁'.repeat(683) }, 'InvalidParameterValue', 'Reason');
  });

  test('resume lifts the forbid on its domain and one on every domain, and succeeds when there is none', async () => {
    await bed.call(actions, 'ForbidLiveStream', demo);
    assert.deepEqual(await bed.call(actions, 'ResumeLiveStream', demo), {});
    assert.deepEqual(await bed.call(actions, 'DescribeLiveStreamState', demo), { StreamState: 'inactive' });
    await bed.deps.streams.forbid({ app: 'live', stream: 'demo' });
    assert.deepEqual(
      await bed.call(actions, 'DescribeLiveStreamState', demo),
      { StreamState: 'forbid' },
      'an every-domain forbid (CLI)',
    );
    await bed.call(actions, 'ResumeLiveStream', demo);
    assert.deepEqual(await bed.call(actions, 'DescribeLiveStreamState', demo), { StreamState: 'inactive' });
    assert.deepEqual(await bed.call(actions, 'ResumeLiveStream', demo), {});
    await rejects('ResumeLiveStream', { ...demo, StreamName: undefined }, 'MissingParameter', 'StreamName');
  });

  test('the forbid list pages 1-100, filters by stream name and leaves out forbids that ended', async () => {
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      await bed.call(actions, 'ForbidLiveStream', {
        ...demo,
        StreamName: name,
        ResumeTime: `2026-11-2${6 + i}T10:00:00Z`,
      });
    }
    const page = await bed.call(actions, 'DescribeLiveForbidStreamList', { PageNum: 2, PageSize: 2 });
    assert.deepEqual(
      [page.TotalNum, page.TotalPage, (page.ForbidStreamList as { StreamName: string }[]).map((f) => f.StreamName)],
      [3, 2, ['a']],
    );
    const b = await bed.call(actions, 'DescribeLiveForbidStreamList', { StreamName: 'b' });
    assert.deepEqual(
      (b.ForbidStreamList as { StreamName: string }[]).map((f) => f.StreamName),
      ['b'],
    );
    bed.clock.now = Date.UTC(2026, 10, 27, 10, 0, 0);
    assert.equal((await bed.call(actions, 'DescribeLiveForbidStreamList')).TotalNum, 1, 'a and b have ended');
    await rejects('DescribeLiveForbidStreamList', { PageSize: 0 }, 'InvalidParameterValue', 'PageSize');
    await rejects('DescribeLiveForbidStreamList', { PageSize: 101 }, 'InvalidParameterValue', 'PageSize');
    await rejects('DescribeLiveForbidStreamList', { PageNum: 0 }, 'InvalidParameterValue', 'PageNum');
  });
});

describe('DescribeLiveStreamPushInfoList', () => {
  test('nothing live is FailedOperation.HasNotLivingStream, as Tencent answers', async () => {
    await rejects('DescribeLiveStreamPushInfoList', {}, 'FailedOperation.HasNotLivingStream');
    await bed.publish('live', 'demo');
    await rejects(
      'DescribeLiveStreamPushInfoList',
      { PushDomain: 'push2.example.com' },
      'FailedOperation.HasNotLivingStream',
    );
  });

  test("reports measured rates, codecs, resolution and the encoder's onMetaData claims of real media", async () => {
    const encoder = await bed.publish('live', 'demo', { clientIp: '192.0.2.10' });
    const media = fixtureMedia();
    const headers = media.filter((m) => m.type === 18 || m.sequenceHeader);
    const frames = media.filter((m) => !(m.type === 18 || m.sequenceHeader) && !(m.type === 9 && m.payload[1] === 2));
    for (const m of headers) encoder.send(m);
    // Six seconds of media, paced by the clock. The quality window closes with the first message at
    // or after 5 s and measures over the time up to it.
    let videoFrames = 0;
    let videoBytes = 0;
    let audioBytes = headers.filter((m) => m.type === 8).reduce((n, m) => n + m.payload.length, 0);
    let windowEnd = 0;
    for (let loop = 0; loop < 6; loop++) {
      for (const f of frames) {
        const at = loop * 1000 + f.timestamp;
        if (at >= 6000) continue;
        bed.clock.now = t0 + at;
        encoder.send(mediaMessage(f.type, at, f.payload));
        if (at >= 5000 && windowEnd === 0) windowEnd = at;
        if (windowEnd !== 0) continue;
        if (f.type === 9) [videoFrames, videoBytes] = [videoFrames + 1, videoBytes + f.payload.length];
        if (f.type === 8) audioBytes += f.payload.length;
      }
    }
    bed.clock.now = t0 + 6000;
    const seconds = windowEnd / 1000;
    const info = await bed.call(actions, 'DescribeLiveStreamPushInfoList', {
      PushDomain: 'push.example.com',
      AppName: 'live',
    });
    assert.deepEqual(info, {
      DataInfoList: [
        {
          StreamName: 'demo',
          AppName: 'live',
          ClientIp: '192.0.2.10',
          ServerIp: '127.0.0.1',
          VideoFps: Math.round((videoFrames / seconds) * 10) / 10,
          VideoSpeed: Math.round((videoBytes * 8) / seconds),
          AudioFps: 43, // AAC at 44.1 kHz: 44100 / 1024 frames per second
          AudioSpeed: Math.round((audioBytes * 8) / seconds),
          PushDomain: 'push.example.com',
          BeginPushTime: '2026-11-25 18:00:00',
          Acodec: 'AAC',
          Vcodec: 'H264',
          Resolution: '320*240',
          AsampleRate: 44100,
          MetaAudioSpeed: 31250,
          MetaVideoSpeed: 0,
          MetaFps: 25,
        },
      ],
      TotalNum: 1,
      TotalPage: 1,
      PageNum: 1,
      PageSize: 200,
    });
    assert.equal((info.DataInfoList as { VideoFps: number }[])[0]?.VideoFps, 25, 'the fixture is 25 fps');
  });

  test('pages PageNum 1-10000 and PageSize 1-100000, oldest publish first', async () => {
    await bed.publish('live', 'first');
    bed.clock.now += 1000;
    await bed.publish('live', 'second');
    const page = await bed.call(actions, 'DescribeLiveStreamPushInfoList', { PageNum: 2, PageSize: 1 });
    assert.deepEqual(
      [(page.DataInfoList as { StreamName: string }[]).map((d) => d.StreamName), page.TotalNum, page.TotalPage],
      [['second'], 2, 2],
    );
    await rejects('DescribeLiveStreamPushInfoList', { PageSize: 100_001 }, 'InvalidParameterValue', 'PageSize');
    await rejects('DescribeLiveStreamPushInfoList', { PageNum: 10_001 }, 'InvalidParameterValue', 'PageNum');
    await rejects('DescribeLiveStreamPushInfoList', { PageSize: 'many' }, 'InvalidParameterValue', 'PageSize');
  });
});
