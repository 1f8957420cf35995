/**
 * The body of Tencent CSS's recording callback (event_type 100, "录制事件通知"), field for field, with
 * openlive's own file id and URL where Tencent sends a VOD FileId and a COS/VOD URL. Pure.
 */
import { callbackExpiry, callbackSign } from './callback-sign.ts';
import type { CallbackBody } from './callback-events.ts';

/** Tencent event_type of a recording file that is ready. */
export const recordEventType = 100;

/** What the body says of one file. */
export interface RecordEventFile {
  readonly appId: number;
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  readonly fileId: string;
  readonly format: string;
  readonly url: string;
  readonly size: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly durationMs: number;
  readonly taskId: string;
  /** A stable code when the file did not end normally (RECORD_DISK_FULL), else ''. */
  readonly errorCode: string;
  readonly reason: string;
}

/** Event type 100: a recorded file is ready; `key` signs it like every callback. */
export function recordEvent(f: RecordEventFile, key: string): CallbackBody {
  const eventTime = Math.floor(f.endedAt / 1000);
  const t = callbackExpiry(eventTime);
  return {
    app: f.domain,
    appid: f.appId,
    appname: f.app,
    channel_id: f.stream,
    stream_id: f.stream,
    event_type: recordEventType,
    event_time: eventTime,
    file_id: f.fileId,
    record_file_id: f.fileId,
    file_format: f.format,
    task_id: f.taskId,
    start_time: Math.floor(f.startedAt / 1000),
    end_time: eventTime,
    // Tencent sends whole seconds; duration_ms keeps the exact length for back ends that want it.
    duration: Math.round(f.durationMs / 1000),
    duration_ms: f.durationMs,
    file_size: f.size,
    video_url: f.url,
    video_id: f.fileId,
    media_start_time: 0,
    stream_param: '',
    errcode: f.errorCode === '' ? 0 : 1,
    errmsg: f.errorCode === '' ? 'ok' : f.reason,
    t,
    sign: callbackSign(key, t),
  };
}
