import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeSink, keyframe, interframe, testHub } from '../../hub/hub-test-kit.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { SqliteStore, sqliteFileIn } from '../../store/sqlite-store.ts';
import { statsPeriods } from '../../store/stats-store.ts';
import { HlsViewers } from '../hls/hls-viewers.ts';
import { StatsSampler } from './stats-sampler.ts';
import { historyRows } from './stats-history.ts';

const retention = { minuteDays: 7, fiveMinuteDays: 31, hourDays: 93, dayDays: 1095 };
const t0 = Date.UTC(2026, 0, 1);

function bed(store = new MemoryStore()) {
  const { hub, clock } = testHub();
  let now = t0;
  clock.advance(0);
  const hls = new HlsViewers({ now: () => now, timeoutMs: 30_000 });
  const errors: unknown[] = [];
  const sampler = new StatsSampler({
    hub,
    store: store.history,
    publishers: () => [
      {
        app: 'live',
        stream: 'a',
        domain: 'push.example.com',
        clientIp: '10.0.0.1',
        startedAt: t0,
        bytesIn: 0,
        fps: 25,
        videoBitrate: 2_000_000,
        audioBitrate: 128_000,
        width: 1280,
        height: 720,
      },
    ],
    hls,
    now: () => now,
    retention,
    onError: (err) => errors.push(err),
  });
  return {
    hub,
    clock,
    hls,
    sampler,
    store,
    errors,
    advance: (ms: number) => (now += ms),
    get now() {
      return now;
    },
  };
}

/** A WHEP player's sink as the sampler sees it: the `flv` encoding, counted as WebRTC (whep-sink.ts). */
class WhepLikeSink extends FakeSink {
  readonly playProtocol = 'webrtc' as const;
}

test('a minute of RTMP, HTTP-FLV, WHEP and HLS players becomes one row with viewers per protocol and their bytes', async () => {
  const b = bed();
  const stream = b.hub.claim('live/a', { id: 'p1' });
  const rtmp = new FakeSink('rtmp');
  const flv = new FakeSink('flv');
  const whep = new WhepLikeSink('flv');
  b.hub.subscribe('live/a', rtmp);
  b.hub.subscribe('live/a', flv);
  b.hub.subscribe('live/a', whep);
  b.sampler.tick();
  stream.publish(keyframe(0, 'K0', 1000));
  stream.publish(interframe(40, 'P40', 500));
  b.clock.advance(40);
  b.hls.playlist('live/a', 's1', '10.0.0.9', 'play.example.com', 300);
  b.hls.playlist('live/a', 's2', '10.0.0.8', 'play.example.com', 300);
  b.hls.media('live/a', 10_000);
  b.advance(30_000);
  b.sampler.tick();
  b.advance(31_000); // into the next minute
  b.sampler.tick();
  await b.sampler.flushed();
  const rows = await b.store.history.querySamples({ period: statsPeriods.minute, since: t0, before: t0 + 60_000 });
  assert.equal(rows.length, 1);
  const r = rows[0]!;
  const sent = (sink: FakeSink) => sink.written.reduce((n, x) => n + x.length, 0);
  assert.equal(r.rtmpViewers, 1);
  assert.equal(r.flvViewers, 1, 'the WHEP player is not an HTTP-FLV one');
  assert.equal(r.webrtcViewers, 1);
  assert.equal(r.hlsViewers, 2);
  assert.equal(r.rtmpBytesOut, sent(rtmp));
  assert.equal(r.flvBytesOut, sent(flv));
  assert.ok(sent(whep) > 0);
  assert.equal(r.webrtcBytesOut, sent(whep));
  assert.equal(r.hlsBytesOut, 10_600);
  assert.equal(r.bytesOut, sent(rtmp) + sent(flv) + sent(whep) + 10_600);
  assert.equal(r.bytesIn, 1500);
  assert.equal(r.requests, 5, 'three players and two HLS sessions started');
  assert.equal(r.pushBitrate, 2_128_000);
  assert.equal(r.domain, 'push.example.com');
  assert.deepEqual(b.errors, []);
});

test('a day of samples on a fake clock rolls up into 5-minute, hourly and daily rows', async () => {
  const b = bed();
  b.hub.claim('live/a', { id: 'p1' });
  b.hub.subscribe('live/a', new FakeSink('flv'));
  for (let i = 0; i < 24 * 60; i++) {
    b.hls.media('live/a', 1000);
    b.sampler.tick();
    b.advance(60_000);
  }
  b.sampler.tick();
  await b.sampler.flushed();
  const q = (period: number) => b.store.history.querySamples({ period, since: t0, before: t0 + statsPeriods.day });
  const minutes = await q(statsPeriods.minute);
  assert.equal(minutes.length, 1440);
  const five = await q(statsPeriods.fiveMinutes);
  assert.equal(five.length, 288);
  const hours = await q(statsPeriods.hour);
  assert.equal(hours.length, 24);
  const days = await q(statsPeriods.day);
  assert.equal(days.length, 1);
  const total = minutes.reduce((n, r) => n + r.hlsBytesOut, 0);
  assert.equal(total, 1440 * 1000);
  assert.equal(
    five.reduce((n, r) => n + r.hlsBytesOut, 0),
    total,
  );
  assert.equal(days[0]!.hlsBytesOut, total);
  assert.equal(days[0]!.flvViewers, 1, 'viewers at their peak');
});

test('retention deletes each period past its days; history in SQLite survives a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'openlive-stats-'));
  try {
    const file = sqliteFileIn(dir);
    const store = new SqliteStore({ file });
    const b = bed(store as unknown as MemoryStore);
    b.hub.claim('live/a', { id: 'p1' });
    b.hls.media('live/a', 5000);
    b.sampler.tick();
    b.advance(60_000);
    b.sampler.tick();
    await b.sampler.close();
    await store.close();
    const reopened = new SqliteStore({ file });
    const rows = await historyRows(
      { store: reopened.history },
      { period: statsPeriods.minute, since: t0, before: t0 + 120_000 },
    );
    // The finished minute, and the one in progress written by close().
    assert.deepEqual(
      rows.map((r) => [r.at - t0, r.hlsBytesOut]),
      [
        [0, 5000],
        [60_000, 0],
      ],
    );
    // Minute rows past retention go, 5-minute rows stay.
    assert.equal(await reopened.history.pruneSamples(statsPeriods.minute, t0 + 120_000), 2);
    assert.equal(
      (
        await reopened.history.querySamples({
          period: statsPeriods.fiveMinutes,
          since: t0,
          before: t0 + statsPeriods.day,
        })
      ).length,
      1,
    );
    await reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rows of two nodes are summed; the minute in progress is added to the history', async () => {
  const store = new MemoryStore({ nodeId: 'n1' });
  const other = new MemoryStore({ nodeId: 'n2' });
  const row = {
    at: t0,
    period: statsPeriods.minute,
    domain: 'd',
    app: 'live',
    stream: 'a',
    bytesIn: 10,
    bytesOut: 100,
    rtmpBytesOut: 100,
    flvBytesOut: 0,
    hlsBytesOut: 0,
    rtmpViewers: 2,
    flvViewers: 0,
    hlsViewers: 0,
    webrtcBytesOut: 0,
    webrtcViewers: 0,
    requests: 2,
    pushBitrate: 5,
    pushFps: 25,
    width: 0,
    height: 0,
    droppedFrames: 0,
  };
  await store.history.addSamples([row]);
  await other.history.addSamples([row]);
  // One table shared by two nodes: the memory adapter keeps rows per store, so merge the second node's by hand.
  const shared = {
    ...store.history,
    querySamples: async (q: Parameters<typeof store.history.querySamples>[0]) => [
      ...(await store.history.querySamples(q)),
      ...(await other.history.querySamples(q)),
    ],
  };
  const rows = await historyRows(
    { store: shared as typeof store.history, current: () => [{ ...row, at: t0 + 60_000 }] },
    { period: statsPeriods.minute, since: t0, before: t0 + 120_000 },
  );
  assert.equal(rows.length, 2);
  assert.equal(rows[0]!.rtmpViewers, 4);
  assert.equal(rows[0]!.bytesOut, 200);
  assert.equal(rows[0]!.pushBitrate, 5, 'one publisher: its rate, not the sum');
  assert.equal(rows[1]!.rtmpViewers, 2);
});

/** A player sink with an address, as the RTMP, HTTP-FLV, WS-FLV and SRT sinks have. */
class AddressedSink extends FakeSink {
  readonly clientIp: string;
  constructor(format: 'rtmp' | 'flv', clientIp: string) {
    super(format);
    this.clientIp = clientIp;
  }
}

test('a player that joins and leaves between two readings is counted in full; every protocol feeds the per-address tally', async () => {
  const b = bed();
  b.sampler.start();
  try {
    const stream = b.hub.claim('live/a', { id: 'p1' });
    const rtmp = new AddressedSink('rtmp', '10.0.0.5');
    const flv = new AddressedSink('flv', '10.0.0.6');
    b.hub.subscribe('live/a', rtmp);
    const brief = b.hub.subscribe('live/a', flv);
    stream.publish(keyframe(0, 'K0', 1000));
    stream.publish(interframe(40, 'P40', 500));
    b.clock.advance(40);
    const sent = (sink: FakeSink) => sink.written.reduce((n, x) => n + x.length, 0);
    assert.ok(sent(flv) > 1500);
    // The HTTP-FLV player leaves before the sampler reads again: its bytes must not be lost.
    brief.close();
    b.hls.playlist('live/a', 's1', '10.0.0.9', 'play.example.com', 300);
    b.hls.media('live/a', 10_000);
    b.advance(5000);
    const [row] = b.sampler.current();
    assert.equal(row?.flvBytesOut, sent(flv));
    assert.equal(row?.rtmpBytesOut, sent(rtmp));
    assert.equal(row?.requests, 3);
    const byIp = Object.fromEntries(
      b.sampler.clientIps.totals(t0, t0 + 60_000).map((t) => [t.clientIp, [t.bytes, t.requests]]),
    );
    assert.deepEqual(byIp, {
      '10.0.0.5': [sent(rtmp), 1],
      '10.0.0.6': [sent(flv), 1],
      '10.0.0.9': [10_300, 1],
    });
    // Outside the window: nothing.
    assert.deepEqual(b.sampler.clientIps.totals(t0 + 3_600_000, t0 + 7_200_000), []);
  } finally {
    await b.sampler.close();
  }
});
