/** The one place where error codes become RTMP onStatus codes (design.md: mapped once). */
import type { LiveError } from '../../errors.ts';

/** The onStatus code that reports `err` to a publisher or a player. */
export function rtmpStatusOf(err: LiveError, role: 'publish' | 'play'): string {
  if (role === 'publish') {
    // ffmpeg, OBS and the phone SDKs all print the description of a BadName status as the reason.
    return 'NetStream.Publish.BadName';
  }
  return err.kind === 'not-found' ? 'NetStream.Play.StreamNotFound' : 'NetStream.Play.Failed';
}
