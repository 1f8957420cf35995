/** `openlive url`: the Address Generator on the command line: signed push URL, OBS split and play URLs. */
import type { Config } from '../../config/config-schema.ts';
import type { Store } from '../../store/store.ts';
import { Domains } from '../../control/domains.ts';
import { streamUrls } from '../../control/stream-urls.ts';
import { LiveError } from '../../errors.ts';
import { parseDuration } from '../duration.ts';
import { publicHost } from '../banner.ts';

/** Flags of `openlive url`. */
export interface UrlFlags {
  readonly domain?: string;
  readonly playDomain?: string;
  readonly app?: string;
  readonly stream?: string;
  readonly expires?: string;
  readonly json?: string;
}

/** Builds the URLs from the store's domains and prints them (text, or JSON with --json). */
export async function urlCommand(config: Config, store: Store, flags: UrlFlags, nowMs: number): Promise<string> {
  const domains = new Domains({ store, now: () => nowMs, cnameSuffix: config.domains.cnameSuffix });
  const push = flags.domain ? await domains.get(flags.domain) : await domains.getDefault('push');
  if (!push) throw new LiveError('DOMAIN_NOT_FOUND', 'there is no default push domain; pass --domain');
  if (push.type !== 'push')
    throw new LiveError('DOMAIN_TYPE_MISMATCH', `${push.name} is a play domain; pass a push domain to --domain`);
  const play = flags.playDomain ? await domains.get(flags.playDomain) : await domains.getDefault('play');
  const stream = flags.stream ?? 'demo';
  const app = flags.app ?? 'live';
  const validSeconds = parseDuration(flags.expires ?? '24h', 'expires');
  // A named domain is addressed by its name; the default domains also serve this machine's bare IP.
  const pushHost = flags.domain ? push.name : publicHost(config.rtmp.host);
  const playHost = flags.playDomain && play ? play.name : publicHost(config.http.host);
  const urls = streamUrls({
    app,
    stream,
    expiresAt: Math.floor(nowMs / 1000) + validSeconds,
    push: { host: pushHost, auth: push.auth },
    ...(play && { play: { host: playHost, auth: play.auth } }),
    rtmpPort: config.rtmp.port,
    httpPort: config.http.port,
    rtmpsPort: config.rtmps.enabled ? config.rtmps.port : 0,
    httpsPort: config.https.enabled ? config.https.port : 0,
    srtPort: config.srt.enabled ? config.srt.port : 0,
    webrtc: config.webrtc.enabled,
  });
  if (flags.json === 'true') return `${JSON.stringify({ domain: push.name, app, stream, ...urls }, null, 2)}\n`;
  const expiry = new Date((Math.floor(nowMs / 1000) + validSeconds) * 1000).toISOString();
  const validity = push.auth.enabled
    ? ` (txTime ${urls.txTime}; accepted until ${push.auth.authDelta} s later)`
    : ' (push authentication is off)';
  const lines = [
    `Push domain ${push.name}, stream ${app}/${stream}, expires ${expiry}${validity}`,
    '',
    `Push URL     ${urls.push.rtmp}`,
    `OBS Server   ${urls.push.obsServer}`,
    `OBS Key      ${urls.push.obsStreamKey}`,
    ...(urls.push.rtmps ? [`Push RTMPS   ${urls.push.rtmps}`] : []),
    // Quoted: the stream id starts with "#", which a shell reads as a comment.
    ...(urls.push.srt ? [`Push SRT     "${urls.push.srt}"`] : []),
    ...(urls.push.whip ? [`Push WHIP    ${urls.push.whip}`] : []),
    ...(urls.push.whipHttps ? [`Push WHIP/TLS ${urls.push.whipHttps}`] : []),
  ];
  if (urls.play) {
    lines.push('', `Play RTMP    ${urls.play.rtmp}`, `Play FLV     ${urls.play.flv}`, `Play HLS     ${urls.play.hls}`);
    if (urls.play.rtmps) lines.push(`Play RTMPS   ${urls.play.rtmps}`);
    if (urls.play.httpsFlv) lines.push(`Play FLV/TLS ${urls.play.httpsFlv}`, `Play HLS/TLS ${urls.play.httpsHls}`);
    if (urls.play.whep) lines.push(`Play WHEP    ${urls.play.whep}`);
    if (urls.play.whepHttps) lines.push(`Play WHEP/TLS ${urls.play.whepHttps}`);
  }
  return `${lines.join('\n')}\n`;
}
