/**
 * `record.storage: s3`: every finished file (its main file and, for HLS, its segments) is uploaded to the
 * bucket, a few at a time; only when all its parts are up are the local copies removed, so a failed upload
 * or a crash never loses a recording. An attempt that fails is retried after record.s3.retryDelayMs,
 * doubled each time, up to record.s3.maxAttempts; then the file is given up (RECORD_UPLOAD_FAILED, counted,
 * the callback's errcode/errmsg say so) and stays served from the local disk. Files a previous run left on
 * disk are uploaded again at start.
 */
import { basename, dirname, posix } from 'node:path';
import type { ErrorCode } from '../../../errors.ts';
import type { HubLogger } from '../../../hub/hub-options.ts';
import type { RecordFile, RecordStore } from '../../../store/record-store.ts';
import { availableFormats } from '../formats/record-formats.ts';
import type { RecordFs } from '../record-fs.ts';
import { insideRoot } from '../record-names.ts';
import { filesOf } from '../recorder.ts';
import type { FinishedFile } from '../recording.ts';
import type { RemoteRecordStorage } from './s3-record-storage.ts';

/** What the uploader is built from. */
export interface RecordUploaderDeps {
  readonly storage: RemoteRecordStorage;
  readonly fs: RecordFs;
  readonly root: string;
  readonly store: Pick<RecordStore, 'listRecordFiles'>;
  /** Put before every key (record.s3.prefix). */
  readonly prefix: string;
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  readonly log: HubLogger;
  readonly countError: (code: ErrorCode) => void;
  /** The file is uploaded (or given up: its end carries RECORD_UPLOAD_FAILED): send its callback. */
  readonly onDone: (file: FinishedFile) => void;
}

/** Counts of the uploader, for /metrics. */
export interface UploadStats {
  uploaded: number;
  retries: number;
  failed: number;
}

type Job = { readonly file: FinishedFile; readonly format: string; readonly path: string };

/** Uploads finished recordings; `start()` resumes what a previous run left, `close()` waits for uploads in flight. */
export class RecordUploader {
  readonly #d: RecordUploaderDeps;
  readonly #queue: Job[] = [];
  readonly #running = new Set<Promise<void>>();
  readonly #waits = new Map<NodeJS.Timeout, () => void>();
  readonly stats: UploadStats = { uploaded: 0, retries: 0, failed: 0 };
  #closed = false;
  readonly #abort = new AbortController();

  constructor(deps: RecordUploaderDeps) {
    this.#d = deps;
  }

  /** The bucket (the playback routes read uploaded files from it). */
  get storage(): RemoteRecordStorage {
    return this.#d.storage;
  }

  /** Files waiting for or in an upload. */
  get pending(): number {
    return this.#queue.length + this.#running.size;
  }

  /** The object key of a path relative to the record folder. */
  keyOf(relativePath: string): string {
    return this.#d.prefix + relativePath.split(/[\\/]/).join(posix.sep);
  }

  /** Queues the upload of every ended file whose main file is still on the local disk (a previous run's). */
  async start(): Promise<number> {
    let n = 0;
    for (let offset = 0; ; offset += 500) {
      const page = await this.#d.store.listRecordFiles({ limit: 500, offset });
      for (const f of page.items) {
        if (f.endedAt === null || (await this.#d.fs.size(insideRoot(this.#d.root, f.path))) === undefined) continue;
        this.enqueue(finishedOf(f));
        n++;
      }
      if (page.items.length < 500) return n;
    }
  }

  /** Queues one finished file. */
  enqueue(file: FinishedFile): void {
    if (this.#closed) return;
    this.#queue.push({ file, format: file.format, path: file.path });
    this.#pump();
  }

  /** Deletes a file's objects (its main object and, for HLS, its segments). */
  async removeFile(f: Pick<RecordFile, 'path' | 'format'>): Promise<void> {
    const key = this.keyOf(f.path);
    const keys = [key];
    if (f.format === 'hls') {
      const base = basename(f.path).replace(/\.m3u8$/, '');
      const folder = this.keyOf(dirname(f.path)) + '/';
      for (const k of await this.#d.storage.list(`${folder}${base}`)) {
        if (availableFormats.hls!.partOf!(base, k.slice(folder.length))) keys.push(k);
      }
    }
    await this.#d.storage.remove(keys);
  }

  #pump(): void {
    while (!this.#closed && this.#running.size < this.#d.concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      const run = this.#run(job).finally(() => {
        this.#running.delete(run);
        this.#pump();
      });
      this.#running.add(run);
    }
  }

  async #run(job: Job): Promise<void> {
    const d = this.#d;
    const format = availableFormats[job.format as keyof typeof availableFormats];
    const paths = await filesOf(d.fs, d.root, job);
    const present: string[] = [];
    for (const p of paths) if ((await d.fs.size(p)) !== undefined) present.push(p);
    let lastError: unknown;
    for (let attempt = 1; present.length > 0 && attempt <= d.maxAttempts; attempt++) {
      if (attempt > 1) {
        this.stats.retries++;
        await this.#sleep(d.retryDelayMs * 2 ** (attempt - 2));
        if (this.#closed) return; // left on disk: the next start uploads it
      }
      try {
        for (const p of present) {
          const name = basename(p);
          const type =
            name === basename(job.path)
              ? format?.contentType
              : format?.partOf?.(basename(job.path).replace(/\.[^.]+$/, ''), name)?.contentType;
          await d.storage.upload(
            this.keyOf(posix.join(dirname(job.path), name)),
            p,
            type ?? 'application/octet-stream',
            this.#abort.signal,
          );
        }
        // Only now the local copies go: until every part is in the bucket the disk keeps the file.
        for (const p of present) await d.fs.remove(p);
        this.stats.uploaded++;
        d.onDone(job.file);
        return;
      } catch (err) {
        if (this.#closed) return; // stopped between parts: left on disk, the next start uploads it
        lastError = err;
        d.log.warn({ err, fileId: job.file.id, attempt }, 'record upload failed');
      }
    }
    if (present.length === 0) {
      d.onDone(job.file); // nothing reached the disk (a failed recording): nothing to upload
      return;
    }
    this.stats.failed++;
    d.countError('RECORD_UPLOAD_FAILED');
    const message = lastError instanceof Error ? lastError.message : String(lastError);
    const reason = `RECORD_UPLOAD_FAILED: ${d.maxAttempts} upload attempts failed (${message}); the file stays on the local disk`;
    d.onDone({ ...job.file, end: { ...job.file.end, errorCode: 'RECORD_UPLOAD_FAILED', reason } });
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#waits.delete(t);
        resolve();
      }, ms);
      this.#waits.set(t, resolve);
    });
  }

  /** Stops taking files and waits for the uploads in flight (a retry wait ends at once); idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    for (const [t, resolve] of this.#waits) {
      clearTimeout(t);
      resolve();
    }
    this.#waits.clear();
    this.#queue.length = 0;
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
    this.#d.storage.close();
  }
}

function finishedOf(f: RecordFile): FinishedFile {
  const end = {
    endedAt: f.endedAt ?? 0,
    durationMs: f.durationMs,
    size: f.size,
    status: f.status === 'recording' ? 'cut' : f.status,
    errorCode: f.errorCode,
    reason: f.reason,
    expiresAt: f.expiresAt,
  } as const;
  return {
    id: f.id,
    domain: f.domain,
    app: f.app,
    stream: f.stream,
    format: f.format,
    path: f.path,
    startedAt: f.startedAt,
    end,
    taskId: f.taskId,
    templateId: f.templateId,
  };
}
