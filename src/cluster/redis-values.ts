/** The JSON values of the Redis Coordinator's registry and node keys, read back defensively (another version may have written them). */
import type { ClusterNode, StreamHolder } from './coordinator.ts';

/** A registry entry (`holder:<stream>`) as JSON StreamHolder; undefined when it is not one. */
export function parseHolder(text: unknown): StreamHolder | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const v = JSON.parse(text) as Partial<StreamHolder>;
    return typeof v.nodeId === 'string' && typeof v.advertise === 'string' && typeof v.since === 'number'
      ? (v as StreamHolder)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A node key (`node:<id>`) as JSON ClusterNode; undefined when it is not one. */
export function parseNode(text: string): ClusterNode | undefined {
  try {
    const v = JSON.parse(text) as Partial<ClusterNode>;
    return typeof v.nodeId === 'string' && typeof v.advertise === 'string'
      ? { nodeId: v.nodeId, advertise: v.advertise }
      : undefined;
  } catch {
    return undefined;
  }
}
