/**
 * Push and play URLs as Tencent's Address Generator makes them (tencent-css.md §1.1-1.2):
 * `txSecret = MD5(key + StreamName + txTime)`, txTime the expiry in uppercase hex Unix seconds; the
 * OBS split is Server `rtmp://domain/AppName/` and Stream key `StreamName?txSecret=...&txTime=...`.
 * SRT pushes carry the same pair in Tencent's stream id (`#!::h=domain,r=App/Stream,txSecret=...,txTime=...`,
 * docs/srt.md); WHIP and WHEP are `POST /{app}/{stream}/whip|whep` on the HTTP(S) port with it in the query
 * (docs/webrtc.md).
 */
import { md5Hex } from './md5.ts';
import { sha256Hex } from './sha256.ts';

/** The ports openlive's public listeners use (OpenLiveDescribeServerInfo). */
export interface PublicPorts {
  readonly rtmp: number;
  readonly http: number;
  /** 0 or absent while RTMPS / HTTPS are off. */
  readonly rtmps?: number;
  readonly https?: number;
  /** The SRT listener's UDP port; 0 or absent while SRT is off. */
  readonly srt?: number;
  /** WHIP/WHEP are served (webrtc.enabled). */
  readonly webrtc?: boolean;
}

/** A domain and, when its authentication is on, the key that signs its URLs. */
export interface SigningDomain {
  readonly name: string;
  /** Undefined when authentication is off: the URL then ends before `?`. */
  readonly key: string | undefined;
  /** The domain's hash for txSecret; MD5 unless it says otherwise. */
  readonly algorithm?: 'md5' | 'sha256';
}

/** The URLs of one stream. */
export interface GeneratedUrls {
  readonly txTime: string;
  readonly push?: {
    readonly rtmp: string;
    readonly obsServer: string;
    readonly obsStreamKey: string;
    readonly rtmps?: string;
    readonly obsServerRtmps?: string;
    /** `srt://domain:port?streamid=#!::h=domain,r=App/Stream,txSecret=...,txTime=...`. */
    readonly srt?: string;
    /** WHIP endpoints over HTTP and, when on, HTTPS. */
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
    /** WHEP endpoints over HTTP and, when on, HTTPS. */
    readonly whep?: string;
    readonly whepHttps?: string;
  };
}

/** txTime as the official generators write it: uppercase hex Unix seconds. */
export function formatTxTime(unixSeconds: number): string {
  return Math.floor(unixSeconds).toString(16).toUpperCase();
}

/** `?txSecret=...&txTime=...`, or '' when the domain signs nothing. */
export function signedQuery(
  key: string | undefined,
  stream: string,
  txTime: string,
  algorithm: 'md5' | 'sha256' = 'md5',
): string {
  if (!key) return '';
  const hash = algorithm === 'sha256' ? sha256Hex : md5Hex;
  return `?txSecret=${hash(key + stream + txTime)}&txTime=${txTime}`;
}

function hostPort(host: string, port: number, defaultPort: number): string {
  return port === defaultPort ? host : `${host}:${port}`;
}

/** Builds the push and/or play URLs of AppName/StreamName valid until `expiresAt` (Unix seconds). */
export function generateUrls(input: {
  app: string;
  stream: string;
  expiresAt: number;
  ports: PublicPorts;
  push?: SigningDomain | undefined;
  play?: SigningDomain | undefined;
}): GeneratedUrls {
  const { app, stream, ports } = input;
  const txTime = formatTxTime(input.expiresAt);
  let push: GeneratedUrls['push'];
  if (input.push) {
    const server = `rtmp://${hostPort(input.push.name, ports.rtmp, 1935)}/${app}/`;
    const key = `${stream}${signedQuery(input.push.key, stream, txTime, input.push.algorithm)}`;
    const rtmps = ports.rtmps ? `rtmps://${hostPort(input.push.name, ports.rtmps, 443)}/${app}/` : undefined;
    const query = signedQuery(input.push.key, stream, txTime, input.push.algorithm);
    // Tencent's stream id: the pair as comma-separated keys, not a query (no "?" or "&" inside it).
    const signed = query ? `,${query.slice(1).replace('&', ',')}` : '';
    const streamId = `#!::h=${input.push.name},r=${app}/${stream}${signed}`;
    push = {
      rtmp: server + key,
      obsServer: server,
      obsStreamKey: key,
      ...(rtmps && { rtmps: rtmps + key, obsServerRtmps: rtmps }),
      ...(ports.srt && { srt: `srt://${input.push.name}:${ports.srt}?streamid=${streamId}` }),
      ...(ports.webrtc && {
        whip: `http://${hostPort(input.push.name, ports.http, 80)}/${app}/${stream}/whip${query}`,
        ...(ports.https && {
          whipHttps: `https://${hostPort(input.push.name, ports.https, 443)}/${app}/${stream}/whip${query}`,
        }),
      }),
    };
  }
  let play: GeneratedUrls['play'];
  if (input.play) {
    const query = signedQuery(input.play.key, stream, txTime, input.play.algorithm);
    const http = `http://${hostPort(input.play.name, ports.http, 80)}/${app}/${stream}`;
    const https = `https://${hostPort(input.play.name, ports.https ?? 0, 443)}/${app}/${stream}`;
    play = {
      rtmp: `rtmp://${hostPort(input.play.name, ports.rtmp, 1935)}/${app}/${stream}${query}`,
      flv: `${http}.flv${query}`,
      hls: `${http}.m3u8${query}`,
      ...(ports.rtmps && { rtmps: `rtmps://${hostPort(input.play.name, ports.rtmps, 443)}/${app}/${stream}${query}` }),
      ...(ports.https && { httpsFlv: `${https}.flv${query}`, httpsHls: `${https}.m3u8${query}` }),
      ...(ports.webrtc && {
        whep: `${http}/whep${query}`,
        ...(ports.https && { whepHttps: `${https}/whep${query}` }),
      }),
    };
  }
  return { txTime, ...(push && { push }), ...(play && { play }) };
}

/** A new random key of 32 hex characters (what `openlive domain auth --rotate` makes). */
export function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
