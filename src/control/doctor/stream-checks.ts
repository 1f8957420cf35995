/**
 * Checklist step 5 (tencent-css.md §6: "a push URL can be used by only one pusher at a time"; check
 * Live Streams and Disabled Streams): is someone already publishing the stream, and is it forbidden.
 */
import type { Domain, ForbiddenStream, PublishRecord, Store } from '../../store/store.ts';
import { breakCodes, isoSeconds } from '../break-codes.ts';
import { check, span, type DoctorCheck } from './doctor-check.ts';

/** Who publishes a stream, as far as the doctor can tell; `how` says where that came from. */
export type PublisherStatus =
  | { readonly state: 'idle'; readonly how: string }
  | {
      readonly state: 'live';
      readonly clientIp?: string;
      readonly startedAt?: number;
      readonly domain?: string;
      readonly how: string;
    }
  /** The store has an open record, but the server says the stream is not live: a server died without ending it. */
  | { readonly state: 'stale'; readonly clientIp: string; readonly startedAt: number; readonly how: string }
  /** The store has an open record and the server could not be asked. */
  | { readonly state: 'unknown'; readonly clientIp: string; readonly startedAt: number; readonly how: string };

/** Looks up the publisher of app/stream: the live registry inside the server, records and HTTP outside it. */
export type PublisherLookup = (app: string, stream: string) => Promise<PublisherStatus>;

/** What the server's HTTP-FLV port said to a HEAD: live (200), idle (404), or it could not answer. */
export type HttpLiveAnswer = { readonly live: boolean } | { readonly error: string };

/**
 * The view from outside the server process (the CLI): the store's newest open publish record and
 * a HEAD on the public HTTP-FLV URL. The record says who and since when; the HEAD says whether the
 * record is still true, since a server killed mid-stream leaves its record open until it restarts.
 */
export function publisherFromOutside(
  open: PublishRecord | undefined,
  http: HttpLiveAnswer,
  httpWhere: string,
): PublisherStatus {
  const from = (r: PublishRecord) => ({ clientIp: r.clientIp, startedAt: r.startedAt, domain: r.domain });
  if ('live' in http && http.live) {
    return open
      ? { state: 'live', ...from(open), how: `open publish record; ${httpWhere} serves it` }
      : { state: 'live', how: `${httpWhere} serves it (no open publish record says who)` };
  }
  if ('live' in http) {
    return open
      ? {
          state: 'stale',
          ...from(open),
          how: `the store has an open publish record, but ${httpWhere} does not serve the stream: a server stopped without ending the record (its next start ends it with 5/0), or it is another server's`,
        }
      : { state: 'idle', how: `no open publish record, and ${httpWhere} does not serve it` };
  }
  return open
    ? {
        state: 'unknown',
        ...from(open),
        how: `the store has an open publish record; ${httpWhere} could not say whether it is still live (${http.error}), so it may be left by a server that stopped`,
      }
    : { state: 'idle', how: `no open publish record (${httpWhere} could not be asked: ${http.error})` };
}

/** Judges whether the stream is taken. */
export function liveCheck(
  app: string,
  stream: string,
  p: PublisherStatus,
  domain: Domain | undefined,
  nowMs: number,
): DoctorCheck {
  const name = `${app}/${stream}`;
  if (p.state === 'idle') return check('live', 'pass', `no one publishes ${name}: ${p.how}`);
  const who = p.clientIp ? ` from ${p.clientIp}` : '';
  const since = p.startedAt !== undefined ? ` since ${isoSeconds(p.startedAt)} (${span(nowMs - p.startedAt)})` : '';
  const on = p.state === 'live' && p.domain ? ` on ${p.domain}` : '';
  if (p.state === 'stale' || p.state === 'unknown') {
    return check(
      'live',
      'warn',
      `${name} was published${who}${since}; ${p.how}`,
      'if the server is running and the stream is not live, the next publish works; a server restart ends the record',
    );
  }
  const taken = `${name} is being published${who}${since}${on} (${p.how})`;
  if (domain?.replacePublisher && domain.auth.enabled) {
    return check(
      'live',
      'warn',
      `${taken}; ${domain.name} lets a newcomer with a valid signature replace it (21/102)`,
      'publishing now takes the stream over from the current encoder',
    );
  }
  return check(
    'live',
    'fail',
    `${taken}; a second encoder is refused with 18/601`,
    'stop the other encoder, use another StreamName, or drop it (Cloud API DropLiveStream)',
    breakCodes.duplicatePublisher,
  );
}

/** Judges whether the stream is forbidden on the domain (or on every domain). */
export async function forbiddenCheck(
  store: Store,
  app: string,
  stream: string,
  domain: Domain | undefined,
  nowMs: number,
): Promise<DoctorCheck> {
  const entry: ForbiddenStream | undefined = domain
    ? await store.findForbidden(app, stream, domain.name, nowMs)
    : (await store.listForbidden({ app, stream, activeAt: nowMs, limit: 1 })).items[0];
  const name = `${app}/${stream}`;
  if (!entry) return check('forbidden', 'pass', `${name} is not forbidden${domain ? ` on ${domain.name}` : ''}`);
  const scope = entry.domain === '' ? 'on every domain' : `on ${entry.domain}`;
  const why = entry.reason ? `, reason: ${entry.reason}` : ', no reason given';
  const resume = `openlive stream resume ${name}${entry.domain ? ` --domain ${entry.domain}` : ''}`;
  return check(
    'forbidden',
    'fail',
    `${name} is forbidden ${scope} until ${isoSeconds(entry.until)} (${span(entry.until - nowMs)} from now)${why}; publishes are refused with 18/305`,
    `resume it: ${resume} (Cloud API ResumeLiveStream), or wait until then`,
    breakCodes.streamForbidden,
  );
}
