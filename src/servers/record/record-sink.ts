/**
 * The disk side of one recording: a bounded FIFO of writes (bytes and count) drained by one asynchronous
 * loop, so the publisher's synchronous tap call only appends to an array. A write that fails (ENOSPC, EIO)
 * or a queue that overflows fails the sink once: queued writes are dropped, later ones ignored, and the
 * recording is told the stable code; its bookkeeping tasks (closing the file row) still run in order.
 */
import { join } from 'node:path';
import { LiveError, type ErrorCode } from '../../errors.ts';
import type { AppendFile, RecordFs } from './record-fs.ts';
import type { RecordWrite } from './formats/record-format.ts';
import { insideRoot } from './record-names.ts';

/** The record.maxQueue* limits of one recording. */
export interface RecordQueueLimits {
  readonly maxQueueBytes: number;
  readonly maxQueueWrites: number;
}

type Item = { readonly write: RecordWrite } | { readonly task: () => Promise<void> };

/** Why a sink failed: a stable code and the sentence the file row keeps. */
export interface SinkFailure {
  readonly code: ErrorCode;
  readonly reason: string;
}

/** Writes one recording's files under `root/folder`, in order, never blocking the caller. */
export class RecordSink {
  readonly #fs: RecordFs;
  readonly #root: string;
  readonly #folder: string;
  readonly #limits: RecordQueueLimits;
  readonly #onFailure: (failure: SinkFailure) => void;
  readonly #items: Item[] = [];
  readonly #open = new Map<string, AppendFile>();
  #queuedBytes = 0;
  #draining: Promise<void> | undefined;
  #failure: SinkFailure | undefined;
  /** Bytes written per file name. */
  readonly #written = new Map<string, number>();

  constructor(
    fs: RecordFs,
    root: string,
    folder: string,
    limits: RecordQueueLimits,
    onFailure: (failure: SinkFailure) => void,
  ) {
    this.#fs = fs;
    this.#root = root;
    this.#folder = folder;
    this.#limits = limits;
    this.#onFailure = onFailure;
  }

  /** Bytes waiting for the disk. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Why the sink failed, if it did. */
  get failure(): SinkFailure | undefined {
    return this.#failure;
  }

  /** Bytes written to `name` so far (replaced files count their last size). */
  written(name: string): number {
    return this.#written.get(name) ?? 0;
  }

  /** Forgets the byte count of a file that ended (a long HLS recording makes many segments). */
  forget(name: string): void {
    this.#written.delete(name);
  }

  /** The path of `name` relative to the record root. */
  relativePath(name: string): string {
    return join(this.#folder, name);
  }

  /** Queues writes; past a limit the sink fails with RECORD_QUEUE_FULL. Synchronous and O(writes). */
  write(writes: readonly RecordWrite[]): void {
    if (this.#failure || writes.length === 0) return;
    for (const w of writes) {
      const bytes = w.op === 'close' ? 0 : w.data.length;
      if (this.#queuedBytes + bytes > this.#limits.maxQueueBytes || this.#items.length >= this.#limits.maxQueueWrites) {
        this.#fail({
          code: 'RECORD_QUEUE_FULL',
          reason: `RECORD_QUEUE_FULL: the disk fell behind: ${this.#queuedBytes} bytes in ${this.#items.length} writes waited (record.maxQueueBytes ${this.#limits.maxQueueBytes}, record.maxQueueWrites ${this.#limits.maxQueueWrites})`,
        });
        return;
      }
      this.#queuedBytes += bytes;
      this.#items.push({ write: w });
    }
    this.#kick();
  }

  /** Runs `task` after every write queued before it (even after a failure). */
  task(task: () => Promise<void>): void {
    this.#items.push({ task });
    this.#kick();
  }

  /** Resolves when everything queued so far has run. */
  async drained(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  #kick(): void {
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
  }

  async #drain(): Promise<void> {
    for (let item = this.#items.shift(); item; item = this.#items.shift()) {
      if ('task' in item) {
        await item.task().catch(() => undefined);
        continue;
      }
      const w = item.write;
      if (w.op !== 'close') this.#queuedBytes -= w.data.length;
      if (this.#failure) continue;
      try {
        await this.#apply(w);
      } catch (err) {
        this.#fail(failureOf(err));
      }
    }
  }

  async #apply(w: RecordWrite): Promise<void> {
    if (w.op === 'close') {
      const file = this.#open.get(w.name);
      this.#open.delete(w.name);
      await file?.close();
      return;
    }
    const path = insideRoot(this.#root, this.relativePath(w.name));
    if (w.op === 'rewrite') {
      await this.#fs.rewrite(path, w.data, w.copies);
      this.#written.set(w.name, w.data.length + w.copies.reduce((n, c) => n + c.size, 0));
      return;
    }
    if (w.op === 'put') {
      await this.#fs.replace(path, w.data);
      this.#written.set(w.name, w.data.length);
      return;
    }
    let file = this.#open.get(w.name);
    if (!file) this.#open.set(w.name, (file = await this.#fs.openAppend(path)));
    await file.write(w.data);
    this.#written.set(w.name, (this.#written.get(w.name) ?? 0) + w.data.length);
  }

  #fail(failure: SinkFailure): void {
    if (this.#failure) return;
    this.#failure = failure;
    // What waits is dropped (its bytes are freed); the tasks behind it still run, in order.
    for (let i = this.#items.length - 1; i >= 0; i--) {
      const item = this.#items[i]!;
      if ('write' in item) {
        if (item.write.op !== 'close') this.#queuedBytes -= item.write.data.length;
        this.#items.splice(i, 1);
      }
    }
    const open = [...this.#open.values()];
    this.#open.clear();
    for (const f of open) void f.close().catch(() => undefined);
    this.#onFailure(failure);
    this.#kick();
  }

  /** Closes any file left open (a failure or shutdown in the middle of a file). */
  async closeFiles(): Promise<void> {
    const open = [...this.#open.values()];
    this.#open.clear();
    await Promise.allSettled(open.map((f) => f.close()));
  }
}

/** Maps a write error to its stable code: a full disk or quota is RECORD_DISK_FULL. */
export function failureOf(err: unknown): SinkFailure {
  const errno = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (errno === 'ENOSPC' || errno === 'EDQUOT')
    return { code: 'RECORD_DISK_FULL', reason: `RECORD_DISK_FULL: the disk is full: ${message}` };
  if (err instanceof LiveError) return { code: err.code, reason: `${err.code}: ${message}` };
  return { code: 'RECORD_WRITE_FAILED', reason: `RECORD_WRITE_FAILED: ${message}` };
}
