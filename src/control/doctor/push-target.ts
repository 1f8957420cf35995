/**
 * The parts of a push URL the checks look at (`rtmp://domain[:port]/AppName/StreamName?txSecret=...&txTime=...`,
 * tencent-css.md §1.1, or `srt://domain:9000?streamid=#!::h=domain,r=AppName/StreamName,txSecret=...,txTime=...`
 * read by the SRT listener's own stream id parser), and the first check: is it a push URL at all, with
 * legal names (18/309, 18/308).
 */
import { maskQuery } from '../access-policy.ts';
import { breakCodes, quoted } from '../break-codes.ts';
import { nameProblem, normaliseHost } from '../names.ts';
import { parseStreamId } from '../srt-stream-id.ts';
import { check, type DoctorCheck } from './doctor-check.ts';

/** A parsed push URL. */
export interface PushTarget {
  /** The URL with txSecret masked, for reports that may be pasted into tickets. */
  readonly url: string;
  /** The URL's scheme without the colon. */
  readonly scheme: 'rtmp' | 'rtmps' | 'srt';
  /** The host admission sees (lowercase, without IPv6 brackets): for SRT the stream id's h=, '' without one. */
  readonly host: string;
  /** The host the encoder connects to: the URL's (for RTMP the same as `host`). */
  readonly connectHost: string;
  readonly port: number;
  readonly app: string;
  readonly stream: string;
  readonly query: URLSearchParams;
  /** The parameters as received, undefined when absent. */
  readonly txTime: string | undefined;
  readonly txSecret: string | undefined;
  /** An `rtmps://` URL: RTMP over TLS, checked by the TLS check too. */
  readonly secure: boolean;
  /** `srt://` only: the stream id as the encoder sends it. */
  readonly streamId?: string;
  /** `srt://` only: the URL sets a passphrase (encryption), which the probe cannot use. */
  readonly passphrase?: boolean;
}

/** The RTMP port when the URL names none (tencent-css.md §1.1: "Default RTMP port is 1935"). */
export const defaultRtmpPort = 1935;
/** The RTMPS port when the URL names none: 443, as YouTube's, Facebook's and ffmpeg's default. */
export const defaultRtmpsPort = 443;
/** The SRT port when the URL names none: Tencent's and openlive's srt.port, 9000. */
export const defaultSrtPort = 9000;

/** The target and the URL check, or only the failed check when nothing else can be checked. */
export type ParsedPushUrl =
  | { readonly target: PushTarget; readonly check: DoctorCheck }
  | { readonly target?: undefined; readonly check: DoctorCheck };

/** Parses a push URL and judges its shape. */
export function parsePushUrl(raw: string): ParsedPushUrl {
  const fix = 'paste the whole push URL: rtmp://domain/AppName/StreamName?txSecret=...&txTime=...';
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return { check: check('url', 'fail', `${quoted(raw)} is not a URL`, fix) };
  }
  if (u.protocol === 'srt:') return parseSrtUrl(raw.trim());
  if (u.protocol !== 'rtmp:' && u.protocol !== 'rtmps:')
    return {
      check: check(
        'url',
        'fail',
        `${u.protocol}// is not RTMP or SRT; the doctor checks rtmp://, rtmps:// and srt:// push URLs`,
        fix,
      ),
    };
  const secure = u.protocol === 'rtmps:';
  const host = normaliseHost(u.hostname);
  if (host === '') return { check: check('url', 'fail', 'the URL has no host', fix) };
  const segments = u.pathname.split('/').filter((s) => s !== '');
  let app: string;
  let stream: string;
  try {
    app = decodeURIComponent(segments[0] ?? '');
    stream = segments.slice(1).map(decodeURIComponent).join('/');
  } catch {
    return { check: check('url', 'fail', 'the path has a broken %-escape', fix) };
  }
  if (app === '' || stream === '') {
    return {
      check: check(
        'url',
        'fail',
        `the URL has no ${app === '' ? 'AppName' : 'StreamName'}`,
        `${fix} (OBS: Server = rtmp://domain/AppName/, Stream key = StreamName?txSecret=...)`,
      ),
    };
  }
  const query = u.searchParams;
  const target: PushTarget = {
    url: `${u.protocol}//${u.host}${u.pathname}${[...query.keys()].length > 0 ? `?${maskQuery(query)}` : ''}`,
    scheme: secure ? 'rtmps' : 'rtmp',
    host,
    connectHost: host,
    port: u.port === '' ? (secure ? defaultRtmpsPort : defaultRtmpPort) : Number(u.port),
    app,
    stream,
    query,
    txTime: query.get('txTime') ?? undefined,
    txSecret: query.get('txSecret') ?? undefined,
    secure,
  };
  return { target, check: shapeCheck(target) };
}

/**
 * `srt://host:port?streamid=...&latency=...`: the stream id is taken as written up to the next `&` (ffmpeg
 * splits the options there), since a `#!::` stream id is not a URL fragment here even though it starts with `#`.
 */
function parseSrtUrl(raw: string): ParsedPushUrl {
  const fix =
    'paste the whole push URL: srt://domain:9000?streamid=#!::h=domain,r=AppName/StreamName,txSecret=...,txTime=...';
  const q = raw.indexOf('?');
  let u: URL;
  try {
    u = new URL(q >= 0 ? raw.slice(0, q) : raw);
  } catch {
    return { check: check('url', 'fail', `${quoted(raw)} is not a URL`, fix) };
  }
  const connectHost = normaliseHost(u.hostname);
  if (connectHost === '') return { check: check('url', 'fail', 'the URL has no host', fix) };
  const options = new Map<string, string>();
  for (const part of q >= 0 ? raw.slice(q + 1).split('&') : []) {
    const eq = part.indexOf('=');
    if (eq > 0) options.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const streamId = options.get('streamid');
  if (streamId === undefined || streamId === '')
    return { check: check('url', 'fail', 'the URL has no streamid=, so the server cannot tell the stream', fix) };
  const parsed = parseStreamId(streamId, '');
  if (!parsed)
    return {
      check: check('url', 'fail', `the stream id ${quoted(mask(streamId), 80)} names no AppName/StreamName`, fix),
    };
  if (parsed.mode === 'request') {
    return {
      check: check(
        'url',
        'fail',
        'the stream id says m=request: that plays the stream, it does not push',
        'use m=publish or leave m= out',
      ),
    };
  }
  const { request } = parsed;
  const target: PushTarget = {
    url: mask(raw),
    scheme: 'srt',
    host: request.host,
    connectHost,
    port: u.port === '' ? defaultSrtPort : Number(u.port),
    app: request.app,
    stream: request.stream,
    query: request.query,
    txTime: request.query.get('txTime') ?? undefined,
    txSecret: request.query.get('txSecret') ?? undefined,
    secure: false,
    streamId,
    passphrase: (options.get('passphrase') ?? '') !== '',
  };
  return { target, check: shapeCheck(target) };
}

/** The URL with its secrets (txSecret, an SRT passphrase) masked. */
function mask(raw: string): string {
  return raw.replace(/(txSecret|passphrase)(=|%3D)[^&,]*/gi, '$1$2***');
}

function shapeCheck(t: PushTarget): DoctorCheck {
  const appProblem = nameProblem(t.app);
  if (appProblem) {
    return check(
      'url',
      'fail',
      `AppName ${quoted(t.app, 32)} ${appProblem}`,
      'use letters, digits and _ - . ~ in AppName',
      breakCodes.appNameInvalid,
    );
  }
  const streamProblem = nameProblem(t.stream);
  if (streamProblem) {
    return check(
      'url',
      'fail',
      `StreamName ${quoted(t.stream, 32)} ${streamProblem}`,
      'use letters, digits and _ - . ~ in StreamName',
      breakCodes.streamNameInvalid,
    );
  }
  const where =
    t.scheme === 'srt'
      ? `host ${t.connectHost}, UDP port ${t.port}, stream id host ${t.host || '(none: h= is missing)'}, AppName ${t.app}, StreamName ${t.stream}`
      : `host ${t.host}, port ${t.port}, AppName ${t.app}, StreamName ${t.stream}`;
  // A URL copied out of HTML keeps its "&amp;": the server then sees a parameter named "amp;txTime".
  if ([...t.query.keys()].some((k) => k.startsWith('amp;'))) {
    return check(
      'url',
      'warn',
      `${where}; the query contains "&amp;", so a parameter is named "amp;..."`,
      'replace "&amp;" with "&" in the URL',
    );
  }
  return check('url', 'pass', where);
}
