/**
 * The publisher claim across nodes: this node's hub first (synchronous, so two local publishers never race),
 * then the Coordinator's lease (one atomic remote step, Redis `SET NX PX`). A stream held on another node is
 * refused here like a local one (18/601), and the lease is given back as soon as the publish ends, so the
 * encoder may reconnect to any node at once (docs/cluster.md "Admission").
 */
import type { Claimant, ClaimTarget, PublisherClaims } from '../../control/publisher-claims.ts';
import type { Coordinator } from '../../cluster/coordinator.ts';
import type { Hub } from '../../hub/hub.ts';
import type { Stream } from '../../hub/stream.ts';
import { HubClaims } from './claim-stream.ts';

/** PublisherClaims over the hub and the cluster's Coordinator. */
export class ClusterClaims implements PublisherClaims<Stream> {
  readonly #hub: Hub;
  readonly #local: HubClaims;
  readonly #coordinator: Coordinator;
  readonly #onReleaseError: (err: unknown) => void;

  constructor(hub: Hub, coordinator: Coordinator, onReleaseError: (err: unknown) => void) {
    this.#hub = hub;
    this.#local = new HubClaims(hub);
    this.#coordinator = coordinator;
    this.#onReleaseError = onReleaseError;
  }

  /** The local stream once the cluster lease is ours too; undefined when this node or another holds it. */
  claim(target: ClaimTarget, publisher: Claimant): Stream | undefined | Promise<Stream | undefined> {
    const relay = this.#hub.get(target.key)?.publisher;
    if (relay?.protocol === 'relay') return this.#takeFromRelay(target, publisher, relay.id);
    const stream = this.#local.claim(target, publisher);
    if (stream === undefined) return undefined;
    return this.#coordinator.claim(target.key, target.domain ? { domain: target.domain } : {}).then(
      (result) => {
        if (result.ok) return stream;
        this.#local.release(stream, publisher.id);
        return undefined;
      },
      (err: unknown) => {
        // COORDINATOR_UNAVAILABLE: admission refuses with 18/100; the local claim must not outlive it.
        this.#local.release(stream, publisher.id);
        throw err;
      },
    );
  }

  /**
   * An encoder publishing a stream this node only pulls (an edge; the encoder reconnected here within
   * the grace): the cluster decides. Held elsewhere: 18/601 as ever. Free: the relay yields the local
   * stream (its players wait through the grace) and the encoder continues it (docs/cluster.md
   * "Origin/edge relays"). The local take re-checks synchronously after the await.
   */
  async #takeFromRelay(target: ClaimTarget, publisher: Claimant, relayId: string): Promise<Stream | undefined> {
    const result = await this.#coordinator.claim(target.key);
    if (!result.ok) return undefined;
    const held = this.#hub.get(target.key);
    if (held && held.publisher?.id === relayId) this.#hub.release(held, relayId);
    const stream = this.#local.claim(target, publisher);
    if (stream === undefined) this.ended(target.key);
    return stream;
  }

  /** Gives the local claim back, then the lease unless a newer local publisher holds the stream. */
  release(claim: Stream, publisherId: string): void {
    this.#local.release(claim, publisherId);
    this.ended(claim.key);
  }

  /** A publish of `key` ended on this node: the lease goes once no local publisher holds the stream. */
  ended(key: string): void {
    // After the turn in which the hub lets the publisher go (the session ends after its registry entry).
    setImmediate(() => {
      if (this.#hub.get(key)?.publisher !== undefined) return;
      this.#coordinator.release(key).catch(this.#onReleaseError);
    });
  }

  /** True while this node or another holds the stream. */
  async isHeld(target: ClaimTarget): Promise<boolean> {
    // A relay (edge pull) holds the local stream only for players: the cluster's holder is the answer.
    const relay = this.#hub.get(target.key)?.publisher?.protocol === 'relay';
    return (!relay && this.#local.isHeld(target)) || (await this.#coordinator.holder(target.key)) !== undefined;
  }
}
