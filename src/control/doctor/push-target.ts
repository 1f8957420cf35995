/**
 * The parts of a push URL the checks look at (`rtmp://domain[:port]/AppName/StreamName?txSecret=...&txTime=...`,
 * tencent-css.md §1.1), and the first check: is it a push URL at all, with legal names (18/309, 18/308).
 */
import { maskQuery } from '../access-policy.ts';
import { breakCodes, quoted } from '../break-codes.ts';
import { nameProblem, normaliseHost } from '../names.ts';
import { check, type DoctorCheck } from './doctor-check.ts';

/** A parsed push URL. */
export interface PushTarget {
  /** The URL with txSecret masked, for reports that may be pasted into tickets. */
  readonly url: string;
  /** Lowercase, without IPv6 brackets. */
  readonly host: string;
  readonly port: number;
  readonly app: string;
  readonly stream: string;
  readonly query: URLSearchParams;
  /** The parameters as received, undefined when absent. */
  readonly txTime: string | undefined;
  readonly txSecret: string | undefined;
  /** An `rtmps://` URL: RTMP over TLS, checked by the TLS check too. */
  readonly secure: boolean;
}

/** The RTMP port when the URL names none (tencent-css.md §1.1: "Default RTMP port is 1935"). */
export const defaultRtmpPort = 1935;
/** The RTMPS port when the URL names none: 443, as YouTube's, Facebook's and ffmpeg's default. */
export const defaultRtmpsPort = 443;

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
  if (u.protocol !== 'rtmp:' && u.protocol !== 'rtmps:')
    return {
      check: check('url', 'fail', `${u.protocol}// is not RTMP; the doctor checks rtmp:// and rtmps:// push URLs`, fix),
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
    host,
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
  const where = `host ${t.host}, port ${t.port}, AppName ${t.app}, StreamName ${t.stream}`;
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
