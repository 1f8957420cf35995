/**
 * Snapshots wired from the `snapshot.*` config (docs/recording.md "Snapshots"): the bounded ffmpeg decoder,
 * the snapshotter (a publish listener), its type-200 callbacks, where pictures live and the URL each gets.
 * The service holds one and calls `start()` and `close()`.
 */
import { join } from 'node:path';
import type { Config } from '../../config/config-schema.ts';
import type { ErrorCode } from '../../errors.ts';
import type { Hub } from '../../hub/hub.ts';
import type { Log } from '../../log.ts';
import { CallbackConfig } from '../../control/callbacks/callback-config.ts';
import type { Store } from '../../store/store.ts';
import type { SnapshotFile } from '../../store/snapshot-store.ts';
import type { CallbackDeliverer } from '../callbacks/callback-deliverer.ts';
import { nodeRecordFs } from '../record/record-fs.ts';
import { JpegDecoder } from './jpeg-decoder.ts';
import { SnapshotCallbacks } from './snapshot-callbacks.ts';
import { snapshotFilePath } from './snapshot-routes.ts';
import { Snapshotter } from './snapshotter.ts';

/** What the snapshots are built from. */
export interface SnapshotsDeps {
  readonly config: Config;
  readonly store: Store;
  readonly log: Log;
  readonly now: () => number;
  readonly countError: (code: ErrorCode) => void;
  readonly hub: Hub;
  readonly deliverer: CallbackDeliverer;
  readonly callbackLog: Log;
  readonly httpPort: () => number;
}

/** The snapshot parts of one node. */
export class Snapshots {
  readonly snapshotter: Snapshotter;
  readonly callbacks: SnapshotCallbacks;
  /** Where pictures are written. */
  readonly root: string;
  /** The download URL of a picture. */
  readonly fileUrl: (file: Pick<SnapshotFile, 'id' | 'path'>) => string;

  constructor(d: SnapshotsDeps) {
    const { config } = d;
    const sc = config.snapshot;
    this.root = sc.dir || join(config.dataDir, 'snapshot');
    const base = (): string =>
      (sc.publicUrl || config.record.publicUrl || `http://127.0.0.1:${d.httpPort() || config.http.port}`).replace(
        /\/+$/,
        '',
      );
    this.fileUrl = (file) => `${base()}${snapshotFilePath(file)}`;
    this.callbacks = new SnapshotCallbacks({
      config: new CallbackConfig({ store: d.store, now: d.now }),
      deliverer: d.deliverer,
      log: d.callbackLog,
      appId: config.callbacks.appId,
      pathOf: snapshotFilePath,
      urlOf: this.fileUrl,
    });
    this.snapshotter = new Snapshotter({
      hub: d.hub,
      store: d.store.snapshots,
      fs: nodeRecordFs,
      decoder: new JpegDecoder(sc),
      options: {
        root: this.root,
        minIntervalMs: sc.minIntervalSeconds * 1000,
        maxKeyframeBytes: sc.maxKeyframeBytes,
        storageMs: sc.storageSeconds * 1000,
        sweepIntervalMs: sc.sweepIntervalMs,
        taskCheckIntervalMs: sc.taskCheckIntervalMs,
      },
      now: d.now,
      log: d.log.child({ layer: 'snapshot' }),
      countError: d.countError,
      onPicture: (file) => this.callbacks.pictureReady(file),
    });
  }

  /** Starts the task check and the sweep. */
  start(): void {
    this.snapshotter.start();
  }

  /** Ends the sessions, kills running decoders, and queues the callbacks of pictures already stored; idempotent. */
  async close(): Promise<void> {
    await this.snapshotter.close();
    await this.callbacks.flush();
  }
}
