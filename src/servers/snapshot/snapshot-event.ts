/**
 * The body of Tencent CSS's snapshot callback (event_type 200, "截图回调"), field for field, with openlive's
 * picture id and URL where Tencent gives a COS path. Pure.
 */
import { callbackExpiry, callbackSign } from '../../control/callbacks/callback-sign.ts';
import type { CallbackBody } from '../../control/callbacks/callback-events.ts';

/** Tencent event_type of a snapshot taken. */
export const snapshotEventType = 200;

/** What the body says of one picture. */
export interface SnapshotEventPicture {
  readonly appId: number;
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  readonly fileId: string;
  /** The picture's URL path (Tencent pic_url: the path in the bucket). */
  readonly path: string;
  /** Its full download URL (Tencent pic_full_url). */
  readonly url: string;
  readonly size: number;
  readonly width: number;
  readonly height: number;
  readonly takenAt: number;
  readonly taskId: string;
}

/** Event type 200: a snapshot is stored; `key` signs it like every callback. */
export function snapshotEvent(p: SnapshotEventPicture, key: string): CallbackBody {
  const eventTime = Math.floor(p.takenAt / 1000);
  const t = callbackExpiry(eventTime);
  return {
    app: p.domain,
    appid: p.appId,
    appname: p.app,
    channel_id: p.stream,
    stream_id: p.stream,
    event_type: snapshotEventType,
    event_time: eventTime,
    create_time: eventTime,
    file_size: p.size,
    width: p.width,
    height: p.height,
    pic_url: p.path,
    pic_full_url: p.url,
    file_id: p.fileId,
    task_id: p.taskId,
    stream_param: '',
    t,
    sign: callbackSign(key, t),
  };
}
