/**
 * LL-HLS delivery directives on playlist requests (RFC 8216bis §6.2.5.2): `_HLS_msn` and
 * `_HLS_part` ask the server to hold the request until the playlist holds that segment or part.
 */
import { LiveError } from '../../errors.ts';
import type { HlsStream } from './hls-stream.ts';

/** A blocking reload: the segment (and part) the playlist must contain before it is sent. */
export interface ReloadDirective {
  readonly msn: number;
  readonly part: number | undefined;
}

/** Where a request stands: answerable now, worth waiting for, or refused at once (400). */
export type ReloadState = 'ready' | 'wait' | 'too-far';

/**
 * The directive of a playlist query, undefined when there is none. Throws HLS_RELOAD_INVALID for
 * `_HLS_part` without `_HLS_msn` (§6.2.5.2: MUST return Bad Request) and for values that are not
 * non-negative integers.
 */
export function readReloadDirective(query: URLSearchParams): ReloadDirective | undefined {
  const msn = query.get('_HLS_msn');
  const part = query.get('_HLS_part');
  if (msn === null) {
    if (part !== null) throw new LiveError('HLS_RELOAD_INVALID', '_HLS_part needs _HLS_msn (RFC 8216bis §6.2.5.2)');
    return undefined;
  }
  return { msn: nonNegative('_HLS_msn', msn), part: part === null ? undefined : nonNegative('_HLS_part', part) };
}

/**
 * Whether `stream` can answer directive `d`. Too far ahead is an msn more than two past the last
 * segment, or a part more than the Advance Part Limit past the last part: three divided by
 * PART-TARGET when that is under a second, else three (§6.2.5.2).
 */
export function reloadState(stream: HlsStream, d: ReloadDirective, partTargetS: number): ReloadState {
  const current = stream.current;
  const segments = stream.segments;
  const lastDone = segments.length > 0 ? segments[segments.length - 1]!.msn : -1;
  const lastMsn = current?.msn ?? lastDone;
  if (d.msn > lastMsn + 2) return 'too-far';
  if (d.msn <= lastDone) {
    if (d.part === undefined) return 'ready';
    const seg = stream.segment(d.msn);
    // §6.2.5.2: a part index past the segment's last part means part 0 of the next segment.
    if (!seg || d.part < seg.parts.length) return 'ready';
    return reloadState(stream, { msn: d.msn + 1, part: 0 }, partTargetS);
  }
  if (d.part === undefined) return 'wait';
  const limit = partTargetS < 1 ? Math.ceil(3 / partTargetS) : 3;
  const have = current?.msn === d.msn ? current.parts.length : 0;
  if (current?.msn === d.msn && d.part < have) return 'ready';
  const ahead = d.msn === lastMsn ? d.part - (have - 1) : d.part + 1;
  return ahead > limit ? 'too-far' : 'wait';
}

function nonNegative(name: string, value: string): number {
  if (!/^\d{1,15}$/.test(value))
    throw new LiveError(
      'HLS_RELOAD_INVALID',
      `${name} must be a non-negative integer, got ${JSON.stringify(value.slice(0, 20))}`,
    );
  return Number(value);
}
