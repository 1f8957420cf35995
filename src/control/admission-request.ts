/**
 * The transport-neutral request every publish and play is decided on (design.md "The path of a stream"):
 * which protocol, the host the client addressed, AppName, StreamName, the query that carries txSecret and
 * txTime, and the client's address. Each transport builds it from what it has: an RTMP tcUrl and publish
 * name, an HTTP path and Host header, an SRT streamid (`#!::h=host,r=app/stream,m=publish`), a WHIP URL.
 */
import { hostOfHeader, hostOfTcUrl, normaliseHost } from './names.ts';

/** The transports that ask for admission; `flv` and `hls` only ever play. */
export type AdmissionProtocol = 'rtmp' | 'rtmps' | 'srt' | 'webrtc' | 'flv' | 'hls';

/** What a publisher or player asked for, whatever carried it. */
export interface AdmissionRequest {
  readonly protocol: AdmissionProtocol;
  /** The host the client addressed, normalised (lowercase, no port, no IPv6 brackets); empty when it named none. */
  readonly host: string;
  readonly app: string;
  readonly stream: string;
  /** txSecret, txTime and whatever else the URL carried (RTMP: the publish name's query over the connect one). */
  readonly query: URLSearchParams;
  readonly clientIp: string;
  /** The Referer header of an HTTP play ('' when absent); undefined for transports without one (RTMP, SRT). */
  readonly referer?: string;
}

/** The request of an RTMP(S) publish or play: the host comes from the connect command's tcUrl. */
export function rtmpRequest(r: {
  tls?: boolean;
  tcUrl: string;
  app: string;
  stream: string;
  query: URLSearchParams;
  clientIp: string;
}): AdmissionRequest {
  return {
    protocol: r.tls ? 'rtmps' : 'rtmp',
    host: hostOfTcUrl(r.tcUrl),
    app: r.app,
    stream: r.stream,
    query: r.query,
    clientIp: r.clientIp,
  };
}

/** The request of an HTTP play (FLV, HLS): the host comes from the Host header, which may carry a port. */
export function httpPlayRequest(
  protocol: 'flv' | 'hls',
  r: {
    hostHeader: string;
    app: string;
    stream: string;
    query: URLSearchParams;
    clientIp: string;
    referer?: string | undefined;
  },
): AdmissionRequest {
  const request = {
    protocol,
    host: hostOfHeader(r.hostHeader),
    app: r.app,
    stream: r.stream,
    query: r.query,
    clientIp: r.clientIp,
  };
  return r.referer === undefined ? request : { ...request, referer: r.referer };
}

/**
 * The request of an SRT caller from its streamid (SRT Access Control, `#!::` followed by comma-separated
 * key=value pairs: `h` host, `r` resource `app/stream`, `m` mode). SRS and OBS users also put the signature
 * into the resource (`r=live/demo?txSecret=...`); both that query and unknown keys reach the query.
 * A streamid without `#!::` is read as a bare `app/stream[?query]`. Undefined when it names no app and stream.
 */
export function srtRequest(
  streamId: string,
  clientIp: string,
): (AdmissionRequest & { readonly mode: 'publish' | 'request' }) | undefined {
  const query = new URLSearchParams();
  let host = '';
  let resource = streamId;
  let mode: 'publish' | 'request' = 'request';
  if (streamId.startsWith('#!::')) {
    resource = '';
    for (const pair of streamId.slice(4).split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const key = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (key === 'h') host = normaliseHost(value);
      else if (key === 'r') resource = value;
      else if (key === 'm') mode = value === 'publish' ? 'publish' : 'request';
      else query.append(key, value);
    }
  }
  const q = resource.indexOf('?');
  if (q >= 0) {
    for (const [k, v] of new URLSearchParams(resource.slice(q + 1))) query.append(k, v);
    resource = resource.slice(0, q);
  }
  const [app, ...rest] = resource.split('/').filter((s) => s !== '');
  const stream = rest.join('/');
  if (!app || stream === '') return undefined;
  return { protocol: 'srt', host, app, stream, query, clientIp, mode };
}

/**
 * The request of a WHIP publish or WHEP play from its URL (`https://host/app/stream?txSecret=...`; a
 * leading `/whip/` or `/whep/` segment is the endpoint, not the AppName). Undefined when it names no stream.
 */
export function whipRequest(url: string, clientIp: string): AdmissionRequest | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  let segments: string[];
  try {
    segments = u.pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
  } catch {
    return undefined;
  }
  if (segments[0] === 'whip' || segments[0] === 'whep') segments = segments.slice(1);
  const [app, ...rest] = segments;
  if (!app || rest.length === 0) return undefined;
  return {
    protocol: 'webrtc',
    host: normaliseHost(u.hostname),
    app,
    stream: rest.join('/'),
    query: u.searchParams,
    clientIp,
  };
}
