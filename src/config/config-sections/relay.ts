/** The `relay.*` section: push relays to other RTMP(S) servers and origin/edge pulls (docs/cluster.md). */
import { z } from 'zod';
import { bytes, jsonArray } from './values.ts';

/** Forward targets and their retry bounds, the cluster secret and the limits of edge pulls. */
export const relaySection = z
  .strictObject({
    // Push relays (docs/cluster.md "Push relays"): forward published streams to other RTMP(S) servers.
    /** Targets: `[{ domain: '*', app: 'live', url: 'rtmp://host/app/{stream}?key=…', name }]`; a JSON array in env and flags. */
    forward: jsonArray(
      z.strictObject({
        domain: z.string().min(1).default('*'),
        app: z.string().min(1),
        url: z.string().regex(/^rtmps?:\/\/[^/]+\/./, 'an rtmp:// or rtmps:// URL with an app'),
        name: z.string().min(1).optional(),
      }),
    ).default([]),
    /** Bound on TCP/TLS connect, handshake, connect and publish of one forward attempt. */
    forwardConnectTimeoutMs: z.coerce.number().int().min(100).default(10_000),
    /** First reconnect delay of a forward; doubles per failure (with jitter) up to forwardBackoffMaxMs. */
    forwardBackoffInitialMs: z.coerce.number().int().min(10).default(1000),
    forwardBackoffMaxMs: z.coerce.number().int().min(10).default(30_000),
    /** Delay before asking again a target that refused the publish (FORWARD_REFUSED: wrong key, forbidden). */
    forwardRefusedRetryMs: z.coerce.number().int().min(10).default(60_000),
    /** Bytes one forward may leave unsent in its socket; past it frames are skipped to the next keyframe (FORWARD_QUEUE_OVERFLOW). */
    forwardMaxQueueBytes: bytes.default(8 * 1024 * 1024),
    // Origin/edge relays (docs/cluster.md "Origin/edge relays"): pull streams held by other nodes.
    /** The cluster secret: signs the relay plays edges make to origins; the same on every node. Empty = no pulls, relay plays refused. */
    secret: z.string().default(''),
    /** Pulls this node runs (connecting or pulling) at once; more wait (EDGE_PULLS_FULL). */
    maxPulls: z.coerce.number().int().min(1).max(100_000).default(100),
    /** Relay plays at more hops (edge of an edge of ...) are refused (RELAY_TOO_DEEP). */
    maxHops: z.coerce.number().int().min(1).max(16).default(3),
    /** Bound on each step of a pull's connect: TCP, handshake, connect, play (then EDGE_PULL_UNREACHABLE). */
    pullConnectTimeoutMs: z.coerce.number().int().min(100).default(5000),
    /** First retry delay of a failed pull; doubles per failure (with jitter) up to pullBackoffMaxMs. */
    pullBackoffInitialMs: z.coerce.number().int().min(10).default(500),
    pullBackoffMaxMs: z.coerce.number().int().min(10).default(10_000),
    /** How long a pull outlives its last local player (a reloading player keeps it). */
    pullLingerMs: z.coerce.number().int().min(0).max(600_000).default(2000),
    /** How often a wanted stream nobody holds is looked up again in the registry. */
    pullPollMs: z.coerce.number().int().min(50).max(60_000).default(1000),
    /** A pull that read nothing from its origin for this long is ended and retried (a hung origin). */
    pullIdleTimeoutMs: z.coerce.number().int().min(1000).default(30_000),
  })
  .prefault({});
