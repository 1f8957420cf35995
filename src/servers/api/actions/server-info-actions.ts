/**
 * openlive's own `OpenLiveDescribeServerInfo` (no Tencent equivalent, hence the prefix): what the web
 * console needs to draw the Overview and to build URLs that reach this node: the public ports, the
 * default domains, the CNAME suffix, and the hub's live counters (cumulative bytes in and out, which
 * the console samples to chart bandwidth; docs/console.md).
 */
import type { ApiActions } from '../api-action.ts';
import { publicPorts, type ApiDeps } from '../api-deps.ts';
import { utcTime } from './stream-params.ts';

/** The server-info action. */
export function serverInfoActions(deps: ApiDeps): ApiActions {
  return {
    OpenLiveDescribeServerInfo: async (_params, ctx) => {
      const stats = deps.hub.stats();
      const hubStreams = [...deps.hub.streams()];
      const streams = hubStreams.map((s) => s.stats());
      // WHEP players among each stream's Subscribers (the hub counts them with the FLV players they read like).
      const webrtc = hubStreams.map((s) => s.subscribers.filter((p) => p.sink.playProtocol === 'webrtc').length);
      const [push, play] = await Promise.all([deps.domains.getDefault('push'), deps.domains.getDefault('play')]);
      return {
        Time: utcTime(ctx.now),
        // As configured: the ports encoders and players reach (a proxy in front may change them; docs/console.md).
        RtmpPort: publicPorts(deps).rtmp,
        HttpPort: publicPorts(deps).http,
        // RTMPS and HTTPS playback (docs/tls.md); 0 while off.
        RtmpsPort: publicPorts(deps).rtmps ?? 0,
        HttpsPort: publicPorts(deps).https ?? 0,
        // The SRT listener's UDP port (docs/srt.md), 0 while off; WHIP/WHEP ride the HTTP(S) port (docs/webrtc.md).
        SrtPort: publicPorts(deps).srt ?? 0,
        // The console prints WHIP/WHEP URLs and its preview plays over WHEP when it is on.
        WebrtcEnabled: deps.config.webrtc.enabled,
        // The domains that serve bare-IP and unknown hosts unless domains.strict; '' when there is none.
        DefaultPushDomain: push?.name ?? '',
        DefaultPlayDomain: play?.name ?? '',
        CnameSuffix: deps.config.domains.cnameSuffix,
        StrictDomains: deps.config.domains.strict,
        // Hub totals: Subscribers are RTMP, HTTP/WS-FLV, SRT and WHEP players (HLS viewers fetch segments and are
        // not counted; relay plays of other nodes neither).
        LiveStreams: stats.publishers,
        Subscribers: stats.subscribers,
        WebrtcSubscribers: webrtc.reduce((a, b) => a + b, 0),
        BytesIn: stats.bytesIn,
        BytesOut: stats.bytesOut,
        DroppedMessages: stats.droppedMessages,
        StreamList: streams.map((s, i) => {
          const slash = s.key.indexOf('/');
          return {
            AppName: s.key.slice(0, slash),
            StreamName: s.key.slice(slash + 1),
            Live: s.publisher !== undefined,
            // An edge pull publishes it here (docs/cluster.md "Origin/edge relays"); relay plays of other nodes are not Subscribers.
            Relayed: s.publisher?.protocol === 'relay',
            Subscribers: s.subscribers,
            WebrtcSubscribers: webrtc[i],
            RelayPlays: s.relays,
            BytesIn: s.bytesIn,
          };
        }),
      };
    },
  };
}
