/**
 * The one node id of a running openlive (`cluster.nodeId`): the store stamps its rows with it, the
 * Coordinator claims and announces under it, and the log lines carry it. service.ts resolves it once.
 */
import { hostname } from 'node:os';

/** What an id may hold (the config key's rule): letters, digits, `.`, `_`, `-`, at most 64. */
const allowed = /[^A-Za-z0-9._-]/g;

/**
 * `configured` when set, else the hostname. Not the pid: an id must survive a restart, because a node
 * closes only its own open publish records and replays only its own owed callbacks when it starts, and a
 * killed node's rows are found again under the same id when it comes back (containers: set the hostname,
 * or `cluster.nodeId`). Two processes on one host therefore need their own ids (workers derive theirs).
 */
export function resolveNodeId(configured: string, host: string = hostname()): string {
  if (configured !== '') return configured;
  const id = host.replace(allowed, '_').slice(0, 64);
  return id === '' ? 'local' : id;
}
