/** Several PublishListeners behind the one slot the ingest servers have (event callbacks and push relays). */
import type { PublishListener, PublishObserver } from '../ingest/publish-session.ts';

/** A listener that tells each of `listeners` of every publish, in order, and follows all their observers. */
export function publishListeners(...listeners: readonly PublishListener[]): PublishListener {
  return {
    onPublish(start) {
      const observers: PublishObserver[] = [];
      for (const l of listeners) {
        const o = l.onPublish(start);
        if (o) observers.push(o);
      }
      if (observers.length <= 1) return observers[0];
      return {
        onMedia: (message, now, video) => {
          for (const o of observers) o.onMedia(message, now, video);
        },
        onChunkSize: (size, now) => {
          for (const o of observers) o.onChunkSize?.(size, now);
        },
        onEnd: (stop) => {
          for (const o of observers) o.onEnd(stop);
        },
      };
    },
  };
}
