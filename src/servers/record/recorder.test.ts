import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ErrorCode } from '../../errors.ts';
import { testHub } from '../../hub/hub-test-kit.ts';
import { FlvDemuxer } from '../../protocol/flv/flv-demuxer.ts';
import { MediaType } from '../../protocol/media.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { liveRecordExtension, type RecordFormatParams } from '../../store/record-store.ts';
import { nodeRecordFs, type RecordFs } from './record-fs.ts';
import { MemoryRecordFs, loopedFeed, quietLog } from './record-test-kit.ts';
import { Recorder, type RecorderTimers } from './recorder.ts';
import type { FinishedFile } from './recording.ts';

const on = (over: Partial<RecordFormatParams> = {}): RecordFormatParams => ({
  enable: true,
  recordInterval: 0,
  storageTime: 0,
  vodFileName: '',
  ...over,
});
const start = {
  domain: 'push.example.com',
  app: 'live',
  stream: 'demo',
  clientIp: '127.0.0.1',
  serverIp: '127.0.0.1',
  query: '',
  startedAt: 0,
};

/** Timers that run only when the test says so. */
class ManualTimers implements RecorderTimers {
  readonly fns: (() => void)[] = [];
  setInterval(fn: () => void): unknown {
    this.fns.push(fn);
    return fn;
  }
  clearInterval(): void {}
}

async function bed(
  formats: Record<string, RecordFormatParams>,
  fs: RecordFs,
  opts: { root?: string; stream?: string; app?: string } = {},
) {
  const { hub, clock } = testHub();
  const store = new MemoryStore();
  const errors: ErrorCode[] = [];
  const files: FinishedFile[] = [];
  const failures: string[] = [];
  const tid = await store.recordings.addRecordTemplate({
    name: 't',
    description: '',
    createdAt: 0,
    params: { formats, flowContinueSeconds: 0, isDelayLive: 0, removeWatermark: false },
  });
  const app = opts.app ?? 'live';
  await store.recordings.setRecordRule({
    domain: start.domain,
    app,
    stream: '',
    templateId: tid,
    createdAt: 0,
    updatedAt: 0,
  });
  const timers = new ManualTimers();
  const recorder = new Recorder({
    hub,
    store: store.recordings,
    fs,
    options: {
      root: opts.root ?? '/rec',
      segmentMs: 2000,
      minIntervalMs: 1000,
      sweepIntervalMs: 1000,
      taskCheckIntervalMs: 1000,
      maxQueueBytes: 4 << 20,
      maxQueueWrites: 1000,
    },
    now: clock.now,
    log: quietLog,
    countError: (c) => errors.push(c),
    onFile: (f) => files.push(f),
    onFailed: (_s, f) => failures.push(f.code),
    timers,
  });
  await recorder.start();
  return { hub, clock, store, recorder, errors, files, failures, timers, app };
}

/** Publishes `seconds` of the looped fixture to `app/stream` once the recorder started its recordings. */
async function publish(b: Awaited<ReturnType<typeof bed>>, seconds: number, stream = 'demo', beforeEnd?: () => void) {
  const s = b.hub.claim(`${b.app}/${stream}`, { id: 'p1' });
  b.recorder.onPublish({ ...start, app: b.app, stream });
  await new Promise((r) => setTimeout(r, 20));
  const { headers, frames } = loopedFeed(seconds);
  for (const m of [...headers, ...frames]) s.publish(m);
  beforeEnd?.();
  b.hub.release(s, 'p1');
  await b.recorder.close();
  return s;
}

test('FLV split at keyframes every RecordInterval: the files tile the stream, each starts with headers and a keyframe at 0', async () => {
  const root = mkdtempSync(join(tmpdir(), 'rec-'));
  try {
    const b = await bed({ flv: on({ recordInterval: 3 }) }, nodeRecordFs, { root });
    await publish(b, 10);
    const rows = (await b.store.recordings.listRecordFiles()).items;
    assert.equal(rows.length, 4); // 0-3, 3-6, 6-9, 9-10
    assert.deepEqual(
      rows.map((r) => r.status),
      ['done', 'done', 'done', 'done'],
    );
    assert.deepEqual(
      rows.slice(0, 3).map((r) => r.durationMs),
      [3000, 3000, 3000],
    );
    assert.ok(Math.abs(rows[3]!.durationMs - 1000) <= 40, String(rows[3]!.durationMs));
    assert.equal(b.files.length, 4);
    for (const r of rows) {
      assert.ok(r.path.startsWith('push.example.com/live/demo/'), r.path);
      const bytes = readFileSync(join(root, r.path));
      assert.equal(bytes.length, r.size);
      const tags = new FlvDemuxer().push(bytes);
      assert.equal(tags[0]!.type, MediaType.Data);
      assert.ok(tags[1]!.sequenceHeader && tags[2]!.sequenceHeader);
      const firstVideo = tags.find((t) => t.type === MediaType.Video && !t.sequenceHeader)!;
      assert.equal(firstVideo.keyframe, true);
      assert.equal(firstVideo.timestamp, 0);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('HLS: one file per push (RecordInterval ignored), TS segments at keyframes, a VOD playlist with ENDLIST', async () => {
  const root = mkdtempSync(join(tmpdir(), 'rec-'));
  try {
    const b = await bed({ hls: on({ recordInterval: 1 }) }, nodeRecordFs, { root });
    await publish(b, 7);
    const rows = (await b.store.recordings.listRecordFiles()).items;
    assert.equal(rows.length, 1);
    const playlist = readFileSync(join(root, rows[0]!.path), 'utf8');
    assert.match(playlist, /#EXT-X-PLAYLIST-TYPE:VOD/);
    assert.match(playlist, /#EXT-X-ENDLIST\n$/);
    const durations = [...playlist.matchAll(/#EXTINF:([\d.]+),/g)].map((m) => Number(m[1]));
    assert.deepEqual(durations.slice(0, 3), [2, 2, 2]);
    assert.ok(Math.abs(durations.reduce((a, b) => a + b, 0) - 7) < 0.05);
    const folder = join(root, 'push.example.com/live/demo');
    const segments = readdirSync(folder).filter((n) => n.endsWith('.ts'));
    assert.equal(segments.length, 4);
    for (const s of segments) assert.equal(readFileSync(join(folder, s))[0], 0x47);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('AAC: audio only, ADTS frames from the first audio frame on', async () => {
  const fs = new MemoryRecordFs();
  const b = await bed({ aac: on() }, fs);
  await publish(b, 2);
  const [row] = (await b.store.recordings.listRecordFiles()).items;
  const bytes = fs.files.get(`/rec/${row!.path}`)!;
  assert.equal(bytes[0], 0xff);
  assert.equal(bytes[1]! & 0xf0, 0xf0);
  assert.equal(row!.size, bytes.length);
  assert.equal(row!.format, 'aac');
});

test('a full disk (ENOSPC) stops the recording with RECORD_DISK_FULL in its row, counted, while the stream and its viewer continue', async () => {
  const fs = new MemoryRecordFs();
  fs.failAfterBytes = 20_000;
  const b = await bed({ flv: on() }, fs);
  // A viewer stands in as another tap: it must get every message, before and after the recording failed.
  let viewed = 0;
  const viewer = b.hub.tap('live/demo', {
    publisherStarted: () => undefined,
    media: () => void viewed++,
    publisherEnded: () => undefined,
  });
  let published = 0;
  await publish(b, 5, 'demo', () => {
    published = loopedFeed(5).frames.length + loopedFeed(5).headers.length;
  });
  viewer.close();
  assert.equal(viewed, published);
  const [row] = (await b.store.recordings.listRecordFiles()).items;
  assert.equal(row!.status, 'failed');
  assert.equal(row!.errorCode, 'RECORD_DISK_FULL');
  assert.match(row!.reason, /^RECORD_DISK_FULL: /);
  assert.deepEqual(b.errors, ['RECORD_DISK_FULL']);
  assert.deepEqual(b.failures, ['RECORD_DISK_FULL']);
  assert.equal(b.files[0]?.end.errorCode, 'RECORD_DISK_FULL');
  assert.ok(row!.size > 0 && row!.size <= 20_000);
});

test('a disk that never answers fills the queue: RECORD_QUEUE_FULL, the publisher never waits', async () => {
  const fs = new MemoryRecordFs();
  fs.stall = true;
  const b = await bed({ flv: on() }, fs);
  const s = b.hub.claim('live/demo', { id: 'p1' });
  b.recorder.onPublish(start);
  await new Promise((r) => setTimeout(r, 20));
  const { headers, frames } = loopedFeed(200); // about 10 MB against a 4 MiB queue
  for (const m of [...headers, ...frames]) s.publish(m);
  assert.deepEqual(b.errors, ['RECORD_QUEUE_FULL']);
  assert.ok(b.recorder.queuedBytes() <= 4 << 20);
  b.hub.release(s, 'p1');
});

test('names like ../../x stay inside the record folder', async () => {
  const fs = new MemoryRecordFs();
  const b = await bed({ flv: on() }, fs, { app: '..' });
  await publish(b, 2, '../../x');
  const [row] = (await b.store.recordings.listRecordFiles()).items;
  assert.equal(row!.status, 'done');
  for (const path of fs.files.keys()) assert.ok(path.startsWith('/rec/push.example.com/%2E./%2E.%2F..%2Fx/'), path);
});

test('the sweep deletes files past StorageTime; recoverOpen closes files a killed server left as cut', async () => {
  const fs = new MemoryRecordFs();
  const b = await bed({ flv: on({ storageTime: 60 }), hls: on() }, fs);
  await publish(b, 3);
  const rows = (await b.store.recordings.listRecordFiles()).items;
  assert.equal(rows.length, 2);
  const flv = rows.find((r) => r.format === 'flv')!;
  assert.equal(flv.expiresAt, flv.endedAt! + 60_000);
  const b2 = new Recorder({
    hub: b.hub,
    store: b.store.recordings,
    fs,
    options: {
      root: '/rec',
      segmentMs: 2000,
      minIntervalMs: 1000,
      sweepIntervalMs: 1000,
      taskCheckIntervalMs: 1000,
      maxQueueBytes: 1 << 20,
      maxQueueWrites: 100,
    },
    now: () => flv.endedAt! + 60_000,
    log: quietLog,
    countError: () => undefined,
    timers: new ManualTimers(),
  });
  assert.equal(await b2.sweep(), 1);
  assert.equal(fs.files.has(`/rec/${flv.path}`), false);
  assert.equal((await b.store.recordings.listRecordFiles()).items.length, 1);
  const hlsFiles = [...fs.files.keys()].filter((p) => p.endsWith('.ts') || p.endsWith('.m3u8'));
  assert.ok(hlsFiles.length >= 2, 'HLS has no StorageTime and stays');
  const open = await b.store.recordings.addRecordFile({ ...flv, startedAt: flv.startedAt });
  assert.equal(await b2.recoverOpen(), 1);
  const cut = await b.store.recordings.getRecordFile(open);
  assert.equal(cut!.status, 'cut');
  assert.equal(cut!.errorCode, 'RECORD_CUT');
});

test('a record task records HLS by default while its window is open and stops at StopRecordTask', async () => {
  const fs = new MemoryRecordFs();
  const b = await bed({}, fs);
  await b.store.recordings.deleteRecordRule(start.domain, 'live', '');
  await b.store.recordings.addRecordTask({
    taskId: 't1',
    ...start,
    startTime: 0,
    endTime: 3600_000,
    templateId: 0,
    extension: '',
    stopped: 0,
    createdAt: 0,
  });
  const s = b.hub.claim('live/demo', { id: 'p1' });
  b.recorder.onPublish(start);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(b.recorder.active, 1);
  const { headers, frames } = loopedFeed(3);
  for (const m of [...headers, ...frames]) s.publish(m);
  await b.store.recordings.stopRecordTask('t1', 1);
  b.recorder.stopTask('t1');
  b.timers.fns[0]!(); // the task check: a stopped task is not started again
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(b.recorder.active, 0);
  const [row] = (await b.store.recordings.listRecordFiles()).items;
  assert.equal(row!.format, 'hls');
  assert.equal(row!.taskId, 't1');
  assert.equal(row!.status, 'done');
  b.hub.release(s, 'p1');
  await b.recorder.close();
});

test('HLS with FlowContinueDuration keeps one file through a reconnect within the hub grace; FLV starts a new one', async () => {
  const fs = new MemoryRecordFs();
  const { hub, clock } = testHub({ reconnectGraceMs: 10_000 });
  const store = new MemoryStore();
  const tid = await store.recordings.addRecordTemplate({
    name: 't',
    description: '',
    createdAt: 0,
    params: { formats: { hls: on(), flv: on() }, flowContinueSeconds: 30, isDelayLive: 0, removeWatermark: false },
  });
  await store.recordings.setRecordRule({
    domain: start.domain,
    app: 'live',
    stream: '',
    templateId: tid,
    createdAt: 0,
    updatedAt: 0,
  });
  const recorder = new Recorder({
    hub,
    store: store.recordings,
    fs,
    now: clock.now,
    log: quietLog,
    countError: () => undefined,
    timers: new ManualTimers(),
    options: {
      root: '/rec',
      segmentMs: 2000,
      minIntervalMs: 1000,
      sweepIntervalMs: 1000,
      taskCheckIntervalMs: 1000,
      maxQueueBytes: 4 << 20,
      maxQueueWrites: 1000,
    },
  });
  await recorder.start();
  const viewer = hub.tap('live/demo', {
    publisherStarted: () => undefined,
    media: () => undefined,
    publisherEnded: () => undefined,
    publisherPaused: () => undefined,
  });
  for (let i = 0; i < 2; i++) {
    const s = hub.claim('live/demo', { id: `p${i}` });
    recorder.onPublish(start);
    await new Promise((r) => setTimeout(r, 20));
    const { headers, frames } = loopedFeed(3);
    for (const m of [...headers, ...frames]) s.publish(m);
    hub.release(s, `p${i}`, { grace: true });
  }
  clock.advance(20_000);
  viewer.close();
  await recorder.close();
  const rows = (await store.recordings.listRecordFiles()).items;
  assert.deepEqual(rows.filter((r) => r.format === 'hls').length, 1);
  assert.deepEqual(rows.filter((r) => r.format === 'flv').length, 2);
  const hls = rows.find((r) => r.format === 'hls')!;
  assert.ok(Math.abs(hls.durationMs - 6000) <= 200, `one HLS file of both pushes: ${hls.durationMs} ms`);
});

test('a CreateLiveRecord task records its one format with its StreamParam interval', async () => {
  const fs = new MemoryRecordFs();
  const b = await bed({}, fs);
  await b.store.recordings.deleteRecordRule(start.domain, 'live', '');
  const extension = liveRecordExtension({ format: 'flv', recordInterval: 2, storageTime: 0 });
  await b.store.recordings.addRecordTask({
    taskId: '77',
    ...start,
    startTime: 0,
    endTime: 3600_000,
    templateId: 0,
    extension,
    stopped: 0,
    createdAt: 0,
  });
  await publish(b, 5);
  const rows = (await b.store.recordings.listRecordFiles()).items;
  assert.deepEqual(rows.map((r) => [r.format, r.taskId, r.durationMs]).slice(0, 2), [
    ['flv', '77', 2000],
    ['flv', '77', 2000],
  ]);
  assert.equal(rows.length, 3);
});
