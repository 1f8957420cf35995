/** The `cluster.*` section: the Coordinator shared by nodes (docs/cluster.md "Coordinator"). */
import { z } from 'zod';

/** The Redis URL, this node's id and advertised address, and the claim lease. */
export const clusterSection = z
  .strictObject({
    /** `redis://[user:password@]host:port[/db]` (or `rediss://`) of the cluster's Redis or Valkey; empty = in-process (one node). */
    redis: z
      .string()
      .refine((v) => v === '' || /^rediss?:\/\/./.test(v), {
        message: 'must be empty or a redis:// or rediss:// URL',
      })
      .default(''),
    /** This node's id in claims, records, logs and /metrics; empty = the hostname (stable across restarts). Letters, digits, `.`, `_`, `-`. */
    nodeId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{0,64}$/, 'at most 64 letters, digits, ".", "_" or "-"')
      .default(''),
    /** `host:port` other nodes use to reach this node's RTMP (edge pulls); empty = rtmp.host (or the hostname) and the bound RTMP port. */
    advertise: z.string().default(''),
    /** Lease of a publisher claim and of the node key, renewed four times per lease: a dead node's streams are free after it. */
    leaseMs: z.coerce.number().int().min(100).max(600_000).default(5000),
  })
  .prefault({});
