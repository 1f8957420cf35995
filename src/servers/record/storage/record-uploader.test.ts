import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { ErrorCode } from '../../../errors.ts';
import type { RecordFile } from '../../../store/record-store.ts';
import { MemoryRecordFs, quietLog } from '../record-test-kit.ts';
import type { FinishedFile } from '../recording.ts';
import { RecordUploader } from './record-uploader.ts';
import type { RemoteRecordStorage } from './s3-record-storage.ts';

/** A bucket in memory whose first `failures` uploads fail. */
class FakeBucket implements RemoteRecordStorage {
  readonly objects = new Map<string, { data: Buffer; type: string }>();
  failures = 0;
  uploads = 0;
  readonly fs: MemoryRecordFs;
  constructor(fs: MemoryRecordFs) {
    this.fs = fs;
  }
  async upload(key: string, localPath: string, contentType: string): Promise<void> {
    this.uploads++;
    if (this.failures-- > 0) throw new Error('connect ECONNREFUSED');
    this.objects.set(key, { data: this.fs.files.get(localPath)!, type: contentType });
  }
  async size(key: string) {
    return this.objects.get(key)?.data.length;
  }
  async read(key: string, start: number, end: number) {
    return Readable.from([this.objects.get(key)!.data.subarray(start, end + 1)]);
  }
  async list(prefix: string) {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix));
  }
  async remove(keys: readonly string[]) {
    for (const k of keys) this.objects.delete(k);
  }
  close() {}
}

const end = {
  endedAt: 2000,
  durationMs: 2000,
  size: 3,
  status: 'done',
  errorCode: '',
  reason: '',
  expiresAt: null,
} as const;
const file = (format: string, path: string): FinishedFile => ({
  id: 1,
  domain: 'd',
  app: 'live',
  stream: 's',
  format,
  path,
  startedAt: 0,
  end,
  taskId: '',
  templateId: 1,
});

function bed(bucketFailures: number, maxAttempts = 3) {
  const fs = new MemoryRecordFs();
  const bucket = new FakeBucket(fs);
  bucket.failures = bucketFailures;
  const errors: ErrorCode[] = [];
  const done: FinishedFile[] = [];
  const uploader = new RecordUploader({
    storage: bucket,
    fs,
    root: '/rec',
    store: { listRecordFiles: async () => ({ items: [] as RecordFile[], total: 0 }) },
    prefix: 'p/',
    concurrency: 2,
    maxAttempts,
    retryDelayMs: 1,
    log: quietLog,
    countError: (c) => errors.push(c),
    onDone: (f) => done.push(f),
  });
  return { fs, bucket, errors, done, uploader };
}

test('close() during a failing upload stops its retries and keeps the local file (the next start uploads it)', async () => {
  const b = bed(2);
  b.fs.files.set('/rec/d/live/s/a.mp4', Buffer.from('abc'));
  b.uploader.enqueue(file('mp4', 'd/live/s/a.mp4'));
  await b.uploader.close();
  assert.equal(b.done.length, 0);
  assert.deepEqual(b.errors, []);
  assert.ok(b.fs.files.has('/rec/d/live/s/a.mp4'));
});

test('an upload that fails twice is retried, then the local copies go and the callback follows', async () => {
  const c = bed(2);
  c.fs.files.set('/rec/d/live/s/a.mp4', Buffer.from('abc'));
  c.uploader.enqueue(file('mp4', 'd/live/s/a.mp4'));
  await waitFor(() => c.done.length === 1);
  assert.equal(c.bucket.uploads, 3);
  assert.equal(c.uploader.stats.retries, 2);
  assert.deepEqual(c.bucket.objects.get('p/d/live/s/a.mp4'), { data: Buffer.from('abc'), type: 'video/mp4' });
  assert.equal(c.fs.files.has('/rec/d/live/s/a.mp4'), false);
  assert.equal(c.done[0]!.end.errorCode, '');
  assert.deepEqual(c.errors, []);
  await c.uploader.close();
});

test('after maxAttempts the file is given up: counted, the callback says RECORD_UPLOAD_FAILED, the local file stays', async () => {
  const b = bed(100, 3);
  b.fs.files.set('/rec/d/live/s/a.flv', Buffer.from('abc'));
  b.uploader.enqueue(file('flv', 'd/live/s/a.flv'));
  await waitFor(() => b.done.length === 1);
  assert.equal(b.bucket.uploads, 3);
  assert.deepEqual(b.errors, ['RECORD_UPLOAD_FAILED']);
  assert.equal(b.done[0]!.end.errorCode, 'RECORD_UPLOAD_FAILED');
  assert.match(b.done[0]!.end.reason, /^RECORD_UPLOAD_FAILED: 3 upload attempts failed \(connect ECONNREFUSED\)/);
  assert.ok(b.fs.files.has('/rec/d/live/s/a.flv'));
  assert.equal(b.uploader.stats.failed, 1);
  await b.uploader.close();
});

test('HLS: the playlist and its segments go up with their types; removeFile deletes them all and nothing else', async () => {
  const b = bed(0);
  b.fs.files.set('/rec/d/live/s/h.m3u8', Buffer.from('#EXTM3U'));
  b.fs.files.set('/rec/d/live/s/h_0.ts', Buffer.from('ts0'));
  b.fs.files.set('/rec/d/live/s/h_1.ts', Buffer.from('ts1'));
  b.fs.files.set('/rec/d/live/s/other.flv', Buffer.from('x'));
  b.uploader.enqueue(file('hls', 'd/live/s/h.m3u8'));
  await waitFor(() => b.done.length === 1);
  assert.deepEqual([...b.bucket.objects.keys()].sort(), [
    'p/d/live/s/h.m3u8',
    'p/d/live/s/h_0.ts',
    'p/d/live/s/h_1.ts',
  ]);
  assert.equal(b.bucket.objects.get('p/d/live/s/h_0.ts')!.type, 'video/mp2t');
  assert.deepEqual([...b.fs.files.keys()], ['/rec/d/live/s/other.flv']);
  b.bucket.objects.set('p/d/live/s/hx.flv', { data: Buffer.from('y'), type: 'video/x-flv' });
  await b.uploader.removeFile({ path: 'd/live/s/h.m3u8', format: 'hls' });
  assert.deepEqual([...b.bucket.objects.keys()], ['p/d/live/s/hx.flv']);
  await b.uploader.close();
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'timed out');
}
