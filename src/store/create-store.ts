/**
 * The one place that picks a Store adapter from the config: `store.url` `postgres://...` selects PostgreSQL
 * (clusters share one database), empty the embedded SQLite file in the data directory. The server and the
 * CLI commands both build their store here.
 */
import { PostgresStore, defaultNodeId } from './postgres-store.ts';
import { SqliteStore, sqliteFileIn } from './sqlite-store.ts';
import type { Store } from './store.ts';

/** The config keys the factory reads: the part of config/config-schema.ts's Config this factory needs. */
export interface StoreConfig {
  readonly dataDir: string;
  readonly store: {
    readonly url: string;
    readonly poolSize: number;
    readonly synchronous: 'NORMAL' | 'FULL';
    readonly busyTimeoutMs: number;
    readonly maxQueuedWrites: number;
  };
}

/** What the caller adds to the config's store section. */
export interface CreateStoreOptions {
  /** The data key that seals domain and callback keys (`<dataDir>/secret.key`). */
  readonly dataKey?: Buffer;
  /** Overrides store.busyTimeoutMs (a CLI may block longer than the server). */
  readonly busyTimeoutMs?: number;
  /** This node's id; default cluster.nodeId when the config has it, else 'local'. */
  readonly nodeId?: string;
}

/** Whether a store URL selects PostgreSQL. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** The node id rows are written with: cluster.nodeId where the config has one. */
export function nodeIdOf(config: StoreConfig): string {
  const cluster = (config as { cluster?: { nodeId?: unknown } }).cluster;
  return typeof cluster?.nodeId === 'string' && cluster.nodeId !== '' ? cluster.nodeId : defaultNodeId;
}

/** Builds the configured store (not yet awaited: call `store.ready?.()` before serving). */
export function createStore(config: StoreConfig, options: CreateStoreOptions = {}): Store {
  const st = config.store;
  if (isPostgresUrl(st.url)) {
    return new PostgresStore({
      url: st.url,
      poolSize: st.poolSize,
      maxQueuedWrites: st.maxQueuedWrites,
      nodeId: options.nodeId ?? nodeIdOf(config),
      ...(options.dataKey ? { dataKey: options.dataKey } : {}),
    });
  }
  return new SqliteStore({
    file: sqliteFileIn(config.dataDir),
    synchronous: st.synchronous,
    busyTimeoutMs: options.busyTimeoutMs ?? st.busyTimeoutMs,
    maxQueuedWrites: st.maxQueuedWrites,
    nodeId: options.nodeId ?? nodeIdOf(config),
    ...(options.dataKey ? { dataKey: options.dataKey } : {}),
  });
}
