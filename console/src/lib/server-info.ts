/** OpenLiveDescribeServerInfo as the console uses it: ports for URLs, default domains, hub counters. */
import type { ApiClient } from './api.ts';

/** One stream in the hub. */
export interface HubStream {
  readonly AppName: string;
  readonly StreamName: string;
  readonly Live: boolean;
  readonly Subscribers: number;
  readonly BytesIn: number;
}

/** The action's answer. */
export interface ServerInfo {
  readonly Time: string;
  readonly RtmpPort: number;
  readonly HttpPort: number;
  /** RTMPS and HTTPS playback ports; 0 while off (docs/tls.md). Absent from servers older than TLS. */
  readonly RtmpsPort?: number;
  readonly HttpsPort?: number;
  /** The SRT listener's UDP port, 0 while off (docs/srt.md); WebRTC's WHIP/WHEP ride the HTTP(S) port. */
  readonly SrtPort?: number;
  readonly DefaultPushDomain: string;
  readonly DefaultPlayDomain: string;
  readonly CnameSuffix: string;
  readonly StrictDomains: boolean;
  /** webrtc.enabled: WHIP/WHEP on the HTTP port (docs/webrtc.md). Absent from servers older than WebRTC. */
  readonly WebrtcEnabled?: boolean;
  readonly LiveStreams: number;
  readonly Subscribers: number;
  readonly BytesIn: number;
  readonly BytesOut: number;
  readonly StreamList: readonly HubStream[];
}

/** Fetches the server info. */
export async function serverInfo(api: ApiClient): Promise<ServerInfo> {
  return (await api.call('OpenLiveDescribeServerInfo')) as unknown as ServerInfo;
}
