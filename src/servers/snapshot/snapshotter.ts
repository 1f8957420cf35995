/**
 * Snapshots for the whole node (docs/recording.md "Snapshots"): learns of every accepted publish as a
 * PublishListener, finds what takes pictures of it (the most specific snapshot rule of its domain/app/stream,
 * and screenshot tasks whose window is open) and starts one SnapshotSession each. A due picture is decoded by
 * the bounded JpegDecoder, written under the snapshot folder with a name built only from safe parts, gets a
 * row and a type-200 callback. A sweep deletes pictures past `snapshot.storageSeconds`.
 */
import { join } from 'node:path';
import { LiveError, toLiveError, type ErrorCode } from '../../errors.ts';
import type { Hub } from '../../hub/hub.ts';
import type { HubLogger } from '../../hub/hub-options.ts';
import { streamKey } from '../stream-key.ts';
import type { PublishListener, PublishObserver, PublishStart } from '../ingest/publish-session.ts';
import type { SnapshotFile, SnapshotStore, SnapshotTemplate } from '../../store/snapshot-store.ts';
import type { RecordFs } from '../record/record-fs.ts';
import { fileBase, insideRoot, streamFolder } from '../record/record-names.ts';
import type { JpegDecoder } from './jpeg-decoder.ts';
import { jpegSize } from './jpeg-size.ts';
import { SnapshotSession, type SnapshotTimers } from './snapshot-session.ts';
import { ruleFor } from '../../control/stream-rule.ts';

/** The snapshot.* options the snapshotter needs. */
export interface SnapshotterOptions {
  readonly root: string;
  readonly minIntervalMs: number;
  readonly maxKeyframeBytes: number;
  readonly storageMs: number;
  readonly sweepIntervalMs: number;
  readonly taskCheckIntervalMs: number;
}

/** What the snapshotter is built from. */
export interface SnapshotterDeps {
  readonly hub: Hub;
  readonly store: SnapshotStore;
  readonly fs: Pick<RecordFs, 'replace' | 'remove'>;
  readonly decoder: JpegDecoder;
  readonly options: SnapshotterOptions;
  readonly now: () => number;
  readonly log: HubLogger;
  readonly countError: (code: ErrorCode) => void;
  /** A picture is stored: the service sends its type-200 callback. */
  readonly onPicture?: (file: SnapshotFile) => void;
  readonly timers?: SnapshotTimers;
}

/** Every snapshot session of this node. */
export class Snapshotter implements PublishListener {
  readonly #d: SnapshotterDeps;
  readonly #timers: SnapshotTimers;
  readonly #live = new Map<string, PublishStart>();
  readonly #sessions = new Map<string, SnapshotSession>();
  readonly #pending = new Set<Promise<void>>();
  #handles: unknown[] = [];
  #seq = 0;
  #closed = false;
  #sweeping: Promise<number> | undefined;
  /** Pictures stored, and pictures skipped by a failure, since start. */
  readonly stats = { taken: 0, failed: 0 };

  constructor(deps: SnapshotterDeps) {
    this.#d = deps;
    this.#timers = deps.timers ?? {
      setInterval: (fn, ms) => setInterval(fn, ms).unref(),
      clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
    };
  }

  /** Sessions running now. */
  get active(): number {
    return this.#sessions.size;
  }

  /** Starts the task check and the retention sweep. */
  start(): void {
    const o = this.#d.options;
    this.#handles = [
      this.#timers.setInterval(() => void this.checkTasks(), o.taskCheckIntervalMs),
      this.#timers.setInterval(() => void this.sweep(), o.sweepIntervalMs),
    ];
  }

  onPublish(start: PublishStart): PublishObserver | undefined {
    if (this.#closed) return undefined;
    const key = streamKey(start.app, start.stream);
    this.#live.set(key, start);
    void this.#reconcile(key).catch((err: unknown) =>
      this.#d.log.warn({ err, stream: key }, 'could not start snapshots'),
    );
    return {
      onMedia: () => undefined,
      onEnd: () => {
        if (this.#live.get(key) === start) this.#live.delete(key);
      },
    };
  }

  /** Starts task sessions whose window opened and stops those whose window closed (or were stopped). */
  async checkTasks(): Promise<void> {
    const now = this.#d.now();
    for (const s of this.#sessions.values()) {
      if (s.init.taskId === '') continue;
      const task = await this.#d.store.getSnapshotTask(s.init.taskId).catch(() => undefined);
      if (!task || task.stopped > 0 || task.endTime <= now) s.stop();
    }
    for (const key of this.#live.keys()) await this.#reconcile(key).catch(() => undefined);
  }

  /** Stops a task's sessions at once (StopScreenshotTask, DeleteScreenshotTask). */
  stopTask(taskId: string): void {
    for (const s of this.#sessions.values()) if (s.init.taskId === taskId) s.stop();
  }

  async #reconcile(key: string): Promise<void> {
    const live = this.#live.get(key);
    if (!live || this.#closed) return;
    const { domain, app, stream } = live;
    const store = this.#d.store;
    const wanted: { templateId: number; taskId: string }[] = [];
    // As record rules: the rule naming the stream wins over the AppName-wide one, which wins over the domain's.
    const rule = ruleFor(await store.listSnapshotRules(), domain, app, stream);
    if (rule) wanted.push({ templateId: rule.templateId, taskId: '' });
    for (const t of await store.listSnapshotTasks({ domain, app, stream, activeAt: this.#d.now() }))
      wanted.push({ templateId: t.templateId, taskId: t.taskId });
    for (const w of wanted) {
      const id = `${key}|${w.templateId}|${w.taskId}`;
      if (this.#sessions.get(id)?.active) continue;
      // Tencent: a task with a wrong TemplateId takes no pictures.
      const template = await store.getSnapshotTemplate(w.templateId);
      if (!template || this.#live.get(key) !== live || this.#closed || this.#sessions.get(id)?.active) continue;
      this.#startSession(id, key, live, template, w.taskId);
    }
  }

  #startSession(id: string, key: string, live: PublishStart, template: SnapshotTemplate, taskId: string): void {
    const d = this.#d;
    const session = new SnapshotSession({
      key,
      domain: live.domain,
      app: live.app,
      stream: live.stream,
      template,
      taskId,
      intervalMs: Math.max(template.params.interval * 1000, d.options.minIntervalMs),
      hub: d.hub,
      timers: this.#timers,
      take: (s, flv) => this.#take(s, flv),
      onStopped: (s) => {
        if (this.#sessions.get(id) === s) this.#sessions.delete(id);
      },
    });
    this.#sessions.set(id, session);
    session.start();
    // The publish may have ended while the rules were looked up: a tap on an idle stream would hold it.
    const entry = d.hub.get(key);
    if (!entry?.live) session.stop();
  }

  #take(session: SnapshotSession, flv: Buffer): void {
    const run = this.#store(session, flv).catch((err: unknown) => {
      const e = toLiveError(err);
      this.stats.failed++;
      this.#d.countError(e.code);
      this.#d.log.warn({ stream: session.init.key, code: e.code, reason: e.message }, 'snapshot skipped');
    });
    this.#pending.add(run);
    void run.finally(() => this.#pending.delete(run));
  }

  async #store(session: SnapshotSession, flv: Buffer): Promise<void> {
    const d = this.#d;
    const { init } = session;
    if (flv.length > d.options.maxKeyframeBytes) {
      throw new LiveError(
        'SNAPSHOT_TOO_LARGE',
        `the keyframe is ${flv.length} bytes, over snapshot.maxKeyframeBytes (${d.options.maxKeyframeBytes})`,
      );
    }
    const jpeg = await d.decoder.decode(flv, {
      width: init.template.params.width,
      height: init.template.params.height,
    });
    const size = jpegSize(jpeg);
    if (!size) throw new LiveError('SNAPSHOT_DECODE_FAILED', 'ffmpeg wrote something that is not a JPEG');
    const takenAt = d.now();
    // Every part of the name is safe: percent-encoded names (record-names.ts), a time and a counter.
    const path = join(
      streamFolder(init.domain, init.app, init.stream),
      `${fileBase(init.stream, takenAt, ++this.#seq)}.jpg`,
    );
    try {
      await d.fs.replace(insideRoot(d.options.root, path), jpeg);
    } catch (err) {
      throw new LiveError(
        'SNAPSHOT_WRITE_FAILED',
        `cannot write the snapshot: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    const storage = d.options.storageMs;
    const file = {
      domain: init.domain,
      app: init.app,
      stream: init.stream,
      path,
      takenAt,
      width: size.width,
      height: size.height,
      size: jpeg.length,
      templateId: init.template.id,
      taskId: init.taskId,
      expiresAt: storage > 0 ? takenAt + storage : null,
    };
    const id = await d.store.addSnapshotFile(file);
    this.stats.taken++;
    d.onPicture?.({ ...file, id, nodeId: '' });
  }

  /** Deletes pictures past their storage time (the file, then the row); returns how many. */
  sweep(): Promise<number> {
    this.#sweeping ??= this.#sweep().finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  async #sweep(): Promise<number> {
    const { store, now, log } = this.#d;
    let n = 0;
    try {
      for (const f of await store.listExpiredSnapshotFiles(now(), 200)) if (await this.deleteFile(f.id)) n++;
    } catch (err) {
      log.warn({ err }, 'could not delete expired snapshots');
    }
    return n;
  }

  /** Deletes a picture (its file, then its row); false if there is no such picture. */
  async deleteFile(id: number): Promise<boolean> {
    const f = await this.#d.store.getSnapshotFile(id);
    if (!f) return false;
    await this.#d.fs.remove(insideRoot(this.#d.options.root, f.path));
    return await this.#d.store.deleteSnapshotFile(id);
  }

  /** Resolves when every picture being decoded or written is done. */
  async drained(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Stops every session and the timers, kills running decoders; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const h of this.#handles) this.#timers.clearInterval(h);
    for (const s of [...this.#sessions.values()]) s.stop();
    this.#d.decoder.close();
    await this.drained();
    await this.#sweeping;
  }
}
