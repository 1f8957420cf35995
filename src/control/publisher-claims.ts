/**
 * The publisher claim as admission sees it: one holder per stream, taken atomically. This node's hub
 * implements it (servers/ingest/claim-stream.ts); the cluster Coordinator (src/cluster/, a claim with a
 * lease in Redis) implements the same interface, so admission does not know which one decides.
 */

/** The stream a claim is for: AppName, StreamName and the hub key `app/stream`. */
export interface ClaimTarget {
  readonly app: string;
  readonly stream: string;
  readonly key: string;
  /** The push domain admission attributed the publish to: the cluster registry shows it (online list). */
  readonly domain?: string;
}

/** Who claims: a publisher id unique on the node (`rtmp-12`), its address and protocol. */
export interface Claimant {
  readonly id: string;
  readonly clientIp: string;
  readonly protocol: string;
}

/** Whether a stream is held, without taking it: all a dry run (the doctor) needs. */
export interface ClaimView {
  /** True while someone holds `target`; a remote view (the CLI doctor) may have to ask over the network. */
  isHeld(target: ClaimTarget): boolean | Promise<boolean>;
}

/**
 * Takes and gives back the claim of a stream. `claim` checks and takes in one step: synchronously for
 * the hub (no `await` between them, design.md), or as one atomic remote operation (Redis `SET NX PX`)
 * when it returns a promise. It answers the holding handle (`S`: the hub's Stream), or undefined when
 * someone else holds the stream; it throws a `limit` LiveError (MEMORY_BUDGET_EXCEEDED) past a budget.
 */
export interface PublisherClaims<S> extends ClaimView {
  claim(target: ClaimTarget, publisher: Claimant): S | undefined | Promise<S | undefined>;
  /** Gives the claim back; a no-op when `publisherId` no longer holds it (a late release after a takeover). */
  release(claim: S, publisherId: string): void;
}
