/**
 * Tencent's PushDataInfo (DescribeLiveStreamPushInfoList) of one live publisher: measured rates from
 * the publish session, codecs from its sequence headers, and the encoder's own claims (Meta*) from
 * the `onMetaData` the hub caches.
 */
import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { LivePublisherInfo } from '../../../control/stream-policy.ts';
import type { Hub } from '../../../hub/hub.ts';
import { decodeAmf0All } from '../../../protocol/amf0/amf0-decoder.ts';
import { amf0Number, type Amf0Value } from '../../../protocol/amf0/amf0-value.ts';
import { beijingTime } from './tencent-time.ts';
import { resolution } from './stream-params.ts';

/** What the encoder declared in `onMetaData` (FLV 10.1 §E.5: videodatarate/audiodatarate in kbit/s). */
interface DeclaredRates {
  readonly videoBps: number;
  readonly audioBps: number;
  readonly fps: number;
  readonly sampleRate: number;
}

const none: DeclaredRates = { videoBps: 0, audioBps: 0, fps: 0, sampleRate: 0 };

/** The PushDataInfo of one publisher; numbers the server does not know are 0, strings empty. */
export function pushDataInfo(p: LivePublisherInfo, hub: Hub, serverIp: string): Record<string, unknown> {
  const meta = declaredRates(hub, `${p.app}/${p.stream}`);
  return {
    StreamName: p.stream,
    AppName: p.app,
    ClientIp: p.clientIp,
    ServerIp: serverIp,
    VideoFps: p.fps ?? 0,
    VideoSpeed: p.videoBitrate ?? 0,
    // AAC carries 1024 samples per frame (ISO 14496-3 §4.5.1.1), so its frame rate follows from the sample
    // rate; other codecs are not measured (0).
    AudioFps: audioFps(p.audioCodec),
    AudioSpeed: p.audioBitrate ?? 0,
    PushDomain: p.domain,
    // Tencent's example shows this field as plain Beijing time ("2019-02-01 00:00:00").
    BeginPushTime: beijingTime(p.startedAt),
    Acodec: codecName(p.audioCodec),
    Vcodec: codecName(p.videoCodec),
    Resolution: resolution(p.width, p.height),
    AsampleRate: sampleRateOf(p.audioCodec) || meta.sampleRate,
    MetaAudioSpeed: meta.audioBps,
    MetaVideoSpeed: meta.videoBps,
    MetaFps: meta.fps,
  };
}

/** "H264" of the session's "H264 High 3.1": Tencent's Vcodec/Acodec name only the codec. */
function codecName(description: string | undefined): string {
  return description?.split(' ')[0] ?? '';
}

/** Frames per second of an AAC track (sampleRate / 1024), or 0 when the codec or rate is unknown. */
function audioFps(description: string | undefined): number {
  const rate = sampleRateOf(description);
  return description?.startsWith('AAC') && rate > 0 ? Math.round(rate / 1024) : 0;
}

/** The sample rate in the session's audio description ("AAC LC 44100 Hz 2 ch"), or 0. */
function sampleRateOf(description: string | undefined): number {
  const m = description && / (\d+) Hz/.exec(description);
  return m ? Number(m[1]) : 0;
}

/** The encoder's declared rates; an absent or unreadable onMetaData gives zeros, never an error. */
function declaredRates(hub: Hub, key: string): DeclaredRates {
  const packet = hub.get(key)?.metadata;
  if (!packet) return none;
  let values: Amf0Value[];
  try {
    values = decodeAmf0All(packet.message.payload);
  } catch {
    return none;
  }
  // ["onMetaData", {…}]: ffmpeg sends an ECMA array, some encoders an object; both are Maps.
  const props = values[1];
  const kbps = (name: string): number => Math.round((amf0Number(props, name) ?? 0) * 1000);
  return {
    videoBps: kbps('videodatarate'),
    audioBps: kbps('audiodatarate'),
    fps: amf0Number(props, 'framerate') ?? 0,
    sampleRate: amf0Number(props, 'audiosamplerate') ?? 0,
  };
}

/**
 * The address publishers reach: the RTMP listen address when it is a specific IPv4, else this
 * machine's first non-internal IPv4, else loopback.
 */
export function serverIpOf(listenHost: string): string {
  if (isIPv4(listenHost) && listenHost !== '0.0.0.0') return listenHost;
  for (const addresses of Object.values(networkInterfaces())) {
    const external = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (external) return external.address;
  }
  return '127.0.0.1';
}
