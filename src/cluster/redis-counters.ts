/** The shared counters of the Redis Coordinator, and the error every failed Redis call becomes. */
import type { Redis } from 'ioredis';
import { LiveError } from '../errors.ts';
import type { SharedCounters } from './coordinator.ts';
import type { RedisKeys } from './redis-keys.ts';
import { incrementScript } from './redis-scripts.ts';

/** Fixed-window counters: INCRBY with the expiry set on a window's first increment. */
export class RedisCounters implements SharedCounters {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  constructor(redis: Redis, keys: RedisKeys) {
    this.redis = redis;
    this.keys = keys;
  }

  async increment(key: string, ttlMs: number, by = 1): Promise<number> {
    try {
      return Number(await incrementScript.run(this.redis, [this.keys.counter(key)], [by, ttlMs]));
    } catch (err) {
      throw unavailable('counter increment failed', err);
    }
  }

  async count(key: string): Promise<number> {
    try {
      return Number((await this.redis.get(this.keys.counter(key))) ?? 0);
    } catch (err) {
      throw unavailable('counter read failed', err);
    }
  }
}

/** COORDINATOR_UNAVAILABLE for a failed Redis call, naming what failed and why. */
export function unavailable(what: string, cause?: unknown): LiveError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new LiveError(
    'COORDINATOR_UNAVAILABLE',
    `Redis coordinator: ${what}${detail}`,
    cause === undefined ? undefined : { cause },
  );
}
