/** The hub's Enhanced RTMP v2 track handling beyond the default track (docs/enhanced-rtmp.md "Multitrack"). */
import type { Packet } from './packet.ts';
export { lacksDefaultTrack } from '../protocol/flv/default-track.ts';
import type { Subscriber } from './subscriber.ts';

/**
 * Offers a message without a default track (flv/default-track.ts `lacksDefaultTrack`) to the players
 * that announced Multitrack only. It is not cached (a joiner starts from the default track's GOP) and
 * not given to taps: HLS and recordings carry the default track alone. Returns true (published).
 */
export function offerOtherTracks(subscribers: readonly Subscriber[], packet: Packet, now: number): boolean {
  for (const subscriber of subscribers) if (subscriber.format === 'rtmp-multitrack') subscriber.offer(packet, now);
  return true;
}
