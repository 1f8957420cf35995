/**
 * The one admission path (design.md "The path of a stream"): every transport turns its publish or play
 * into an AdmissionRequest and asks here. A publish walks the access decision (domain, names, forbid,
 * signature: control/access-policy.ts), then takes the publisher claim in one step (PublisherClaims: the
 * hub on one node, the cluster Coordinator later), applying the replace policy (21/102: the live
 * publisher is dropped through LivePublishers) or refusing the newcomer (18/601), and refuses past the
 * memory budget (18/100). Every refusal is recorded once; the doctor asks the same decision as a dry run.
 */
import type { Access } from './access.ts';
import type { AdmissionRequest } from './admission-request.ts';
import { dryRunPublish, type PublishVerdict } from './admission-dry-run.ts';
import {
  limitRefusal,
  recordRefusal,
  type Abandoned,
  type AdmitOptions,
  type PlayGrant,
  type Refused,
  type RefusalSink,
} from './admission-outcome.ts';
import {
  PlayAdmission,
  type Capacity,
  type PlayAdmitter,
  type PlayOptions,
  type RelayPlayCheck,
} from './admission-play.ts';
import { breakCodes } from './break-codes.ts';
import type { Claimant, ClaimTarget, PublisherClaims } from './publisher-claims.ts';
import { duplicatePublisher, replacedReason, type Refusal } from './reasons.ts';
import type { LivePublishers } from './stream-policy.ts';

export type { Abandoned, PlayGrant, Refused, PublishVerdict };

/** An accepted publish: it holds the claim (`claim`, the hub's Stream) until the transport releases it. */
export interface PublishGrant<S> {
  readonly kind: 'admitted';
  readonly claim: S;
  /** The push domain the publish belongs to. */
  readonly domain: string;
  /** True when a live publisher was dropped for this one (21/102). */
  readonly replaced: boolean;
}

/** How the admission path is built: the decision parts it asks, all behind interfaces. */
export interface AdmissionOptions<S> {
  readonly access: Access;
  readonly claims: PublisherClaims<S>;
  /** This node's live publishers: the replace policy drops the holder through it. */
  readonly live: Pick<LivePublishers, 'drop'>;
  /**
   * The replace policy when another node holds the stream (StreamPolicy.replaceElsewhere): true once the
   * holder let go and the newcomer may claim. Absent on one node.
   */
  readonly replaceElsewhere?: ((target: ClaimTarget, clientIp: string) => Promise<boolean>) | undefined;
  /** The memory budget for plays (publishes meet it in `claims.claim`). */
  readonly capacity?: Capacity | undefined;
  /** Relay plays of other nodes (admission-play.ts). */
  readonly relay?: RelayPlayCheck | undefined;
  readonly countError?: RefusalSink['countError'];
  readonly onRecordError?: RefusalSink['onRecordError'];
}

/** The hub key of a stream, as servers/stream-key.ts spells it. */
export function claimTargetOf(req: Pick<AdmissionRequest, 'app' | 'stream'>): ClaimTarget {
  return { app: req.app, stream: req.stream, key: `${req.app}/${req.stream}` };
}

/** Decides publishes and plays for every transport, and answers the doctor's dry runs. */
export class Admission<S> implements PlayAdmitter {
  readonly #o: AdmissionOptions<S>;
  readonly #plays: PlayAdmission;

  constructor(options: AdmissionOptions<S>) {
    this.#o = options;
    this.#plays = new PlayAdmission(options);
  }

  /**
   * Admits a publish and takes its claim, or refuses it (recorded). Nothing is awaited between the claim
   * check and the take; `stillWanted` is asked after the access decision, so a client that left while the
   * store was read never takes the stream.
   */
  async publish(
    req: AdmissionRequest,
    publisher: Claimant,
    options: AdmitOptions = {},
  ): Promise<PublishGrant<S> | Refused | Abandoned> {
    const decision = await this.#o.access.checkPublish(req);
    if (options.stillWanted && !options.stillWanted()) return { kind: 'abandoned' };
    if (!decision.allowed) return { kind: 'refused', refusal: decision, domain: '' };
    const domain = decision.domain ?? '';
    const target = { ...claimTargetOf(req), domain };
    let claim: S | undefined;
    let replaced = false;
    try {
      // No await on the hub's synchronous answer: check, drop and take happen in one turn (design.md).
      const first = this.#o.claims.claim(target, publisher);
      claim = first instanceof Promise ? await first : first;
      // Replacing needs proof of the key (the policy grants it only with authentication on): no hijack.
      if (claim === undefined && decision.replacePublisher === true) {
        replaced = this.#o.live.drop(req.app, req.stream, breakCodes.replaced, replacedReason(publisher.clientIp));
        // Held on another node: that node drops its publisher (21/102) and gives the lease back first.
        if (!replaced && this.#o.replaceElsewhere)
          replaced = await this.#o.replaceElsewhere(target, publisher.clientIp);
        const second = replaced ? this.#o.claims.claim(target, publisher) : undefined;
        claim = second instanceof Promise ? await second : second;
      }
    } catch (err) {
      return limitRefusal(this.#o, 'publish', req, err, domain);
    }
    if (claim === undefined)
      return recordRefusal(this.#o, 'publish', req, duplicatePublisher(req.app, req.stream), domain);
    // Only a remote claim can have awaited: the client may have left meanwhile, and must not hold the stream.
    if (options.stillWanted && !options.stillWanted()) {
      this.#o.claims.release(claim, publisher.id);
      return { kind: 'abandoned' };
    }
    return { kind: 'admitted', claim, domain, replaced };
  }

  /** Grants or refuses a play (admission-play.ts). */
  play(req: AdmissionRequest, options?: PlayOptions): Promise<PlayGrant | Refused | Abandoned> {
    return this.#plays.play(req, options);
  }

  /** Gives a publish's claim back (its session ended, or it could not start). */
  release(claim: S, publisherId: string): void {
    this.#o.claims.release(claim, publisherId);
  }

  /** Records a refusal a transport had to decide before it had a request to ask with (RTMP name limits). */
  refuse(action: 'publish' | 'play', req: AdmissionRequest, refusal: Refusal): Refused {
    return recordRefusal(this.#o, action, req, refusal, '');
  }

  /** The refusal for a limit error met after the grant (the hub's subscribe past the memory budget); rethrows others. */
  refuseLimit(action: 'publish' | 'play', req: AdmissionRequest, err: unknown, domain: string): Refused {
    return limitRefusal(this.#o, action, req, err, domain);
  }

  /** What `publish` would answer now, without claiming, dropping, recording or slowing anyone (the doctor). */
  dryRunPublish(req: AdmissionRequest): Promise<PublishVerdict> {
    return dryRunPublish({ access: this.#o.access, claims: this.#o.claims }, req);
  }
}
