/** The atomic publisher claim shared by the ingest protocols, with the replace policy. */
import { toLiveError } from '../../errors.ts';
import { breakCodes } from '../../control/break-codes.ts';
import { replacedReason } from '../../control/reasons.ts';
import type { Hub } from '../../hub/hub.ts';
import type { PublisherInfo, Stream } from '../../hub/stream.ts';
import type { LivePublisherRegistry } from './live-publishers.ts';

/**
 * Takes `app/stream` for `publisher`, synchronously: no await between the check and the take (design.md).
 * Under the replace policy a signed newcomer ends the live publisher (21/102) and takes over; otherwise
 * undefined when someone already publishes.
 */
export function claimStream(
  hub: Hub,
  publishers: LivePublisherRegistry,
  target: { app: string; stream: string; key: string },
  publisher: PublisherInfo,
  replace: boolean,
): Stream | undefined {
  try {
    return hub.claim(target.key, publisher);
  } catch (err) {
    if (toLiveError(err).code !== 'STREAM_ALREADY_PUBLISHING') throw err;
  }
  if (!replace || !publishers.drop(target.app, target.stream, breakCodes.replaced, replacedReason(publisher.clientIp ?? ''))) {
    return undefined;
  }
  return hub.claim(target.key, publisher);
}
