/**
 * The names of the Redis Coordinator's keys and channel, in one place (docs/cluster.md "Coordinator" draws
 * them). Every name starts with the prefix, so several clusters (or test runs) can share one Redis.
 */

/** Key and channel names under one prefix. */
export class RedisKeys {
  readonly prefix: string;
  /** The pub/sub channel of stream commands (drop, forbid, resume). */
  readonly channel: string;
  readonly holderPattern: string;
  readonly nodePattern: string;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.channel = `${prefix}streams`;
    this.holderPattern = `${escapeGlob(prefix)}holder:*`;
    this.nodePattern = `${escapeGlob(prefix)}node:*`;
  }

  /** The publisher claim of a stream: the holder's node id, with the lease. */
  claim(stream: string): string {
    return `${this.prefix}claim:${stream}`;
  }

  /** The registry entry of a stream: JSON StreamHolder, with the same lease as its claim. */
  holder(stream: string): string {
    return `${this.prefix}holder:${stream}`;
  }

  /** The stream a registry key names. */
  streamOfHolder(key: string): string {
    return key.slice(`${this.prefix}holder:`.length);
  }

  /** A live node: JSON ClusterNode, renewed with its claims. */
  node(nodeId: string): string {
    return `${this.prefix}node:${nodeId}`;
  }

  /** A shared counter. */
  counter(key: string): string {
    return `${this.prefix}count:${key}`;
  }

  /** A used TC3 signature, until its window ends (PXAT). */
  replay(signature: string): string {
    return `${this.prefix}tc3:${signature}`;
  }
}

/** SCAN MATCH treats `* ? [ ] \` specially; a prefix is matched literally. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
