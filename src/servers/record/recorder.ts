/**
 * Recording for the whole node (docs/recording.md): learns of every accepted publish as a PublishListener,
 * finds what records it (the most specific record rule of its domain/app/stream, and record tasks whose
 * window is open) and starts one Recording per enabled format. A timer starts and stops task recordings as
 * their windows open and close; a sweep deletes files past their StorageTime; at start, files a killed
 * server left open are closed as cut (RECORD_CUT). Each finished file gets a type-100 callback.
 */
import { basename, dirname, join } from 'node:path';
import type { ErrorCode } from '../../errors.ts';
import type { Hub } from '../../hub/hub.ts';
import type { HubLogger } from '../../hub/hub-options.ts';
import { streamKey } from '../stream-key.ts';
import type { PublishListener, PublishObserver, PublishStart } from '../ingest/publish-session.ts';
import {
  liveRecordSpecOf,
  type LiveRecordSpec,
  type RecordFile,
  type RecordFormatParams,
  type RecordStore,
  type RecordTemplate,
} from '../../store/record-store.ts';
import { availableFormats } from './formats/record-formats.ts';
import type { RecordFormat } from './formats/record-format.ts';
import type { RecordFs } from './record-fs.ts';
import { insideRoot } from './record-names.ts';
import type { RecordQueueLimits, SinkFailure } from './record-sink.ts';
import { Recording, type FinishedFile } from './recording.ts';
import { ruleFor } from '../../control/stream-rule.ts';

/** Interval timers, injected so the sweep and the task check are tested without sleeping. */
export interface RecorderTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** The record.* options. */
export interface RecorderOptions extends RecordQueueLimits {
  readonly root: string;
  readonly segmentMs: number;
  readonly minIntervalMs: number;
  readonly sweepIntervalMs: number;
  readonly taskCheckIntervalMs: number;
}

/** What the recorder is built from. */
export interface RecorderDeps {
  readonly hub: Hub;
  readonly store: RecordStore;
  readonly fs: RecordFs;
  readonly options: RecorderOptions;
  readonly now: () => number;
  readonly log: HubLogger;
  readonly countError: (code: ErrorCode) => void;
  /** A file ended: the service sends its type-100 callback. */
  readonly onFile?: (file: FinishedFile) => void;
  /** A recording failed (RECORD_DISK_FULL, RECORD_QUEUE_FULL, ...). */
  readonly onFailed?: (stream: string, failure: SinkFailure) => void;
  readonly timers?: RecorderTimers;
  /**
   * With record.storage s3 (storage/record-uploader.ts): started after the cut files are closed (it uploads
   * what a previous run left), closed after the recordings; deletes a file's objects (retention, delete).
   */
  readonly remote?: { start(): Promise<unknown>; close(): Promise<void>; removeFile(f: RecordFile): Promise<void> };
}

/** The default of a task without a template (Tencent: HLS, kept for ever). */
const defaultTaskParams: RecordFormatParams = { enable: true, recordInterval: 0, storageTime: 0, vodFileName: '' };

/** A live publish that may be recorded. */
interface LiveStream {
  readonly start: PublishStart;
  readonly key: string;
  /** Recordings of this publish that failed: not restarted until the next publish. */
  readonly failed: Set<string>;
}

/** Every recording of this node. */
export class Recorder implements PublishListener {
  readonly #d: RecorderDeps;
  readonly #timers: RecorderTimers;
  readonly #live = new Map<string, LiveStream>();
  readonly #recordings = new Map<string, Recording>();
  #handles: unknown[] = [];
  #closed = false;
  #sweeping: Promise<number> | undefined;
  #failures = 0;

  constructor(deps: RecorderDeps) {
    this.#d = deps;
    this.#timers = deps.timers ?? {
      setInterval: (fn, ms) => setInterval(fn, ms).unref(),
      clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
    };
  }

  /** Recordings running now. */
  get active(): number {
    return this.#recordings.size;
  }

  /** Recordings stopped by a failure since start. */
  get failures(): number {
    return this.#failures;
  }

  /** Bytes waiting for the disk, across recordings (the memory budget reads it). */
  queuedBytes(): number {
    let n = 0;
    for (const r of this.#recordings.values()) n += r.queuedBytes;
    return n;
  }

  /** Closes what a killed server left open, then starts the task check and the retention sweep. */
  async start(): Promise<void> {
    const cut = await this.recoverOpen();
    if (cut > 0) this.#d.log.warn({ files: cut }, 'closed the record files a previous run left open (RECORD_CUT)');
    await this.#d.remote?.start();
    const o = this.#d.options;
    this.#handles = [
      this.#timers.setInterval(() => void this.checkTasks(), o.taskCheckIntervalMs),
      this.#timers.setInterval(() => void this.sweep(), o.sweepIntervalMs),
    ];
  }

  onPublish(start: PublishStart): PublishObserver | undefined {
    if (this.#closed) return undefined;
    const key = streamKey(start.app, start.stream);
    this.#live.set(key, { start, key, failed: new Set() });
    void this.#reconcile(key).catch((err: unknown) =>
      this.#d.log.warn({ err, stream: key }, 'could not start recording'),
    );
    return {
      onMedia: () => undefined,
      onEnd: () => {
        if (this.#live.get(key)?.start === start) this.#live.delete(key);
      },
    };
  }

  /** Starts task recordings whose window opened and stops those whose window closed. */
  async checkTasks(): Promise<void> {
    const now = this.#d.now();
    for (const r of this.#recordings.values()) {
      if (r.init.taskId === '') continue;
      const task = await this.#d.store.getRecordTask(r.init.taskId).catch(() => undefined);
      if (!task || task.stopped > 0 || task.endTime <= now) r.stop();
    }
    for (const key of this.#live.keys()) await this.#reconcile(key).catch(() => undefined);
  }

  /** Stops the recordings of a task at once (StopRecordTask, DeleteRecordTask). */
  stopTask(taskId: string): void {
    for (const r of this.#recordings.values()) if (r.init.taskId === taskId) r.stop();
  }

  /** Starts what the rules and tasks want for a live stream and is not running yet. */
  async #reconcile(key: string): Promise<void> {
    const live = this.#live.get(key);
    if (!live || this.#closed) return;
    const { domain, app, stream } = live.start;
    const store = this.#d.store;
    const now = this.#d.now();
    const wanted: { templateId: number; taskId: string; spec?: LiveRecordSpec | undefined }[] = [];
    const rule = ruleFor(await store.listRecordRules(), domain, app, stream);
    if (rule) wanted.push({ templateId: rule.templateId, taskId: '' });
    for (const t of await store.listRecordTasks({ domain, app, stream, activeAt: now })) {
      wanted.push({ templateId: t.templateId, taskId: t.taskId, spec: liveRecordSpecOf(t.extension) });
    }
    for (const w of wanted) {
      const template = w.templateId > 0 ? await store.getRecordTemplate(w.templateId) : undefined;
      if (this.#live.get(key) !== live || this.#closed) return;
      for (const [format, params] of formatsOf(template, w.taskId !== '', w.spec)) {
        const id = `${key}|${w.templateId}|${w.taskId}|${format.name}`;
        if (this.#recordings.get(id)?.active || live.failed.has(id)) continue;
        this.#startRecording(id, live, format, params, template, w);
      }
    }
  }

  #startRecording(
    id: string,
    live: LiveStream,
    format: RecordFormat,
    params: RecordFormatParams,
    template: RecordTemplate | undefined,
    w: { templateId: number; taskId: string },
  ): void {
    const d = this.#d;
    const o = d.options;
    const { domain, app, stream } = live.start;
    const recording = new Recording({
      key: live.key,
      domain,
      app,
      stream,
      format,
      params,
      flowContinueMs: (template?.params.flowContinueSeconds ?? 0) * 1000,
      templateId: w.templateId,
      taskId: w.taskId,
      hub: d.hub,
      fs: d.fs,
      root: o.root,
      limits: o,
      segmentMs: o.segmentMs,
      minIntervalMs: o.minIntervalMs,
      store: d.store,
      now: d.now,
      log: d.log,
      countError: d.countError,
      onFile: (file) => d.onFile?.(file),
      onFailed: (failure) => {
        this.#failures++;
        live.failed.add(id);
        d.onFailed?.(live.key, failure);
      },
      onStopped: (r) => {
        if (this.#recordings.get(id) === r) this.#recordings.delete(id);
      },
    });
    this.#recordings.set(id, recording);
    recording.start();
    // The publish may have ended while the rules were looked up: a tap on an idle stream would hold it.
    const entry = d.hub.get(live.key);
    if (!entry?.live && !entry?.reconnecting) {
      recording.stop();
      return;
    }
    d.log.info({ stream: live.key, format: format.name, templateId: w.templateId, taskId: w.taskId }, 'recording');
  }

  /** Ends files a killed server left open: status cut, RECORD_CUT, the size that reached the disk. */
  async recoverOpen(): Promise<number> {
    const { store, fs, now, options } = this.#d;
    const open = await store.listOpenRecordFiles();
    for (const f of open) {
      const size = await sizeOf(fs, options.root, f);
      const endedAt = now();
      await store.endRecordFile(f.id, {
        endedAt,
        durationMs: Math.max(0, endedAt - f.startedAt),
        size,
        status: 'cut',
        errorCode: 'RECORD_CUT',
        reason: 'RECORD_CUT: the server stopped without closing the file (killed); it ends where the disk has it',
        expiresAt: f.expiresAt,
      });
    }
    return open.length;
  }

  /** Deletes files past their StorageTime (the folder entries and the row); returns how many. */
  sweep(): Promise<number> {
    this.#sweeping ??= this.#sweep().finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  async #sweep(): Promise<number> {
    const { store, fs, now, options, log } = this.#d;
    let n = 0;
    try {
      for (const f of await store.listExpiredRecordFiles(now(), 100)) {
        for (const path of await filesOf(fs, options.root, f)) await fs.remove(path);
        await this.#d.remote?.removeFile(f);
        if (await store.deleteRecordFile(f.id)) n++;
      }
    } catch (err) {
      log.warn({ err }, 'could not delete expired recordings');
    }
    return n;
  }

  /** Deletes a recorded file (its folder entries, then its row); false if there is no such file. */
  async deleteFile(id: number): Promise<boolean> {
    const { store, fs, options } = this.#d;
    const f = await store.getRecordFile(id);
    if (!f) return false;
    for (const r of this.#recordings.values()) {
      // A file still being written ends first: its recording stops.
      if (f.endedAt === null && r.init.key === streamKey(f.app, f.stream) && r.init.format.name === f.format) r.stop();
    }
    for (const path of await filesOf(fs, options.root, f)) await fs.remove(path);
    await this.#d.remote?.removeFile(f);
    return await store.deleteRecordFile(id);
  }

  /** Ends every recording (their files are finished) and stops the timers; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const h of this.#handles) this.#timers.clearInterval(h);
    const all = [...this.#recordings.values()];
    for (const r of all) r.stop();
    await Promise.allSettled(all.map((r) => r.drained()));
    await this.#sweeping;
    await this.#d.remote?.close();
  }
}

/** The enabled, recordable formats of a template; a task without one records HLS (Tencent's default). */
function formatsOf(
  template: RecordTemplate | undefined,
  isTask: boolean,
  spec?: LiveRecordSpec,
): [RecordFormat, RecordFormatParams][] {
  if (spec) {
    // CreateLiveRecord: its one format (MP4 and MP3 are not recorded yet).
    const format = availableFormats[spec.format as keyof typeof availableFormats];
    return format
      ? [
          [
            format,
            { enable: true, recordInterval: spec.recordInterval, storageTime: spec.storageTime, vodFileName: '' },
          ],
        ]
      : [];
  }
  if (!template) return isTask ? [[availableFormats.hls!, defaultTaskParams]] : [];
  const out: [RecordFormat, RecordFormatParams][] = [];
  for (const [name, params] of Object.entries(template.params.formats)) {
    const format = availableFormats[name as keyof typeof availableFormats];
    if (format && params?.enable) out.push([format, params]);
  }
  return out;
}

/** Every path of a recorded file on disk: the main file and, for HLS, its segments. */
export async function filesOf(fs: RecordFs, root: string, f: Pick<RecordFile, 'path' | 'format'>): Promise<string[]> {
  const main = insideRoot(root, f.path);
  if (f.format !== 'hls') return [main];
  const base = basename(f.path).replace(/\.m3u8$/, '');
  const folder = dirname(main);
  const parts = (await fs.list(folder)).filter((n) => availableFormats.hls!.partOf!(base, n));
  return [main, ...parts.map((n) => join(folder, n))];
}

async function sizeOf(fs: RecordFs, root: string, f: RecordFile): Promise<number> {
  let n = 0;
  for (const path of await filesOf(fs, root, f)) n += (await fs.size(path)) ?? 0;
  return n;
}
