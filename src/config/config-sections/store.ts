/** The `store.*` section: SQLite or PostgreSQL, locks, retention and rejected-attempt aggregation (docs/cluster.md "PostgreSQL", docs/security.md "Records and the store"). */
import { z } from 'zod';
import { storeDefaults } from '../store-defaults.ts';

/** Where records live and how long, and how writes wait for locks. */
export const storeSection = z
  .strictObject({
    // Store: PostgreSQL (docs/cluster.md "PostgreSQL")
    /** `postgres://user:pass@host:port/db` stores everything in PostgreSQL (clusters); empty = SQLite in dataDir. */
    url: z
      .string()
      .default('')
      .refine((v) => v === '' || /^postgres(ql)?:\/\//.test(v), 'store.url must be empty or a postgres:// URL'),
    /** PostgreSQL connections this node opens at most. */
    poolSize: z.coerce.number().int().min(1).max(100).default(storeDefaults.poolSize),
    /** SQLite `synchronous`: NORMAL survives a killed process (WAL); FULL also survives power loss. */
    synchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
    // Store: locks, retention, rejected-attempt aggregation (docs/security.md "Records and the store")
    /** How long one SQLite call may block the event loop waiting for another process's lock; then it waits in a queue. */
    busyTimeoutMs: z.coerce.number().int().min(0).max(1000).default(5),
    /** Writes held while another process holds the lock; past it a write fails with STORE_BUSY. */
    maxQueuedWrites: z.coerce.number().int().min(1).default(storeDefaults.maxQueuedWrites),
    /** Publish records, rejected attempts and callback attempts older than this are deleted. */
    retentionDays: z.coerce.number().int().min(1).max(3650).default(60),
    /** Rows kept per record table at most (publish records, rejected attempts, callback attempts), oldest deleted first. */
    maxRows: z.coerce.number().int().min(100).default(100_000),
    /** How often the pruner runs (also once at start). */
    pruneIntervalMs: z.coerce.number().int().min(1000).default(600_000),
    /** Refused attempts of one client address stored one row each per window; past it they are counted in one row per code. */
    rejectedPerAddress: z.coerce.number().int().min(0).default(20),
    /** The window of rejectedPerAddress. */
    rejectedWindowMs: z.coerce.number().int().min(1000).default(60_000),
  })
  .prefault({});
