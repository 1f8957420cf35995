/** The `limits.*` section: limits shared by every listener (docs/security.md). */
import { z } from 'zod';
import { commaList } from './values.ts';

/** Trusted networks, the memory budget and the shutdown and drain deadlines. */
export const limitsSection = z
  .strictObject({
    /** CIDR blocks or addresses (encoder farms, CDN edges) exempt from the per-address connection caps. */
    trustedNetworks: commaList.default([]),
    // Process: memory budget and shutdown (docs/security.md "Memory budget, process faults and shutdown").
    /** Bytes held for players and publishers past which new ones are refused (MEMORY_BUDGET_EXCEEDED); 0 = a quarter of the V8 heap limit. */
    memoryBudgetBytes: z.coerce.number().int().min(0).default(0),
    /** SIGTERM/SIGINT drain at most this long, then the process exits anyway (status 124); 0 = no deadline. */
    shutdownTimeoutMs: z.coerce.number().int().min(0).default(10_000),
    /** The drain (SIGTERM, OpenLiveDrainNode) waits at most this long for publishers asked to reconnect elsewhere, then closes them (10/0). */
    drainWaitMs: z.coerce.number().int().min(0).default(5000),
  })
  .prefault({});
