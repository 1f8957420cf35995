/** The start-up banner: a ready signed push URL, its OBS split, and where to play. */
import type { Config } from '../config/config-schema.ts';
import { demoUrls, type Bootstrapped } from '../control/bootstrap.ts';
import type { NewCredential } from '../control/credentials.ts';

/** The admin listener's port and the API key pair a first start created (shown only then). */
export interface ApiBanner {
  readonly port: number;
  readonly created: NewCredential | undefined;
}

/** The address to print for a listen host: a wildcard becomes loopback, which is what a newcomer can use. */
export function publicHost(listenHost: string): string {
  return listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost;
}

/** True for addresses only this machine reaches: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

/**
 * The warning logged at start when the admin listener faces a network: it speaks plain HTTP, so the
 * SecretId, every signed request and the console's key travel in clear (TLS for it comes with a later issue).
 */
export function apiExposureWarning(host: string): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  return `the admin listener (Cloud API and console) binds ${host} without TLS: signed requests and console sessions cross the network in clear; set api.tls (docs/tls.md), put a TLS proxy in front, or bind 127.0.0.1`;
}

/** Text printed once the listeners are bound. */
export function startBanner(
  config: Config,
  defaults: Bootstrapped,
  rtmpPort: number,
  httpPort: number,
  nowMs: number,
  api?: ApiBanner,
  tls: { rtmpsPort?: number; httpsPort?: number } = {},
): string {
  const host = publicHost(config.rtmp.host);
  const urls = demoUrls(defaults, { host, rtmpPort, httpPort, ...tls }, nowMs);
  const apiPart = api ? `, API :${api.port}${config.api.tls ? ' (TLS)' : ''}` : '';
  const tlsPart = `${tls.rtmpsPort ? `, RTMPS :${tls.rtmpsPort}` : ''}${tls.httpsPort ? `, HTTPS :${tls.httpsPort}` : ''}`;
  // The TLS ports come last: scripts (test/support/server-process.ts) read "RTMP :n, HTTP :n, API :n".
  const lines = [
    '',
    `openlive is running (RTMP :${rtmpPort}, HTTP :${httpPort}${apiPart}${tlsPart}, data in ${config.dataDir})`,
    '',
  ];
  if (api) lines.push(...apiLines(config.api.host, api, config.api.tls), '');
  if (!urls) {
    lines.push('There is no default push domain; add one and run `openlive url --domain <name> --stream demo`.', '');
    return lines.join('\n');
  }
  const expires = new Date(Number.parseInt(urls.txTime, 16) * 1000).toISOString();
  lines.push(
    `Push URL (signed for push domain ${defaults.push?.name}, valid until ${expires}):`,
    `  ${urls.push.rtmp}`,
    `  OBS: Server = ${urls.push.obsServer}   Stream Key = ${urls.push.obsStreamKey}`,
    ...(urls.push.rtmps ? [`  RTMPS: ${urls.push.rtmps}`] : []),
    '',
    'Publish a test pattern with ffmpeg:',
    `  ffmpeg -re -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine -c:v libx264 -preset veryfast -g 60 -c:a aac -f flv "${urls.push.rtmp}"`,
    '',
  );
  if (urls.play) {
    const p = urls.play;
    lines.push('Play:', `  HTTP-FLV  ${p.flv}`, `  HLS       ${p.hls}`, `  RTMP      ${p.rtmp}`);
    if (p.httpsFlv) lines.push(`  HTTPS-FLV ${p.httpsFlv}`, `  HTTPS-HLS ${p.httpsHls}`);
    if (p.rtmps) lines.push(`  RTMPS     ${p.rtmps}`);
    lines.push('');
  }
  lines.push(
    'More URLs: bin/openlive url --stream <name> --expires 24h    A push fails? bin/openlive doctor "<push URL>"',
    `Health http://${host}:${httpPort}/healthz   Metrics http://${host}:${httpPort}/metrics`,
    '',
  );
  return lines.join('\n');
}

/** Where the Cloud API and console are, and the first start's key pair, printed this once. */
function apiLines(listenHost: string, api: ApiBanner, secure: boolean): string[] {
  const host = publicHost(listenHost);
  const scheme = secure ? 'https' : 'http';
  const lines = [
    `Cloud API (Tencent CSS 2018-08-01, TC3-HMAC-SHA256): ${scheme}://${host}:${api.port}/   Console: ${scheme}://${host}:${api.port}/console/`,
    secure
      ? `  The admin port speaks HTTPS only (api.tls) with the tls.* certificates.`
      : isLoopbackHost(listenHost)
        ? `  The admin port listens on ${listenHost} only; to open it to the network: --api.host 0.0.0.0 or OPENLIVE_API__HOST=0.0.0.0 (plain HTTP: put TLS in front).`
        : `  The admin port listens on ${listenHost}, reachable from the network over plain HTTP (see the warning above).`,
  ];
  if (api.created) {
    lines.push(
      'API key created on this first start. The SecretKey is shown only now; keep it safe (more: bin/openlive keys create):',
      `  SecretId  ${api.created.secretId}`,
      `  SecretKey ${api.created.secretKey}`,
    );
  } else {
    lines.push('API keys: bin/openlive keys list | create | revoke ID');
  }
  return lines;
}
