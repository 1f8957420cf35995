/** The one place where error codes become RTMP onStatus codes (design.md: mapped once). */
import type { Refusal } from '../../control/access.ts';
import { LiveError } from '../../errors.ts';

/** The onStatus code that reports `err` to a publisher or a player. */
export function rtmpStatusOf(err: LiveError, role: 'publish' | 'play'): string {
  if (role === 'publish') {
    // ffmpeg, OBS and the phone SDKs all print the description of a BadName status as the reason.
    return 'NetStream.Publish.BadName';
  }
  return err.kind === 'not-found' ? 'NetStream.Play.StreamNotFound' : 'NetStream.Play.Failed';
}

/** A refusal as the LiveError the RTMP status mapping (rtmp-status.ts) and the logs take. */
export function refusalError(refused: Refusal): LiveError {
  return new LiveError(refused.code, refused.reason);
}
