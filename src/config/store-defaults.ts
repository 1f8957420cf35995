/**
 * The defaults of the store adapters' limits, in one place: SqliteStore and PostgresStore (src/store/) fill
 * them in and the config schema's `store.*` keys (docs/config.md) take them as defaults.
 */
export const storeDefaults = {
  /** PostgreSQL connections a node opens at most (`store.poolSize`). */
  poolSize: 10,
  /** Writes held while the database is locked or unreachable (`store.maxQueuedWrites`); then STORE_BUSY/STORE_UNAVAILABLE. */
  maxQueuedWrites: 10_000,
} as const;
