/** This node's publisher claim: the hub's, behind control's PublisherClaims so admission decides with it. */
import { toLiveError } from '../../errors.ts';
import type { Claimant, ClaimTarget, PublisherClaims } from '../../control/publisher-claims.ts';
import type { Hub } from '../../hub/hub.ts';
import type { Stream } from '../../hub/stream.ts';

/** PublisherClaims over the hub: synchronous, so the check and the take are one step (Hub.claim). */
export class HubClaims implements PublisherClaims<Stream> {
  readonly #hub: Hub;

  constructor(hub: Hub) {
    this.#hub = hub;
  }

  /** The stream, now published by `publisher`; undefined while another holds it; throws MEMORY_BUDGET_EXCEEDED past the budget. */
  claim(target: ClaimTarget, publisher: Claimant): Stream | undefined {
    try {
      return this.#hub.claim(target.key, publisher);
    } catch (err) {
      if (toLiveError(err).code === 'STREAM_ALREADY_PUBLISHING') return undefined;
      throw err;
    }
  }

  /** Ends `publisherId`'s publish of the stream; a no-op when someone else holds it by now. */
  release(claim: Stream, publisherId: string): void {
    this.#hub.release(claim, publisherId);
  }

  /** True while the stream has a publisher on this node. */
  isHeld(target: ClaimTarget): boolean {
    return this.#hub.get(target.key)?.publisher !== undefined;
  }
}
