/**
 * Sends the type-200 callback (snapshot-event.ts) of every stored picture to the `SnapshotNotifyUrl` of the
 * callback template bound to its push domain + AppName, through the signed, retried deliverer; a picture
 * without such a template sends nothing.
 */
import type { Log } from '../../log.ts';
import type { CallbackConfig } from '../../control/callbacks/callback-config.ts';
import type { SnapshotFile } from '../../store/snapshot-store.ts';
import type { OutgoingCallback } from '../callbacks/callback-deliverer.ts';
import { snapshotEvent, snapshotEventType } from './snapshot-event.ts';

/** How snapshot callbacks are built. */
export interface SnapshotCallbacksOptions {
  readonly config: Pick<CallbackConfig, 'resolve'>;
  readonly deliverer: { enqueue(callback: OutgoingCallback): Promise<void> };
  readonly log: Log;
  readonly appId: number;
  /** The URL path and the full URL of a picture. */
  readonly pathOf: (file: SnapshotFile) => string;
  readonly urlOf: (file: SnapshotFile) => string;
}

/** Queues snapshot callbacks; `flush()` before the deliverer closes. */
export class SnapshotCallbacks {
  readonly #o: SnapshotCallbacksOptions;
  readonly #queuing = new Set<Promise<void>>();

  constructor(options: SnapshotCallbacksOptions) {
    this.#o = options;
  }

  /** A picture is stored. */
  pictureReady(file: SnapshotFile): void {
    const o = this.#o;
    const chain = (async () => {
      const template = await o.config.resolve(file.domain, file.app);
      const url = template?.urls.snapshot;
      if (!template || !url) return;
      const body = snapshotEvent(
        {
          appId: o.appId,
          domain: file.domain,
          app: file.app,
          stream: file.stream,
          fileId: String(file.id),
          path: o.pathOf(file),
          url: o.urlOf(file),
          size: file.size,
          width: file.width,
          height: file.height,
          takenAt: file.takenAt,
          taskId: file.taskId,
        },
        template.callbackKey,
      );
      await o.deliverer.enqueue({
        eventType: snapshotEventType,
        eventTime: file.takenAt,
        stream: file.stream,
        sequence: `snapshot-${file.id}`,
        url,
        body: JSON.stringify(body),
      });
    })().catch((err: unknown) =>
      o.log.error({ err, stream: file.stream, fileId: file.id }, 'could not queue the snapshot callback'),
    );
    this.#queuing.add(chain);
    void chain.finally(() => this.#queuing.delete(chain));
  }

  /** Resolves when every callback produced so far is queued. */
  async flush(): Promise<void> {
    while (this.#queuing.size > 0) await Promise.allSettled([...this.#queuing]);
  }
}
