/**
 * The bodies of Tencent CSS event callbacks, field for field (tencent-css.md §4.3 push / interruption,
 * §4.4 push errors): what a receiver written for Tencent already parses. Pure: times and the random
 * sequence arrive as arguments.
 */
import { randomBytes } from 'node:crypto';
import { callbackExpiry, callbackSign } from './callback-sign.ts';
import type { PushErrorCount } from './push-error-detector.ts';

/** Tencent event_type values openlive sends. */
export const callbackEventTypes = { interruption: 0, push: 1, pushError: 321 } as const;

/** What every event of one push shares. */
export interface PushIdentity {
  /** Tencent `appid`: the account id; openlive's is `callbacks.appId`. */
  readonly appId: number;
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
  /** Shared by the push event, the push-error events and the interruption of one push. */
  readonly sequence: string;
  readonly clientIp: string;
  /** The address of this node the encoder connected to (Tencent `node`). */
  readonly serverIp: string;
  /** The push URL's query as the encoder sent it, txSecret included (docs/api.md says why). */
  readonly query: string;
  /** Unix ms when the publish was accepted. */
  readonly startedAt: number;
}

/** The picture size the stream's codec header declared, when there was one. */
export interface PictureSize {
  readonly width?: number | undefined;
  readonly height?: number | undefined;
}

/** A callback body: JSON-ready, in Tencent's field names. */
export type CallbackBody = Record<string, unknown>;

/** A fresh push sequence: a random 63-bit decimal, the shape of Tencent's ("2210464508206756938"). */
export function newSequence(random: (n: number) => Buffer = randomBytes): string {
  return (random(8).readBigUInt64BE(0) & 0x7fff_ffff_ffff_ffffn).toString();
}

/** An IPv4 peer as Node reports it on a dual-stack socket (`::ffff:1.2.3.4`) in its plain form. */
export function plainIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** Event type 1: the push was accepted. */
export function pushEvent(p: PushIdentity, size: PictureSize, key: string): CallbackBody {
  return streamEvent(p, callbackEventTypes.push, p.startedAt, size, key, { errcode: 0, errmsg: 'ok' });
}

/** Event type 0: the push ended; errcode is the break code's main number, errmsg its sentence. */
export function interruptionEvent(
  p: PushIdentity,
  endedAt: number,
  breakCode: string,
  reason: string,
  size: PictureSize,
  key: string,
): CallbackBody {
  const errcode = Number.parseInt(breakCode, 10);
  return streamEvent(p, callbackEventTypes.interruption, endedAt, size, key, {
    errcode: Number.isNaN(errcode) ? 0 : errcode,
    errmsg: reason,
    // Tencent sends the duration as a string of milliseconds ("push_duration":"113224").
    push_duration: String(Math.max(0, endedAt - p.startedAt)),
  });
}

function streamEvent(
  p: PushIdentity,
  type: number,
  at: number,
  size: PictureSize,
  key: string,
  extra: CallbackBody,
): CallbackBody {
  const eventTime = Math.floor(at / 1000);
  const t = callbackExpiry(eventTime);
  return {
    app: p.domain,
    appid: p.appId,
    appname: p.app,
    channel_id: p.stream,
    event_time: eventTime,
    event_type: type,
    height: size.height ?? 0,
    node: plainIp(p.serverIp),
    sequence: p.sequence,
    stream_id: p.stream,
    stream_param: p.query,
    user_ip: plainIp(p.clientIp),
    width: size.width ?? 0,
    ...extra,
    t,
    sign: callbackSign(key, t),
  };
}

/** Tencent's descriptions of each push-error type (§4.4), and a stable key per type. */
export const pushErrorDescriptions: Readonly<Record<number, { cn: string; en: string; key: string }>> = {
  1: { cn: '视频时间戳回退', en: 'video timestamp went back', key: 'video_timestamp_back' },
  2: { cn: '音频时间戳回退', en: 'audio timestamp went back', key: 'audio_timestamp_back' },
  3: { cn: '视频时间戳突然变大(大于1s)', en: 'video timestamp jump bigger than 1000(ms)', key: 'video_timestamp_jump' },
  4: { cn: '音频时间戳突然变大(大于1s)', en: 'audio timestamp jump bigger than 1000(ms)', key: 'audio_timestamp_jump' },
  5: { cn: 'chunk size 太大(大于8192)', en: 'chunk size bigger than 8192', key: 'chunk_size_too_big' },
  6: {
    cn: '两帧视频帧到达时间太长(大于3s)',
    en: 'video frame arrive interval bigger than 3000(ms)',
    key: 'video_frame_interval',
  },
  7: {
    cn: '两帧音频帧到达时间太长(大于1s)',
    en: 'audio frame arrive interval bigger than 1000(ms)',
    key: 'audio_frame_interval',
  },
  8: { cn: '视频编码类型发生变化', en: 'video codec changed', key: 'video_codec_changed' },
  9: { cn: '音频编码类型发生变化', en: 'audio codec changed', key: 'audio_codec_changed' },
  10: { cn: '视频帧到来前没有 codec 头', en: 'no codec header before video frame', key: 'video_no_codec_header' },
  11: { cn: '音频帧到来前没有 codec 头', en: 'no codec header before audio frame', key: 'audio_no_codec_header' },
  16: { cn: 'GOP 过大(大于10s)', en: 'gop bigger than 10000(ms)', key: 'gop_too_large' },
};

/** How a push-error report is sent: the interval it covers and the receiver timeout it announces. */
export interface PushErrorReportInfo {
  readonly reportIntervalMs: number;
  readonly timeoutMs: number;
}

/** Event type 321: the push errors of one reporting interval (sent only when there were some). */
export function pushErrorEvent(
  p: PushIdentity,
  at: number,
  errors: readonly PushErrorCount[],
  info: PushErrorReportInfo,
  key: string,
): CallbackBody {
  const t = callbackExpiry(Math.floor(at / 1000));
  return {
    appid: p.appId,
    user_ip: plainIp(p.clientIp),
    data_time: at,
    domain: p.domain,
    path: p.app,
    report_interval: info.reportIntervalMs,
    sequence: p.sequence,
    stream_id: p.stream,
    stream_param: p.query,
    timeout: info.timeoutMs,
    interface: 'general_callback',
    event_type: callbackEventTypes.pushError,
    abnormal_event: errors.map((e) => {
      const d = pushErrorDescriptions[e.type];
      return {
        type: e.type,
        count: e.count,
        detail: e.details.map((x) => ({ desc: x.desc, occur_time: x.occurTime })),
        type_desc_cn: d?.cn ?? '',
        type_desc_en: d?.en ?? '',
        event_key: d?.key ?? `type_${e.type}`,
        customer_visible: 'true',
      };
    }),
    t,
    sign: callbackSign(key, t),
  };
}
