/**
 * The upstream side of an edge pull: one RTMP play of the origin through the protocol layer's client
 * (RtmpClient over ClientSession), its media handed over synchronously as decoded. Tests fake it.
 */
import { LiveError } from '../../errors.ts';
import type { MediaMessage } from '../../protocol/media.ts';
import { RtmpClient } from '../rtmp/rtmp-client.ts';

/** One relay play of an origin, once started. */
export interface EdgeUpstream {
  /** Resolves with why the connection ended. */
  readonly closed: Promise<Error>;
  /** Bytes read from the origin so far. */
  readonly bytesRead: number;
  /** Closes the connection (deleteStream first); idempotent. */
  close(): Promise<void>;
}

/** What a dial reports, synchronously and in the order the origin sent it. */
export interface EdgeDialHandlers {
  /** NetStream.Play.Start: the origin's stream is live; media follow at once (in the same read, maybe). */
  onStart(): void;
  onMedia(msg: MediaMessage): void;
  /** The origin's stream ended (NetStream.Play.UnpublishNotify / Play.Stop) while connected. */
  onUnpublished(): void;
}

/**
 * Connects to `url` and plays it within `timeoutMs` per step; resolves once Play.Start came, rejects
 * with RtmpRejectedError for a refusal (a wrong token: NetStream.Play.Failed) or the socket's error.
 */
export type EdgeDialer = (url: string, timeoutMs: number, handlers: EdgeDialHandlers) => Promise<EdgeUpstream>;

/** The real dialer: RtmpClient (plain TCP: cluster.advertise names a node's RTMP listener). */
export const rtmpEdgeDialer: EdgeDialer = async (url, timeoutMs, handlers) => {
  let started = false;
  const client = await RtmpClient.connect(url, {
    timeoutMs,
    onMedia: (msg) => {
      if (started) handlers.onMedia(msg);
    },
    onStatus: (code) => {
      if (code === 'NetStream.Play.Start' && !started) {
        started = true;
        handlers.onStart();
      } else if (started && (code === 'NetStream.Play.UnpublishNotify' || code === 'NetStream.Play.Stop')) {
        handlers.onUnpublished();
      }
    },
  });
  try {
    await client.play();
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
  return {
    closed: client.closed,
    get bytesRead() {
      return client.bytesRead;
    },
    close: () => client.close(),
  };
};

/** Whether an error is the origin refusing (token, stream not found) rather than being unreachable. */
export function isRefusal(err: unknown): boolean {
  return err instanceof LiveError && err.code === 'RTMP_REJECTED';
}
