/**
 * Ready-to-paste URLs for one stream (Tencent's Address Generator, tencent-css.md §1.1): the signed
 * push URL and its OBS split, and the RTMP, HTTP-FLV and HLS play URLs, signed when the play domain
 * has authentication on; with SRT on, the SRT push URL in Tencent's stream id form (docs/srt.md), and
 * with WebRTC on, the WHIP and WHEP endpoints with the pair in the query (docs/webrtc.md).
 * console/src/lib/stream-urls.ts builds the same URLs in the browser (a test compares them).
 */
import type { AuthSettings } from '../store/store.ts';
import { formatTxTime, signQuery } from './signing.ts';

/** A host to put in URLs and the auth settings that sign them. */
export interface UrlEndpoint {
  /** A domain name or an IP address (IPv6 without brackets is fine). */
  readonly host: string;
  readonly auth: AuthSettings;
}

/** What the URLs are made of. */
export interface StreamUrlsInput {
  readonly app: string;
  readonly stream: string;
  /** The expiry written as txTime, in Unix seconds. */
  readonly expiresAt: number;
  readonly push: UrlEndpoint;
  readonly play?: UrlEndpoint;
  readonly rtmpPort?: number;
  readonly httpPort?: number;
  /** The RTMPS and HTTPS ports (docs/tls.md): their URLs are added when given (0 or absent = off). */
  readonly rtmpsPort?: number;
  readonly httpsPort?: number;
  /** The SRT listener's UDP port (srt.port): the SRT push URL is added when given (0 or absent = off). */
  readonly srtPort?: number;
  /** WHIP/WHEP served (webrtc.enabled): their URLs on the HTTP(S) port are added. */
  readonly webrtc?: boolean;
}

/** The URLs of one stream. */
export interface StreamUrls {
  readonly push: {
    readonly rtmp: string;
    readonly obsServer: string;
    readonly obsStreamKey: string;
    readonly rtmps?: string;
    readonly obsServerRtmps?: string;
    /** `srt://domain:port?streamid=#!::h=domain,r=App/Stream,txSecret=...,txTime=...`. */
    readonly srt?: string;
    readonly whip?: string;
    readonly whipHttps?: string;
  };
  readonly play?: {
    readonly rtmp: string;
    readonly flv: string;
    readonly hls: string;
    readonly rtmps?: string;
    readonly httpsFlv?: string;
    readonly httpsHls?: string;
    readonly whep?: string;
    readonly whepHttps?: string;
  };
  /** txTime as written in the signed URLs. */
  readonly txTime: string;
}

/** Builds push and play URLs; unsigned where the domain's authentication is off. */
export function streamUrls(input: StreamUrlsInput): StreamUrls {
  const { app, stream } = input;
  const rtmpPort = input.rtmpPort ?? 1935;
  const httpPort = input.httpPort ?? 80;
  const query = (auth: AuthSettings): string =>
    auth.enabled
      ? `?${signQuery({ streamName: stream, key: auth.key, expiresAt: input.expiresAt, algorithm: auth.algorithm })}`
      : '';
  const pushQuery = query(input.push.auth);
  const pushServer = `rtmp://${hostPort(input.push.host, rtmpPort, 1935)}/${app}/`;
  const rtmpsPort = input.rtmpsPort ?? 0;
  const httpsPort = input.httpsPort ?? 0;
  // RTMPS URLs name their port unless it is 443 (YouTube's and Facebook's ingest use 443).
  const pushServerTls = rtmpsPort > 0 ? `rtmps://${hostPort(input.push.host, rtmpsPort, 443)}/${app}/` : undefined;
  const srtPort = input.srtPort ?? 0;
  const webrtc = input.webrtc === true;
  const pushPath = `${app}/${stream}`;
  // Tencent's SRT stream id carries the pair as comma-separated keys (ffmpeg splits URL options at "&").
  const streamId = `#!::h=${input.push.host},r=${pushPath}${pushQuery ? `,${pushQuery.slice(1).replace('&', ',')}` : ''}`;
  const urls: StreamUrls = {
    push: {
      rtmp: `${pushServer}${stream}${pushQuery}`,
      obsServer: pushServer,
      obsStreamKey: `${stream}${pushQuery}`,
      ...(pushServerTls && { rtmps: `${pushServerTls}${stream}${pushQuery}`, obsServerRtmps: pushServerTls }),
      ...(srtPort > 0 && { srt: `srt://${hostPort(input.push.host, srtPort, -1)}?streamid=${streamId}` }),
      ...(webrtc && {
        whip: `http://${hostPort(input.push.host, httpPort, 80)}/${pushPath}/whip${pushQuery}`,
        ...(httpsPort > 0 && {
          whipHttps: `https://${hostPort(input.push.host, httpsPort, 443)}/${pushPath}/whip${pushQuery}`,
        }),
      }),
    },
    txTime: formatTxTime(input.expiresAt),
  };
  if (!input.play) return urls;
  const playQuery = query(input.play.auth);
  const http = `http://${hostPort(input.play.host, httpPort, 80)}/${app}/${stream}`;
  const https = `https://${hostPort(input.play.host, httpsPort, 443)}/${app}/${stream}`;
  return {
    ...urls,
    play: {
      rtmp: `rtmp://${hostPort(input.play.host, rtmpPort, 1935)}/${app}/${stream}${playQuery}`,
      flv: `${http}.flv${playQuery}`,
      hls: `${http}.m3u8${playQuery}`,
      ...(rtmpsPort > 0 && {
        rtmps: `rtmps://${hostPort(input.play.host, rtmpsPort, 443)}/${app}/${stream}${playQuery}`,
      }),
      ...(httpsPort > 0 && { httpsFlv: `${https}.flv${playQuery}`, httpsHls: `${https}.m3u8${playQuery}` }),
      ...(webrtc && {
        whep: `${http}/whep${playQuery}`,
        ...(httpsPort > 0 && { whepHttps: `${https}/whep${playQuery}` }),
      }),
    },
  };
}

function hostPort(host: string, port: number, defaultPort: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return port === defaultPort ? h : `${h}:${port}`;
}
