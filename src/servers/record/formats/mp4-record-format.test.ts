import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { testHub } from '../../../hub/hub-test-kit.ts';
import { MemoryStore } from '../../../store/memory-store.ts';
import { nodeRecordFs } from '../record-fs.ts';
import { loopedFeed, quietLog } from '../record-test-kit.ts';
import { Recorder } from '../recorder.ts';
import { mp4RecordFormat } from './mp4-record-format.ts';
import type { RecordWrite } from './record-format.ts';

/** The top-level box types of an MP4 file, in order. */
function topBoxes(b: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at + 8 <= b.length;) {
    let size = b.readUInt32BE(at);
    if (size === 1) size = Number(b.readBigUInt64BE(at + 8));
    out.push(b.toString('latin1', at + 4, at + 8));
    if (size < 8) break;
    at += size;
  }
  return out;
}

function probe(path: string): { duration: number; streams: { codec_name: string; width?: number }[] } {
  const j = JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-of', 'json', '-show_format', '-show_streams', path], {
      encoding: 'utf8',
    }),
  );
  return { duration: Number(j.format.duration), streams: j.streams };
}

test('the writer appends a fragmented MP4 while writing (playable as it is) and rewrites it as faststart at the end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mp4w-'));
  try {
    const w = mp4RecordFormat.create({ base: 'demo_1_1', audio: true, video: true, segmentMs: 2000 });
    assert.equal(w.mainName, 'demo_1_1.mp4');
    const { headers, frames } = loopedFeed(4);
    const appended: Buffer[] = [];
    const take = (ws: RecordWrite[]) => ws.filter((x) => x.op === 'append').forEach((x) => appended.push(x.data));
    for (const m of [...headers, ...frames]) take(w.push(m));
    const fragmented = Buffer.concat(appended);
    assert.deepEqual(topBoxes(fragmented).slice(0, 4), ['ftyp', 'moov', 'moof', 'mdat']);
    writeFileSync(join(dir, 'cut.mp4'), fragmented);
    const cut = probe(join(dir, 'cut.mp4'));
    assert.deepEqual(cut.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    const end = w.finish(4000);
    take(end);
    const rewrite = end.at(-1)!;
    assert.equal(rewrite.op, 'rewrite');
    assert.equal(end.at(-2)!.op, 'close');
    if (rewrite.op !== 'rewrite') return;
    const whole = Buffer.concat(appended);
    const final = Buffer.concat([
      rewrite.data,
      ...rewrite.copies.map((c) => whole.subarray(c.offset, c.offset + c.size)),
    ]);
    assert.deepEqual(topBoxes(final), ['ftyp', 'moov', 'mdat']);
    writeFileSync(join(dir, 'final.mp4'), final);
    const p = probe(join(dir, 'final.mp4'));
    assert.ok(Math.abs(p.duration - 4) <= 0.1, String(p.duration));
    assert.equal(p.streams.find((s) => s.codec_name === 'h264')!.width, 320);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a recorder with Mp4Param split every 3 s writes faststart MP4 pieces on disk that tile the stream', async () => {
  const root = mkdtempSync(join(tmpdir(), 'mp4rec-'));
  try {
    const { hub, clock } = testHub();
    const store = new MemoryStore();
    const on = { enable: true, recordInterval: 3, storageTime: 0, vodFileName: '' };
    const tid = await store.recordings.addRecordTemplate({
      name: 't',
      description: '',
      createdAt: 0,
      params: { formats: { mp4: on }, flowContinueSeconds: 0, isDelayLive: 0, removeWatermark: false },
    });
    await store.recordings.setRecordRule({
      domain: 'push.example.com',
      app: 'live',
      stream: '',
      templateId: tid,
      createdAt: 0,
      updatedAt: 0,
    });
    const recorder = new Recorder({
      hub,
      store: store.recordings,
      fs: nodeRecordFs,
      options: {
        root,
        segmentMs: 2000,
        minIntervalMs: 1000,
        sweepIntervalMs: 1000,
        taskCheckIntervalMs: 1000,
        maxQueueBytes: 4 << 20,
        maxQueueWrites: 1000,
      },
      now: clock.now,
      log: quietLog,
      countError: () => undefined,
      timers: { setInterval: () => 0, clearInterval: () => undefined },
    });
    await recorder.start();
    const s = hub.claim('live/demo', { id: 'p1' });
    recorder.onPublish({
      domain: 'push.example.com',
      app: 'live',
      stream: 'demo',
      clientIp: '127.0.0.1',
      serverIp: '127.0.0.1',
      query: '',
      startedAt: 0,
    });
    await new Promise((r) => setTimeout(r, 20));
    const { headers, frames } = loopedFeed(10);
    for (const m of [...headers, ...frames]) s.publish(m);
    hub.release(s, 'p1');
    await recorder.close();
    const rows = (await store.recordings.listRecordFiles()).items;
    assert.deepEqual(
      rows.map((r) => [r.format, r.status]),
      [
        ['mp4', 'done'],
        ['mp4', 'done'],
        ['mp4', 'done'],
        ['mp4', 'done'],
      ],
    );
    assert.deepEqual(
      rows.slice(0, 3).map((r) => r.durationMs),
      [3000, 3000, 3000],
    );
    let total = 0;
    for (const r of rows) {
      const bytes = readFileSync(join(root, r.path));
      assert.equal(bytes.length, r.size);
      assert.deepEqual(topBoxes(bytes), ['ftyp', 'moov', 'mdat']);
      total += probe(join(root, r.path)).duration;
    }
    assert.ok(Math.abs(total - 10) <= 0.2, String(total));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
