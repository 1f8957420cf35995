/**
 * Sends the type-100 callback (control/callbacks/record-event.ts) of every recorded file to the
 * `RecordNotifyUrl` of the callback template bound to its push domain + AppName, through the signed,
 * retried deliverer; a file without such a template sends nothing.
 */
import type { Log } from '../../log.ts';
import type { CallbackConfig } from '../../control/callbacks/callback-config.ts';
import { recordEvent, recordEventType } from '../../control/callbacks/record-event.ts';
import type { FinishedFile } from '../record/recording.ts';
import type { OutgoingCallback } from './callback-deliverer.ts';

/** How record callbacks are built. */
export interface RecordCallbacksOptions {
  readonly config: Pick<CallbackConfig, 'resolve'>;
  readonly deliverer: { enqueue(callback: OutgoingCallback): Promise<void> };
  readonly log: Log;
  readonly appId: number;
  /** The download URL of a file (record.publicUrl + the record route). */
  readonly urlOf: (file: FinishedFile) => string;
}

/** Queues record callbacks; `flush()` before the deliverer closes. */
export class RecordCallbacks {
  readonly #o: RecordCallbacksOptions;
  readonly #queuing = new Set<Promise<void>>();

  constructor(options: RecordCallbacksOptions) {
    this.#o = options;
  }

  /** A file is ready (or ended by a failure, with its code in errcode/errmsg). */
  fileReady(file: FinishedFile): void {
    const o = this.#o;
    const chain = (async () => {
      const template = await o.config.resolve(file.domain, file.app);
      const url = template?.urls.record;
      if (!template || !url) return;
      const body = recordEvent(
        {
          appId: o.appId,
          domain: file.domain,
          app: file.app,
          stream: file.stream,
          fileId: String(file.id),
          format: file.format,
          url: o.urlOf(file),
          size: file.end.size,
          startedAt: file.startedAt,
          endedAt: file.end.endedAt,
          durationMs: file.end.durationMs,
          taskId: file.taskId,
          errorCode: file.end.errorCode,
          reason: file.end.reason,
        },
        template.callbackKey,
      );
      await o.deliverer.enqueue({
        eventType: recordEventType,
        eventTime: file.end.endedAt,
        stream: file.stream,
        sequence: `record-${file.id}`,
        url,
        body: JSON.stringify(body),
      });
    })().catch((err: unknown) =>
      o.log.error({ err, stream: file.stream, fileId: file.id }, 'could not queue the record callback'),
    );
    this.#queuing.add(chain);
    void chain.finally(() => this.#queuing.delete(chain));
  }

  /** Resolves when every callback produced so far is queued. */
  async flush(): Promise<void> {
    while (this.#queuing.size > 0) await Promise.allSettled([...this.#queuing]);
  }
}
