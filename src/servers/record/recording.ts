/**
 * One recording: one stream in one format, as a hub MediaTap. Its tap calls only build bytes and queue them
 * on the recording's own RecordSink (bounded in bytes and writes), so the publisher never waits on the disk.
 * A file starts on a keyframe (an audio frame for audio-only formats and streams without video) with the
 * metadata and sequence headers first and timestamps rebased to 0; it is split at the first keyframe
 * `RecordInterval` seconds after its start, so consecutive files tile the stream. A failed sink (full disk,
 * queue overflow) ends the file with its code and stops the recording; viewers are not affected.
 */
import type { ErrorCode } from '../../errors.ts';
import type { Hub } from '../../hub/hub.ts';
import type { HubLogger } from '../../hub/hub-options.ts';
import type { TapHandle } from '../../hub/media-tap.ts';
import type { Stream } from '../../hub/stream.ts';
import { MediaType, type MediaMessage } from '../../protocol/media.ts';
import type { RecordFileEnd, RecordFormatParams, RecordStore } from '../../store/record-store.ts';
import type { RecordFormat, RecordFormatWriter, RecordWrite } from './formats/record-format.ts';
import type { RecordFs } from './record-fs.ts';
import { fileBase, streamFolder } from './record-names.ts';
import { RecordSink, type RecordQueueLimits, type SinkFailure } from './record-sink.ts';

/** A file that ended, for the record callback and the log. */
export interface FinishedFile {
  readonly id: number;
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  readonly format: string;
  readonly path: string;
  readonly startedAt: number;
  readonly end: RecordFileEnd;
  readonly taskId: string;
  readonly templateId: number;
}

/** What a recording is built from. */
export interface RecordingInit {
  readonly key: string;
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  readonly format: RecordFormat;
  readonly params: RecordFormatParams;
  /** How long an HLS file waits through a reconnect grace (HlsSpecialParam.FlowContinueDuration); 0 = not. */
  readonly flowContinueMs: number;
  readonly templateId: number;
  readonly taskId: string;
  readonly hub: Hub;
  readonly fs: RecordFs;
  readonly root: string;
  readonly limits: RecordQueueLimits;
  readonly segmentMs: number;
  /** The shortest RecordInterval honoured (record.minIntervalSeconds). */
  readonly minIntervalMs: number;
  readonly store: Pick<RecordStore, 'addRecordFile' | 'endRecordFile'>;
  readonly now: () => number;
  readonly log: HubLogger;
  readonly countError: (code: ErrorCode) => void;
  /** A file ended (its row is written). */
  readonly onFile: (file: FinishedFile) => void;
  /** The recording failed (after its file row got the failure). */
  readonly onFailed?: (failure: SinkFailure) => void;
  /** The recording stopped (stream ended, stopped, or failed); called once. */
  readonly onStopped: (recording: Recording) => void;
}

/** The file being written. */
interface OpenFile {
  readonly writer: RecordFormatWriter;
  readonly base: string;
  /** Publisher timestamp of the file's first frame: the file's 0. */
  readonly startTs: number;
  readonly startedAt: number;
  readonly names: Set<string>;
  id: Promise<number | undefined>;
  ended: boolean;
}

/** One stream recorded in one format; `start()` taps the hub, `stop()` is idempotent. */
export class Recording {
  readonly init: RecordingInit;
  readonly #sink: RecordSink;
  readonly #intervalMs: number;
  #tap: TapHandle | undefined;
  #stream: Stream | undefined;
  #file: OpenFile | undefined;
  #metadata: MediaMessage | undefined;
  #videoHeader: MediaMessage | undefined;
  #audioHeader: MediaMessage | undefined;
  #lastTs = 0;
  #lastStep = 0;
  #seq = 0;
  #stopped = false;

  constructor(init: RecordingInit) {
    this.init = init;
    this.#sink = new RecordSink(
      init.fs,
      init.root,
      streamFolder(init.domain, init.app, init.stream),
      init.limits,
      (f) => this.#failed(f),
    );
    const interval =
      init.params.recordInterval > 0 ? Math.max(init.params.recordInterval * 1000, init.minIntervalMs) : 0;
    // Tencent: RecordInterval does not apply to HLS, which makes one file per push.
    this.#intervalMs = init.format.name === 'hls' ? 0 : interval;
  }

  /** Whether it still records. */
  get active(): boolean {
    return !this.#stopped;
  }

  /** Bytes waiting for the disk. */
  get queuedBytes(): number {
    return this.#sink.queuedBytes;
  }

  /** Taps the stream. */
  start(): void {
    this.#tap = this.init.hub.tap(this.init.key, {
      publisherStarted: (stream) => void (this.#stream = stream),
      media: (msg) => this.#media(msg),
      publisherPaused: () => this.#pause(),
      publisherEnded: () => this.stop(),
      close: () => this.stop(),
    });
  }

  /** Ends the file at the last frame and stops; the writes queued before still land. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#tap?.close();
    this.#finish(this.#lastTs + this.#lastStep, undefined);
    this.#sink.task(async () => {
      await this.#sink.closeFiles();
      this.init.onStopped(this);
    });
  }

  /** Resolves when every queued write and row update has run. */
  drained(): Promise<void> {
    return this.#sink.drained();
  }

  #media(msg: MediaMessage): void {
    if (this.#stopped) return;
    if (msg.type === MediaType.Data) this.#metadata = msg;
    else if (msg.sequenceHeader && msg.type === MediaType.Video) this.#videoHeader = msg;
    else if (msg.sequenceHeader) this.#audioHeader = msg;
    const audioOnly = this.init.format.audioOnly;
    if (audioOnly && msg.type === MediaType.Video) return;
    const hasVideo = !audioOnly && (this.#videoHeader !== undefined || this.#stream?.hasVideo === true);
    const startable = hasVideo
      ? msg.keyframe && msg.type === MediaType.Video
      : msg.type === MediaType.Audio && !msg.sequenceHeader;
    const file = this.#file;
    if (startable && (!file || (this.#intervalMs > 0 && msg.timestamp - file.startTs >= this.#intervalMs))) {
      if (file) this.#finish(msg.timestamp, undefined);
      this.#open(msg.timestamp, hasVideo);
      if (msg.sequenceHeader || msg.type === MediaType.Data) return;
    }
    const open = this.#file;
    if (!open) return;
    // The file's end is its clock track's last frame plus one frame: video when there is video, else audio.
    const clockTrack = hasVideo ? MediaType.Video : MediaType.Audio;
    if (msg.type === clockTrack && !msg.sequenceHeader && msg.timestamp >= this.#lastTs) {
      if (msg.timestamp > this.#lastTs) this.#lastStep = msg.timestamp - this.#lastTs;
      this.#lastTs = msg.timestamp;
    }
    this.#write(open, open.writer.push(rebased(msg, open.startTs)));
  }

  #open(ts: number, hasVideo: boolean): void {
    const { init } = this;
    const startedAt = init.now();
    const base = fileBase(init.stream, startedAt, ++this.#seq);
    const writer = init.format.create({
      base,
      audio: this.#audioHeader !== undefined,
      video: hasVideo,
      segmentMs: init.segmentMs,
    });
    const file: OpenFile = {
      writer,
      base,
      startTs: ts,
      startedAt,
      names: new Set(),
      id: Promise.resolve(undefined),
      ended: false,
    };
    this.#file = file;
    this.#lastTs = ts;
    this.#lastStep = 0;
    const path = this.#sink.relativePath(writer.mainName);
    const storage = init.params.storageTime;
    file.id = new Promise((resolve) => {
      this.#sink.task(async () => {
        try {
          resolve(
            await init.store.addRecordFile({
              domain: init.domain,
              app: init.app,
              stream: init.stream,
              format: init.format.name,
              path,
              startedAt,
              templateId: init.templateId,
              taskId: init.taskId,
              expiresAt: storage > 0 ? startedAt + storage * 1000 : null,
            }),
          );
        } catch (err) {
          init.log.warn({ err, stream: init.key }, 'could not add the record file row');
          resolve(undefined);
        }
      });
    });
    for (const header of [this.#metadata, this.#videoHeader, this.#audioHeader]) {
      if (header) this.#write(file, writer.push({ ...header, timestamp: 0 }));
    }
  }

  #write(file: OpenFile, writes: RecordWrite[]): void {
    for (const w of writes) file.names.add(w.name);
    this.#sink.write(writes);
  }

  /** Ends the open file at publisher time `endTs`, normally or with a failure. */
  #finish(endTs: number, failure: SinkFailure | undefined): void {
    const file = this.#file;
    if (!file || file.ended) return;
    file.ended = true;
    this.#file = undefined;
    const durationMs = Math.max(0, endTs - file.startTs);
    if (!failure) this.#write(file, file.writer.finish(durationMs));
    const { init } = this;
    const path = this.#sink.relativePath(file.writer.mainName);
    this.#sink.task(async () => {
      const id = await file.id;
      const f = failure ?? this.#sink.failure;
      const endedAt = init.now();
      const size = [...file.names].reduce((n, name) => n + this.#sink.written(name), 0);
      for (const name of file.names) this.#sink.forget(name);
      const storage = init.params.storageTime;
      const end: RecordFileEnd = {
        endedAt,
        durationMs,
        size,
        status: f ? 'failed' : 'done',
        errorCode: f?.code ?? '',
        reason: f?.reason ?? '',
        expiresAt: storage > 0 ? endedAt + storage * 1000 : null,
      };
      if (id === undefined) return;
      await init.store
        .endRecordFile(id, end)
        .catch((err: unknown) => init.log.warn({ err, stream: init.key }, 'could not end the record file row'));
      const { domain, app, stream, templateId, taskId } = init;
      init.onFile({
        id,
        domain,
        app,
        stream,
        format: init.format.name,
        path,
        startedAt: file.startedAt,
        end,
        taskId,
        templateId,
      });
    });
  }

  #pause(): void {
    // HLS keeps its file through a reconnect when the template asks (FlowContinueDuration); the others end it.
    // The others stop: a publisher that comes back starts new recordings with the templates of that moment.
    if (this.init.format.name === 'hls' && this.init.flowContinueMs > 0) return;
    this.stop();
  }

  #failed(failure: SinkFailure): void {
    const { init } = this;
    init.countError(failure.code);
    init.log.warn(
      { stream: init.key, format: init.format.name, code: failure.code, reason: failure.reason },
      'recording stopped',
    );
    this.#finish(this.#lastTs + this.#lastStep, failure);
    init.onFailed?.(failure);
    this.stop();
  }
}

function rebased(msg: MediaMessage, base: number): MediaMessage {
  const timestamp = msg.sequenceHeader || msg.type === MediaType.Data ? 0 : Math.max(0, msg.timestamp - base);
  return timestamp === msg.timestamp ? msg : { ...msg, timestamp };
}
