/** The hub's track handling: tracks beyond the default one, codecs an output cannot carry (docs/enhanced-rtmp.md). */
import { outputsLeavingOut } from '../protocol/flv/codec-carriage.ts';
import type { HubContext } from './hub-context.ts';
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

/**
 * A new codec on a stream that a muxed output (TS HLS, fMP4 HLS, MP4 recording) cannot carry: that
 * output leaves the track out (its muxer skips those frames, never throws). Counted once per output
 * and codec change (HubStats.codecsLeftOut) and noted in the log, so "no audio in HLS" has an answer.
 */
export function noteCodecLeftOut(ctx: HubContext, key: string, info: object, previous: object | undefined): void {
  const codec = (info as { codec?: unknown }).codec;
  if (typeof codec !== 'string' || codec === (previous as { codec?: unknown } | undefined)?.codec) return;
  const outputs = outputsLeavingOut(codec);
  if (outputs.length === 0) return;
  ctx.counters.codecsLeftOut += outputs.length;
  ctx.options.logger.info(
    { stream: key, codec, outputs },
    'codec not carried by these outputs: its track is left out there',
  );
}
